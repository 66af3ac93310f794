package io.github.yoloslim.data;

import io.github.yoloslim.cache.Sha256;

import java.io.IOException;
import java.util.List;

/**
 * An evaluation dataset in one shape whatever its layout on disk: images sorted by id, categories sorted by
 * id, and the ground-truth boxes in annotation order.
 */
public record Dataset(String description, DatasetFormat format, List<DatasetImage> images,
        List<Category> categories, List<GroundTruthBox> annotations) {

    /** Hashes what evaluation reads: images (bytes, sizes, ids), categories and every ground-truth box. */
    public String fingerprint() throws IOException {
        Sha256 hash = Sha256.builder().add("format", format);
        for (Category category : categories) {
            hash.add("category", category.id() + ":" + category.name());
        }
        for (DatasetImage image : images) {
            hash.add("image", image.id() + ":" + image.file().getFileName() + ":" + image.width() + "x"
                    + image.height());
            hash.addFile(image.file());
        }
        for (GroundTruthBox box : annotations) {
            hash.add("box", box);
        }
        return hash.hex();
    }
}
