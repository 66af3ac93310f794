package io.github.yoloslim.runtime;

import java.io.IOException;

/** A {@link Detector} failed to run a batch or to release what it holds (the backend's own error is the cause). */
public class InferenceException extends IOException {
    private static final long serialVersionUID = 1L;

    public InferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
