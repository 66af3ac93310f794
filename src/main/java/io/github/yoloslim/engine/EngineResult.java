package io.github.yoloslim.engine;

import java.nio.file.Path;

/**
 * What {@code build-engine} did.
 *
 * @param plan the serialized engine, null when skipped
 * @param classifier the classifier to attach the plan with, null when skipped
 * @param message one line for the log
 */
public record EngineResult(Outcome outcome, Path plan, Path manifest, String classifier,
        EngineEnvironment environment, String message) {

    /** Whether an engine exists now, and whether it was built. */
    public enum Outcome {
        /** A new engine was built. */
        BUILT,
        /** The engine matches its inputs, settings, TensorRT and GPU: nothing was built. */
        UP_TO_DATE,
        /** TensorRT or a GPU is missing and {@code <onMissingTensorRt>} is {@code skip}. */
        SKIPPED
    }
}
