package io.github.yoloslim.testing;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;

/** Seeded random-noise PNGs, for calibration tests that need images with varied pixels. */
public final class SyntheticImages {

    private SyntheticImages() {
    }

    /** Writes {@code count} images {@code 1.png ...} of {@code size}×{@code size} into {@code folder}. */
    public static Path noise(Path folder, int count, int size, long seed) throws IOException {
        Files.createDirectories(folder);
        Random random = new Random(seed);
        for (int i = 1; i <= count; i++) {
            BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < size; y++) {
                for (int x = 0; x < size; x++) {
                    image.setRGB(x, y, random.nextInt(1 << 24));
                }
            }
            ImageIO.write(image, "png", folder.resolve(i + ".png").toFile());
        }
        return folder;
    }
}
