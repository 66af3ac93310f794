package io.github.yoloslim.testing;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import javax.imageio.ImageIO;

/** Seeded random-noise images, for calibration tests that need varied pixels, and a truncated one. */
public final class SyntheticImages {

    private SyntheticImages() {
    }

    /** Writes {@code count} images {@code 1.png ...} of {@code size}×{@code size} into {@code folder}. */
    public static Path noise(Path folder, int count, int size, long seed) throws IOException {
        Files.createDirectories(folder);
        Random random = new Random(seed);
        for (int i = 1; i <= count; i++) {
            ImageIO.write(noiseImage(size, random), "png", folder.resolve(i + ".png").toFile());
        }
        return folder;
    }

    /**
     * Writes a noise JPEG cut off half way through its pixel data, as an interrupted download leaves it: the
     * decoder would fill the missing half with grey if nothing checked. The name's extension does not matter.
     */
    public static Path truncatedJpeg(Path file, int size, long seed) throws IOException {
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(noiseImage(size, new Random(seed)), "jpg", jpeg);
        byte[] whole = jpeg.toByteArray();
        Files.createDirectories(file.toAbsolutePath().getParent());
        return Files.write(file, Arrays.copyOf(whole, whole.length / 2));
    }

    private static BufferedImage noiseImage(int size, Random random) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < size; y++) {
            for (int x = 0; x < size; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }
}
