package io.github.yoloslim.data;

/**
 * {@code cv2.resize(src, (dw, dh), interpolation=cv2.INTER_LINEAR)} for 8-bit 3-channel images, bit for bit as
 * OpenCV 4.x computes it on x86-64 (imgproc/src/resize.cpp; checked against OpenCV 4.6 on real photos):
 * <ul>
 * <li>an exact 2x downscale on both axes is turned into INTER_AREA: the mean of each 2x2 block, rounded half
 * up;</li>
 * <li>otherwise separable fixed-point bilinear: source coordinate {@code (d + 0.5) * scale - 0.5} in float, its
 * floor and fraction, clamped to the border; coefficients {@code saturate_cast<short>(w * 2048)} (11 bits, round
 * half to even); a horizontal pass into int rows, then a vertical pass;</li>
 * <li>the vertical pass is not the textbook {@code (h0 * b0 + h1 * b1 + (1 << 21)) >> 22}: OpenCV's vector code
 * computes {@code ((h >> 4) * b) >> 16} per row (16-bit multiply-high), adds, then {@code (s + 2) >> 2}, and its
 * {@code VResizeLinear<uchar, ...>} specialisation does the same for the elements left over, so every sample is
 * rounded that way (never above the textbook value, at most one below it).</li>
 * </ul>
 * Builds that replace resize through a HAL (Carotene or KleidiCV on ARM) or enable IPP's inexact mode may
 * differ by one in some samples.
 */
final class CvResize {

    private static final int COEF_BITS = 11;
    private static final float COEF_SCALE = 1 << COEF_BITS;
    private static final double DBL_EPSILON = Math.ulp(1.0);

    private CvResize() {
    }

    /** Resizes interleaved RGB (or any 3-channel) {@code src} of {@code sw x sh} to {@code dw x dh}. */
    static byte[] resize(byte[] src, int sw, int sh, int dw, int dh) {
        if (sw == dw && sh == dh) {
            return src.clone();
        }
        // As cv::resize: the scale is 1 / (dst / src), not src / dst, which can differ in the last bit.
        double scaleX = 1.0 / ((double) dw / sw);
        double scaleY = 1.0 / ((double) dh / sh);
        long iscaleX = Math.round(scaleX);
        long iscaleY = Math.round(scaleY);
        if (iscaleX == 2 && iscaleY == 2 && Math.abs(scaleX - 2) < DBL_EPSILON && Math.abs(scaleY - 2) < DBL_EPSILON) {
            return halve(src, sw, dw, dh);
        }
        return bilinear(src, sw, sh, dw, dh, scaleX, scaleY);
    }

    /** INTER_AREA for an exact 2x downscale (resizeAreaFast_ with ResizeAreaFastVec: (a + b + c + d + 2) >> 2). */
    private static byte[] halve(byte[] src, int sw, int dw, int dh) {
        byte[] dst = new byte[dw * dh * 3];
        int srcRow = sw * 3;
        int o = 0;
        for (int y = 0; y < dh; y++) {
            int s0 = 2 * y * srcRow;
            int s1 = s0 + srcRow;
            for (int x = 0; x < dw * 3; x += 3) {
                int i = 2 * x;
                for (int c = 0; c < 3; c++, i++) {
                    int sum = (src[s0 + i] & 0xFF) + (src[s0 + i + 3] & 0xFF) + (src[s1 + i] & 0xFF)
                            + (src[s1 + i + 3] & 0xFF);
                    dst[o++] = (byte) ((sum + 2) >> 2);
                }
            }
        }
        return dst;
    }

    private static byte[] bilinear(byte[] src, int sw, int sh, int dw, int dh, double scaleX, double scaleY) {
        int width = dw * 3;
        // Horizontal tables per output element: source offsets of the two taps and their weights.
        int[] tap0 = new int[width];
        int[] tap1 = new int[width];
        int[] alpha0 = new int[width];
        int[] alpha1 = new int[width];
        for (int dx = 0; dx < dw; dx++) {
            float fx = (float) ((dx + 0.5) * scaleX - 0.5);
            int sx = (int) Math.floor(fx);
            fx -= sx;
            if (sx < 0) {
                fx = 0;
                sx = 0;
            }
            if (sx >= sw - 1) {
                fx = 0;
                sx = sw - 1;
            }
            int a0 = coefficient(1f - fx);
            int a1 = coefficient(fx);
            int next = sx < sw - 1 ? sx + 1 : sx;
            for (int c = 0; c < 3; c++) {
                int i = dx * 3 + c;
                tap0[i] = sx * 3 + c;
                tap1[i] = next * 3 + c;
                alpha0[i] = a0;
                alpha1[i] = a1;
            }
        }

        byte[] dst = new byte[width * dh];
        // Horizontally resized source rows, computed once each; a row pair slides down as dy grows.
        int[] rowA = new int[width];
        int[] rowB = new int[width];
        int rowAIndex = -1;
        int rowBIndex = -1;
        for (int dy = 0; dy < dh; dy++) {
            float fy = (float) ((dy + 0.5) * scaleY - 0.5);
            int sy = (int) Math.floor(fy);
            fy -= sy;
            // Unlike the columns, OpenCV clamps the rows but keeps their weights.
            int b0 = coefficient(1f - fy);
            int b1 = coefficient(fy);
            int r0 = Math.min(Math.max(sy, 0), sh - 1);
            int r1 = Math.min(Math.max(sy + 1, 0), sh - 1);

            if (r0 != rowAIndex) {
                if (r0 == rowBIndex) {
                    int[] swap = rowA;
                    rowA = rowB;
                    rowB = swap;
                    rowAIndex = rowBIndex;
                    rowBIndex = -1;
                } else {
                    horizontal(src, r0 * sw * 3, tap0, tap1, alpha0, alpha1, rowA);
                    rowAIndex = r0;
                }
            }
            int[] h0 = rowA;
            int[] h1;
            if (r1 == r0) {
                h1 = rowA;
            } else {
                if (r1 != rowBIndex) {
                    horizontal(src, r1 * sw * 3, tap0, tap1, alpha0, alpha1, rowB);
                    rowBIndex = r1;
                }
                h1 = rowB;
            }

            int o = dy * width;
            for (int x = 0; x < width; x++) {
                // b0 + b1 = 2048, so the two products add up to at most 1020 and the result to at most 255.
                dst[o + x] = (byte) (((((h0[x] >> 4) * b0) >> 16) + (((h1[x] >> 4) * b1) >> 16) + 2) >> 2);
            }
        }
        return dst;
    }

    private static void horizontal(byte[] src, int rowStart, int[] tap0, int[] tap1, int[] alpha0, int[] alpha1,
            int[] out) {
        for (int i = 0; i < out.length; i++) {
            out[i] = (src[rowStart + tap0[i]] & 0xFF) * alpha0[i] + (src[rowStart + tap1[i]] & 0xFF) * alpha1[i];
        }
    }

    /** {@code saturate_cast<short>(w * INTER_RESIZE_COEF_SCALE)} in float: round half to even. */
    private static int coefficient(float weight) {
        return (int) Math.rint(weight * COEF_SCALE);
    }
}
