package io.github.yoloslim.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** A parsed COCO {@code instances_*.json}: images, categories and box annotations, in file order. */
public record CocoAnnotations(List<CocoImage> images, List<Category> categories, List<GroundTruthBox> annotations) {

    /**
     * Reads a COCO instances file with a streaming parser.
     *
     * @throws io.github.yoloslim.InvalidInputException when the file does not parse or misses required fields
     *         (the message names the file and the JSON location)
     */
    public static CocoAnnotations read(Path file) throws IOException {
        throw new UnsupportedOperationException("being written");
    }
}
