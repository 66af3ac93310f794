package io.github.yoloslim.calibrate;

import java.util.List;
import java.util.Map;

/**
 * The content of {@code calibration.json}: what was calibrated from what, every activation's amax, each scale
 * group's range under every method ({@code pipeline.json} beside it holds the outputs' hashes). It holds no
 * timestamps, so the same inputs give the same bytes.
 *
 * @param fingerprint the hash of everything the outputs depend on; a rerun with the same one is up to date
 * @param int8Encoding how activations and weights are stored ({@code s8s8}, {@code u8s8-7bit}, ...), which says
 *     on which CPUs ONNX Runtime runs the model exactly
 */
record CalibrationReport(String pluginVersion, String fingerprint, Source model, Images images, String method,
        double percentile, String qdqFormat, String int8Encoding, String tensorRtVersion, Map<String, Double> amax, List<Group> groups,
        List<String> placement) {

    /** A file and its content hash. */
    record Source(String file, String sha256) {
    }

    /** The calibration images: how many were used of how many, and the hash of their names and bytes. */
    record Images(String folder, int used, int available, int skipped, String sha256) {
    }

    /**
     * One scale group: activations that share a scale (a Concat's inputs and output, a MaxPool's or Split's
     * input and outputs).
     *
     * @param name the group's first member in graph order
     * @param tensors every member, all quantized with {@code amax}
     * @param measuredOn the members whose values were measured (those with a Q/DQ pair)
     * @param absMax the largest |x| among the values read
     * @param values how many values the measured members produced over all images
     * @param binnedValues how many finite values were read and binned (runs of consecutive values, a regular
     *     sample of large tensors), from which the range was chosen
     * @param byMethod every method's range, for comparison
     * @param clippedByMethod the fraction of the binned values that each method's range clips
     */
    record Group(String name, List<String> tensors, List<String> measuredOn, double amax, double absMax, long values,
            long binnedValues, Map<String, Double> byMethod, Map<String, Double> clippedByMethod) {
    }
}
