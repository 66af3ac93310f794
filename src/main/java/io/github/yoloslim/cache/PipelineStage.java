package io.github.yoloslim.cache;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

/** The goals that write into the output directory, in pipeline order. */
public enum PipelineStage {
    /** Sparsity training with channel scales: writes {@code <name>.sparse.onnx}. */
    SPARSIFY("sparsify", "sparsify", "sparsifyInput", true),
    /** Channel pruning: writes {@code <name>.pruned.onnx}. */
    PRUNE("prune", "prune", "pruneInput", true),
    /** Knowledge distillation of the pruned model from {@code <model>}: writes {@code <name>.distilled.onnx}. */
    DISTILL("distill", "distill", "distillInput", true),
    /** INT8 calibration: writes {@code <name>.int8.onnx}. */
    CALIBRATE("calibrate", "calibrate", "calibrationInput", true),
    /** TensorRT engine: writes {@code <name>.plan}. */
    BUILD_ENGINE("build-engine", "engine", "engineInput", false),
    /** The DJL model archive of the newest model: writes {@code <name>-djl.zip}. */
    DJL_ARCHIVE("djl-archive", "djl", "djlInput", false);

    private final String key;
    private final String propertyName;
    private final String inputElement;
    private final boolean writesOnnx;

    PipelineStage(String key, String propertyName, String inputElement, boolean writesOnnx) {
        this.key = key;
        this.propertyName = propertyName;
        this.inputElement = inputElement;
        this.writesOnnx = writesOnnx;
    }

    /** The stage's name in {@code pipeline.json} (the goal name). */
    public String key() {
        return key;
    }

    /** The middle of its properties' names: {@code yoloslim.<name>.skip}. */
    public String propertyName() {
        return propertyName;
    }

    /** The element that names the model the stage works on, e.g. {@code <calibrationInput>}. */
    public String inputElement() {
        return "<" + inputElement + ">";
    }

    /** Whether the stage's output is an ONNX model that a later goal can take as its input. */
    public boolean writesOnnx() {
        return writesOnnx;
    }

    /** The stage called {@code key} in {@code pipeline.json}. */
    public static Optional<PipelineStage> byKey(String key) {
        return Arrays.stream(values()).filter(stage -> stage.key.equals(key)).findFirst();
    }

    /** The stages, last in the pipeline first. */
    public static List<PipelineStage> newestFirst() {
        List<PipelineStage> stages = new ArrayList<>(List.of(values()));
        Collections.reverse(stages);
        return stages;
    }
}
