package io.github.yoloslim.data;

import java.util.Arrays;

/**
 * Turns a decoded image into model input exactly as Ultralytics validates ({@code yolo val}): first
 * {@code load_image} scales the long side to {@code imgsz} (sizes rounded up, {@code cv2.resize} INTER_LINEAR,
 * see {@link CvResize}), then {@code LetterBox(auto=False, scaleup=True, center=True)} resizes again only if the
 * result does not fit the target, and pads it centred with grey 114 ({@code round(d -+ 0.1)} on each side).
 * The output is RGB float in [0, 1] ({@code value / 255f}), planar (NCHW), written into a caller-supplied array so
 * that a batch is filled in place.
 *
 * <p>For a square target (the usual {@code imgsz x imgsz}) the second step never resizes. For a non-square
 * target H x W, {@code imgsz} is {@code max(H, W)}. Instances are immutable and thread-safe.
 */
public final class Letterbox {

    /** The padding grey, as Ultralytics' LetterBox. */
    public static final int PAD_VALUE = 114;

    private static final float[] TO_UNIT = new float[256];

    static {
        for (int i = 0; i < TO_UNIT.length; i++) {
            TO_UNIT[i] = i / 255f;
        }
    }

    private final int targetHeight;
    private final int targetWidth;
    private final int imgsz;

    /** A square {@code size x size} target. */
    public Letterbox(int size) {
        this(size, size);
    }

    /** A {@code targetHeight x targetWidth} target (height first, as ONNX shapes and Ultralytics write it). */
    public Letterbox(int targetHeight, int targetWidth) {
        if (targetHeight <= 0 || targetWidth <= 0) {
            throw new IllegalArgumentException("letterbox target must be positive: " + targetHeight + "x" + targetWidth);
        }
        this.targetHeight = targetHeight;
        this.targetWidth = targetWidth;
        this.imgsz = Math.max(targetHeight, targetWidth);
    }

    public int targetHeight() {
        return targetHeight;
    }

    public int targetWidth() {
        return targetWidth;
    }

    /** Floats per image in the output: {@code 3 * targetHeight * targetWidth}. */
    public int inputLength() {
        return 3 * targetHeight * targetWidth;
    }

    /** Where an image of the given displayed size ends up, without touching pixels. */
    public LetterboxGeometry geometry(int width, int height) {
        return plan(width, height).geometry();
    }

    /**
     * Letterboxes {@code image} into {@code dst[offset .. offset + inputLength())} as three planes R, G, B.
     *
     * @return the geometry, to map detections back
     */
    public LetterboxGeometry apply(DecodedImage image, float[] dst, int offset) {
        if (offset < 0 || offset > dst.length - inputLength()) {
            throw new IndexOutOfBoundsException("letterbox output needs " + inputLength() + " floats at offset "
                    + offset + ", array has " + dst.length);
        }
        Plan plan = plan(image.width(), image.height());
        LetterboxGeometry g = plan.geometry();
        byte[] pixels = image.rgb();
        if (plan.loadWidth() != image.width() || plan.loadHeight() != image.height()) {
            pixels = CvResize.resize(pixels, image.width(), image.height(), plan.loadWidth(), plan.loadHeight());
        }
        if (g.resizedWidth() != plan.loadWidth() || g.resizedHeight() != plan.loadHeight()) {
            pixels = CvResize.resize(pixels, plan.loadWidth(), plan.loadHeight(), g.resizedWidth(), g.resizedHeight());
        }
        fill(pixels, g, dst, offset);
        return g;
    }

    private void fill(byte[] pixels, LetterboxGeometry g, float[] dst, int offset) {
        int plane = targetHeight * targetWidth;
        float pad = TO_UNIT[PAD_VALUE];
        int w = g.resizedWidth();
        int left = g.padLeft();
        int right = left + w;
        int top = g.padTop();
        int bottom = top + g.resizedHeight();
        int r = offset;
        int gr = offset + plane;
        int b = offset + 2 * plane;
        for (int y = 0; y < targetHeight; y++) {
            int row = y * targetWidth;
            if (y < top || y >= bottom) {
                Arrays.fill(dst, r + row, r + row + targetWidth, pad);
                Arrays.fill(dst, gr + row, gr + row + targetWidth, pad);
                Arrays.fill(dst, b + row, b + row + targetWidth, pad);
                continue;
            }
            Arrays.fill(dst, r + row, r + row + left, pad);
            Arrays.fill(dst, gr + row, gr + row + left, pad);
            Arrays.fill(dst, b + row, b + row + left, pad);
            int s = (y - top) * w * 3;
            for (int x = left; x < right; x++, s += 3) {
                dst[r + row + x] = TO_UNIT[pixels[s] & 0xFF];
                dst[gr + row + x] = TO_UNIT[pixels[s + 1] & 0xFF];
                dst[b + row + x] = TO_UNIT[pixels[s + 2] & 0xFF];
            }
            Arrays.fill(dst, r + row + right, r + row + targetWidth, pad);
            Arrays.fill(dst, gr + row + right, gr + row + targetWidth, pad);
            Arrays.fill(dst, b + row + right, b + row + targetWidth, pad);
        }
    }

    /** The size after load_image, and the final geometry. */
    private record Plan(int loadWidth, int loadHeight, LetterboxGeometry geometry) {
    }

    private Plan plan(int width, int height) {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
        }
        // load_image: r = imgsz / max(h0, w0); sizes min(ceil(side * r), imgsz) when r != 1.
        double r = (double) imgsz / Math.max(width, height);
        int loadWidth = width;
        int loadHeight = height;
        if (r != 1) {
            loadWidth = (int) Math.min(Math.ceil(width * r), imgsz);
            loadHeight = (int) Math.min(Math.ceil(height * r), imgsz);
        }
        // LetterBox: r = min(H / h, W / w); new_unpad = round(side * r) (Python round: half to even).
        double fit = Math.min((double) targetHeight / loadHeight, (double) targetWidth / loadWidth);
        int resizedWidth = (int) Math.rint(loadWidth * fit);
        int resizedHeight = (int) Math.rint(loadHeight * fit);
        double dw = (targetWidth - resizedWidth) / 2.0;
        double dh = (targetHeight - resizedHeight) / 2.0;
        int left = (int) Math.rint(dw - 0.1);
        int top = (int) Math.rint(dh - 0.1);
        return new Plan(loadWidth, loadHeight, new LetterboxGeometry(width, height, resizedWidth, resizedHeight,
                targetWidth, targetHeight, left, top, (double) resizedWidth / width, (double) resizedHeight / height));
    }
}
