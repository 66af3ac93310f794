package io.github.yoloslim.calibrate;

import io.github.yoloslim.Choices;

import java.util.Locale;

/** How an activation tensor's symmetric INT8 range ({@code amax}, scale = amax / 127) is chosen. */
public enum RangeMethod {
    /**
     * TensorRT's entropy calibration (EntropyCalibration2): the range whose 128-level quantization of a
     * 2048-bin histogram of {@code |x|} loses the least information (KL divergence); clips long tails. See
     * {@link RangeEstimator} for the exact variant.
     */
    ENTROPY,
    /** The largest {@code |x|} seen: nothing is clipped, rounding is coarsest. */
    MINMAX,
    /** The magnitude below which the given percentage (default 99.99) of the values fall. */
    PERCENTILE,
    /**
     * Per tensor, the range that minimises the expected squared quantization error (rounding plus clipping): a
     * long tail is kept when clipping it would cost more than the coarser rounding. The most accurate on
     * YOLOv8 (see the table in src/site/markdown/calibrate.md), so the default.
     */
    MSE;

    /** Parses a configuration value, case-insensitively ({@code entropy}, {@code minmax}, ...). */
    public static RangeMethod parse(String value, String element) {
        return Choices.parse(RangeMethod.class, value, element, "entropy (TensorRT's KL-divergence calibration),"
                + " minmax (the largest |x|), percentile (the given percentile of |x|) or mse (least quantization"
                + " error, the default)");
    }

    /** The configuration spelling, e.g. {@code entropy}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
