package io.github.yoloslim.train;

import io.github.yoloslim.onnx.OnnxModel;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a distillation did.
 *
 * @param model the trained student, an ordinary ONNX model
 * @param epochs the mean loss of every epoch, in order
 * @param steps optimizer steps taken
 * @param images training inputs seen, over all epochs
 * @param seconds wall time of the training loop
 * @param time where that time went
 * @param skipped images that could not be read, with the reason
 * @param scaleHistory for sparsity training, the channel scales after every epoch; else empty
 * @param scales for sparsity training, every group's final scales by group name: when the weights were trained
 *        beside them, those below the threshold zero and all folded into {@code model}; else as learned and not
 *        applied to it (the weights are as loaded); else empty
 */
public record DistillationResult(OnnxModel model, List<EpochLoss> epochs, int steps, long images, double seconds,
        StepTime time, List<String> skipped, List<EpochScales> scaleHistory, Map<String, float[]> scales) {

    /**
     * The channel scales after one epoch of sparsity training.
     *
     * @param meanMagnitude the mean |s| over all channels
     * @param belowThreshold channels whose |s| is below the threshold (those that prune will remove)
     * @param channels all scaled channels
     */
    public record EpochScales(int epoch, double meanMagnitude, int belowThreshold, int channels) {
    }

    /** Mean loss terms of one epoch (weighted as trained). */
    public record EpochLoss(int epoch, double total, double box, double classes, double features, double seconds) {
    }

    /** Total seconds spent in each part of the training steps. */
    public record StepTime(double images, double teacher, double studentForward, double backward, double update) {
    }

    public DistillationResult {
        epochs = List.copyOf(epochs);
        skipped = List.copyOf(skipped);
        scaleHistory = List.copyOf(scaleHistory);
        scales = Collections.unmodifiableMap(new LinkedHashMap<>(scales));
    }

    /** Training inputs per second. */
    public double imagesPerSecond() {
        return seconds > 0 ? images / seconds : 0;
    }
}
