package io.github.yoloslim.train;

import io.github.yoloslim.data.ImageDecoder;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.UnreadableImageException;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Label-free augmentation of training inputs that are already decoded and letterboxed as evaluation does them
 * (by {@link io.github.yoloslim.runtime.ImageBatches}): a mosaic of four images in the quadrants, a random scale
 * with a random placement on the grey canvas, a horizontal flip, each applied in place. Teacher and student are
 * fed the same augmented pixels, so their outputs stay comparable. All randomness comes from the caller's seeded
 * {@link Random}, so a seed fixes every input.
 */
final class AugmentedImages {

    private final int size;
    private final Augmentation augmentation;
    private final Letterbox quadrant;

    AugmentedImages(int size, Augmentation augmentation) {
        this.size = size;
        this.augmentation = augmentation;
        this.quadrant = new Letterbox(size / 2);
    }

    /** Floats per image: {@code 3 · size · size}. */
    int imageLength() {
        return 3 * size * size;
    }

    /**
     * Augments the letterboxed input at {@code pixels[offset ..]} in place.
     *
     * @param images the images a mosaic draws its three other quadrants from; when one of them cannot be decoded,
     *        this input stays without a mosaic
     */
    void augment(float[] pixels, int offset, List<Path> images, Random random) {
        boolean mosaic = random.nextDouble() < augmentation.mosaic();
        double scale = augmentation.scaleJitter() == 0 ? 1
                : 1 + augmentation.scaleJitter() * (2 * random.nextDouble() - 1);
        boolean flip = random.nextDouble() < augmentation.flip();
        if (!mosaic && scale == 1 && !flip) {
            return;
        }
        float[] canvas = Arrays.copyOfRange(pixels, offset, offset + imageLength());
        if (mosaic) {
            canvas = mosaic(canvas, images, random);
        }
        if (scale != 1) {
            canvas = rescale(canvas, scale, random);
        }
        if (flip) {
            flipHorizontally(canvas);
        }
        System.arraycopy(canvas, 0, pixels, offset, canvas.length);
    }

    /**
     * The input halved (2×2 means) in the first quadrant and three images drawn at random, letterboxed at half
     * size, in the others; the input unchanged when one of those cannot be decoded.
     */
    private float[] mosaic(float[] first, List<Path> images, Random random) {
        float[] canvas = new float[imageLength()];
        int half = size / 2;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < half; y++) {
                for (int x = 0; x < half; x++) {
                    int source = (c * size + 2 * y) * size + 2 * x;
                    canvas[(c * size + y) * size + x] = (first[source] + first[source + 1] + first[source + size]
                            + first[source + size + 1]) / 4;
                }
            }
        }
        float[] part = new float[quadrant.inputLength()];
        boolean complete = true;
        for (int q = 1; q < 4; q++) {
            Path file = images.get(random.nextInt(images.size()));
            if (!complete) {
                continue;
            }
            try {
                quadrant.apply(ImageDecoder.decode(file), part, 0);
            } catch (UnreadableImageException e) {
                complete = false;
                continue;
            }
            int left = (q % 2) * half;
            int top = (q / 2) * half;
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < half; y++) {
                    System.arraycopy(part, (c * half + y) * half, canvas, (c * size + top + y) * size + left, half);
                }
            }
        }
        return complete ? canvas : first;
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
