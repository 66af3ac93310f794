package io.github.yoloslim.calibrate;

/**
 * The INT8 range chosen for one activation tensor, with the statistics behind it, for calibration reports.
 *
 * @param tensor    the ONNX tensor name
 * @param method    the method asked for
 * @param chosen    the method whose range was taken: {@code method} itself, or for {@link RangeMethod#AUTO}
 *                  the one it picked
 * @param amax      the symmetric range, always positive and finite
 * @param absMax    the largest finite {@code |x|} seen
 * @param count     the number of finite values seen
 * @param nonFinite the number of NaN and infinite values seen and ignored
 * @param mse       the expected squared quantization error per value at {@code amax}
 *                  ({@link RangeEstimator#quantizationMse})
 */
public record TensorRange(String tensor, RangeMethod method, RangeMethod chosen, double amax, float absMax,
        long count, long nonFinite, double mse) {

    /** The INT8 scale, {@code amax / 127}, as the float32 that Q/DQ nodes and TensorRT's cache store. */
    public float scale() {
        return (float) (amax / RangeEstimator.INT8_MAX);
    }
}
