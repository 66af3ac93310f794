package io.github.yoloslim.testing;

import com.fasterxml.jackson.databind.ObjectMapper;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A small COCO-layout dataset written in a test's folder: plain grey PNGs, each with one "person" box at the
 * same place, so a {@link TinyDetectors constant detector} can be made to hit or miss it exactly.
 */
public final class SyntheticCoco {

    /** The ground-truth box, {@code x, y, w, h}, in every image. */
    public static final double[] BOX = {16, 16, 32, 32};

    private SyntheticCoco() {
    }

    /**
     * Writes {@code <root>/val/1.png ...} and {@code <root>/annotations/instances_val.json}.
     *
     * @return the images folder
     */
    public static Path write(Path root, int images, int size) throws IOException {
        Path folder = Files.createDirectories(root.resolve("val"));
        List<Map<String, Object>> imageEntries = new ArrayList<>();
        List<Map<String, Object>> annotations = new ArrayList<>();
        for (int i = 1; i <= images; i++) {
            BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_3BYTE_BGR);
            ImageIO.write(image, "png", folder.resolve(i + ".png").toFile());
            imageEntries.add(Map.of("id", i, "file_name", i + ".png", "width", size, "height", size));
            annotations.add(Map.of("id", i, "image_id", i, "category_id", 1, "bbox", List.of(BOX[0], BOX[1], BOX[2],
                    BOX[3]), "area", BOX[2] * BOX[3], "iscrowd", 0));
        }
        Path json = Files.createDirectories(root.resolve("annotations")).resolve("instances_val.json");
        new ObjectMapper().writeValue(json.toFile(), Map.of("images", imageEntries, "annotations", annotations,
                "categories", List.of(Map.of("id", 1, "name", "person"), Map.of("id", 2, "name", "bicycle"))));
        return folder;
    }
}
