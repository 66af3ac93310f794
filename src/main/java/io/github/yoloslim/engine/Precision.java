package io.github.yoloslim.engine;

import io.github.yoloslim.Choices;

import java.util.Locale;

/** The precision an engine is built for. */
public enum Precision {
    /** Explicit INT8 from a Q/DQ model (what {@code calibrate} writes); TensorRT follows the Q/DQ placement. */
    INT8,
    /** Implicit INT8: the float model plus our {@code calibration.cache}, read through an entropy calibrator. */
    INT8_IMPLICIT,
    /** Half precision where TensorRT finds it faster. */
    FP16,
    /** Full precision only. */
    FP32,
    /** Every precision TensorRT may choose from (INT8 needs a Q/DQ model or a calibration cache). */
    BEST;

    /** Parses a configuration value: {@code auto} is not a constant and is resolved by the caller. */
    public static Precision parse(String value, String element) {
        return Choices.parse(Precision.class, value, element, "auto (int8 for a Q/DQ model, else fp16), int8,"
                + " int8-implicit (float model + calibration.cache), fp16, fp32 or best");
    }

    /** The configuration spelling, e.g. {@code int8-implicit}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
