package io.github.yoloslim.data;

import io.github.yoloslim.InvalidInputException;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where an evaluation dataset is, as configured.
 *
 * @param location a COCO images folder, or a YOLO dataset root (or its {@code data.yaml})
 * @param annotations the COCO instances file, or empty to find it beside the images folder
 * @param format the layout, or empty to detect it
 * @param maxImages evaluate only the first this many images by id, 0 for all
 */
public record DatasetSpec(Path location, Optional<Path> annotations, Optional<DatasetFormat> format, int maxImages) {

    public DatasetSpec {
        if (maxImages < 0) {
            throw new InvalidInputException("<maxImages>" + maxImages + "</maxImages> is out of range: use 0 for "
                    + "all images or a positive count.");
        }
    }
}
