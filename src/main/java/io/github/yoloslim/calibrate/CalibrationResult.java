package io.github.yoloslim.calibrate;

import java.nio.file.Path;

/**
 * What {@code calibrate} produced.
 *
 * @param outcome whether it calibrated or found its outputs up to date
 * @param quantizedModel the explicitly quantized model ({@code <name>.int8.onnx})
 * @param calibrationCache TensorRT's calibration cache for implicit INT8
 * @param report {@code calibration.json}
 * @param images images the statistics came from
 * @param tensors activation tensors calibrated
 */
public record CalibrationResult(Outcome outcome, Path quantizedModel, Path calibrationCache, Path report, int images,
        int tensors) {

    /** Whether work was done. */
    public enum Outcome {
        /** Statistics were collected and every output written. */
        CALIBRATED,
        /** Inputs, parameters and plugin version match the last run and its outputs are intact: nothing was done. */
        UP_TO_DATE
    }
}
