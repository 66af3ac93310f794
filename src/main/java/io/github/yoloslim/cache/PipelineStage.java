package io.github.yoloslim.cache;

/** The goals that write into the output directory, in pipeline order. */
public enum PipelineStage {
    /** Channel pruning: writes {@code <name>.pruned.onnx}. */
    PRUNE("prune", true),
    /** INT8 calibration: writes {@code <name>.int8.onnx}. */
    CALIBRATE("calibrate", true),
    /** TensorRT engine: writes {@code <name>.plan}. */
    BUILD_ENGINE("build-engine", false);

    private final String key;
    private final boolean writesOnnx;

    PipelineStage(String key, boolean writesOnnx) {
        this.key = key;
        this.writesOnnx = writesOnnx;
    }

    /** The stage's name in {@code pipeline.json} (the goal name). */
    public String key() {
        return key;
    }

    /** Whether the stage's output is an ONNX model that a later goal can take as its input. */
    public boolean writesOnnx() {
        return writesOnnx;
    }
}
