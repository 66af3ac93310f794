package io.github.yoloslim.train;

import io.github.yoloslim.data.ImageDecoder;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.UnreadableImageException;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Training inputs made from unlabelled images: each is decoded and letterboxed exactly as evaluation does
 * ({@link ImageDecoder}, {@link Letterbox}), then optionally augmented in ways that need no labels: a mosaic of
 * four images in the quadrants, a random scale with a random placement on the grey canvas, a horizontal flip.
 * Teacher and student are fed the same augmented pixels, so their outputs stay comparable. All randomness comes
 * from the caller's seeded {@link Random}, so a seed fixes every input.
 */
final class AugmentedImages {

    private final int size;
    private final Augmentation augmentation;
    private final Letterbox full;
    private final Letterbox quadrant;

    AugmentedImages(int size, Augmentation augmentation) {
        this.size = size;
        this.augmentation = augmentation;
        this.full = new Letterbox(size);
        this.quadrant = new Letterbox(size / 2);
    }

    /** Floats per image: {@code 3 · size · size}. */
    int imageLength() {
        return full.inputLength();
    }

    /**
     * Writes one training input into {@code dst} at {@code offset}.
     *
     * @param images the images to draw from (the first is the one this input is built around; a mosaic draws
     *        three more at random)
     * @throws UnreadableImageException when an image cannot be decoded
     */
    void fill(Path image, List<Path> images, Random random, float[] dst, int offset) throws UnreadableImageException {
        boolean mosaic = random.nextDouble() < augmentation.mosaic();
        double scale = augmentation.scaleJitter() == 0 ? 1
                : 1 + augmentation.scaleJitter() * (2 * random.nextDouble() - 1);
        boolean flip = random.nextDouble() < augmentation.flip();
        float[] canvas;
        if (mosaic) {
            canvas = mosaic(image, images, random);
        } else {
            canvas = new float[imageLength()];
            full.apply(ImageDecoder.decode(image), canvas, 0);
        }
        if (scale != 1) {
            canvas = rescale(canvas, scale, random);
        }
        if (flip) {
            flipHorizontally(canvas);
        }
        System.arraycopy(canvas, 0, dst, offset, canvas.length);
    }

    /** Four letterboxed half-size images in the quadrants. */
    private float[] mosaic(Path first, List<Path> images, Random random) throws UnreadableImageException {
        float[] canvas = new float[imageLength()];
        int half = size / 2;
        float[] part = new float[quadrant.inputLength()];
        for (int q = 0; q < 4; q++) {
            Path file = q == 0 ? first : images.get(random.nextInt(images.size()));
            quadrant.apply(ImageDecoder.decode(file), part, 0);
            int left = (q % 2) * half;
            int top = (q / 2) * half;
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < half; y++) {
                    System.arraycopy(part, (c * half + y) * half, canvas, (c * size + top + y) * size + left, half);
                }
            }
        }
        return canvas;
    }

    /**
     * The input scaled by {@code scale} (nearest pixel) and placed at a random offset: a smaller picture on grey
     * padding, or a random window of a larger one.
     */
    private float[] rescale(float[] canvas, double scale, Random random) {
        int scaled = Math.max(1, (int) Math.round(size * scale));
        int offsetX = scaled <= size ? random.nextInt(size - scaled + 1) : -random.nextInt(scaled - size + 1);
        int offsetY = scaled <= size ? random.nextInt(size - scaled + 1) : -random.nextInt(scaled - size + 1);
        float[] out = new float[canvas.length];
        Arrays.fill(out, Letterbox.PAD_VALUE / 255f);
        int[] sourceX = new int[size];
        int[] sourceY = new int[size];
        for (int i = 0; i < size; i++) {
            sourceX[i] = source(i - offsetX, scaled);
            sourceY[i] = source(i - offsetY, scaled);
        }
        for (int c = 0; c < 3; c++) {
            int plane = c * size * size;
            for (int y = 0; y < size; y++) {
                if (sourceY[y] < 0) {
                    continue;
                }
                int row = plane + sourceY[y] * size;
                for (int x = 0; x < size; x++) {
                    if (sourceX[x] >= 0) {
                        out[plane + y * size + x] = canvas[row + sourceX[x]];
                    }
                }
            }
        }
        return out;
    }

    /** The source pixel of position {@code i} of a picture {@code scaled} wide drawn from one {@code size} wide. */
    private int source(int i, int scaled) {
        return i < 0 || i >= scaled ? -1 : (int) ((long) i * size / scaled);
    }

    private void flipHorizontally(float[] canvas) {
        for (int row = 0; row < 3 * size; row++) {
            int start = row * size;
            for (int a = start, b = start + size - 1; a < b; a++, b--) {
                float t = canvas[a];
                canvas[a] = canvas[b];
                canvas[b] = t;
            }
        }
    }
}
