package io.github.yoloslim.data;

/**
 * How one image was placed into the model input by {@link Letterbox}: its original (displayed) size, the size it
 * was resized to, the target size, the padding on the left and top, and the gain actually applied per axis
 * ({@code resized / original}).
 *
 * <p>Mapping back uses a gain per axis. Ultralytics' validator passes {@code ratio_pad} built from the same
 * resized shape, but {@code scale_boxes} then divides both axes by its first entry, the height ratio; because
 * the resized width is rounded up separately, that is off from the true width ratio by up to one resized pixel.
 * Ultralytics is unaffected since it matches boxes in letterbox space (axis scaling preserves IoU); here boxes are
 * compared with ground truth in original pixels, where only the per-axis gain lines them up.
 */
public record LetterboxGeometry(int originalWidth, int originalHeight, int resizedWidth, int resizedHeight,
        int targetWidth, int targetHeight, int padLeft, int padTop, double gainX, double gainY) {

    /** Maps an x coordinate of the model input to the original image: remove padding, undo the gain, clip. */
    public double originalX(double inputX) {
        return clip((inputX - padLeft) / gainX, originalWidth);
    }

    /** Maps a y coordinate of the model input to the original image: remove padding, undo the gain, clip. */
    public double originalY(double inputY) {
        return clip((inputY - padTop) / gainY, originalHeight);
    }

    /**
     * Maps a box {@code x1, y1, x2, y2} from model-input pixels to original-image pixels, clipped to the image as
     * Ultralytics' {@code scale_boxes} and {@code clip_boxes} do.
     */
    public double[] toOriginal(double x1, double y1, double x2, double y2) {
        return new double[] {originalX(x1), originalY(y1), originalX(x2), originalY(y2)};
    }

    private static double clip(double value, int limit) {
        return Math.min(Math.max(value, 0), limit);
    }
}
