package io.github.yoloslim.engine;

import io.github.yoloslim.Choices;

/** What {@code build-engine} does on a machine without TensorRT or a GPU. */
public enum MissingTensorRtPolicy {
    /** Stop the build with what is missing and how to fix it. */
    FAIL,
    /** Log what is missing and go on without an engine. */
    SKIP;

    /** Parses a configuration value: {@code fail} or {@code skip}. */
    public static MissingTensorRtPolicy parse(String value, String element) {
        return Choices.parse(MissingTensorRtPolicy.class, value, element, "fail (stop the build) or skip (go on "
                + "without an engine, e.g. on CI machines without a GPU)");
    }
}
