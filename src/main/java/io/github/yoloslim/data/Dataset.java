package io.github.yoloslim.data;

import java.util.List;

/**
 * An evaluation dataset in one shape whatever its layout on disk: images sorted by id, categories sorted by
 * id, and the ground-truth boxes in annotation order.
 */
public record Dataset(String description, DatasetFormat format, List<DatasetImage> images,
        List<Category> categories, List<GroundTruthBox> annotations) {
}
