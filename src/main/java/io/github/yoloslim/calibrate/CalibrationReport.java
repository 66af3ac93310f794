package io.github.yoloslim.calibrate;

import java.util.List;
import java.util.Map;

/**
 * The content of {@code calibration.json}: what was calibrated from what, every tensor's range under every
 * method, and the outputs' hashes. It holds no timestamps, so the same inputs give the same bytes.
 *
 * @param fingerprint the hash of everything the outputs depend on; a rerun with the same one is up to date
 */
record CalibrationReport(String pluginVersion, String fingerprint, Source model, Images images, String method,
        double percentile, String qdqFormat, String tensorRtVersion, List<Tensor> tensors, List<String> placement,
        Map<String, Source> outputs) {

    /** A file and its content hash. */
    record Source(String file, String sha256) {
    }

    /** The calibration images: how many were used of how many, and the hash of their names and bytes. */
    record Images(String folder, int used, int available, int skipped, String sha256) {
    }

    /**
     * One calibrated activation.
     *
     * @param amax the range the quantized model uses (after sharing scales across a Concat)
     * @param measured the range the chosen method gave for this tensor alone
     * @param byMethod every method's range, for comparison
     */
    record Tensor(String name, double amax, double measured, double absMax, long values, Map<String, Double> byMethod) {
    }
}
