package io.github.yoloslim.engine;

/**
 * TensorRT, CUDA or a GPU is missing on this machine: an infrastructure problem, not the user's model. The
 * message says what is missing and every way to fix it.
 */
public class EngineUnavailableException extends Exception {
    private static final long serialVersionUID = 1L;

    public EngineUnavailableException(String message) {
        super(message);
    }
}
