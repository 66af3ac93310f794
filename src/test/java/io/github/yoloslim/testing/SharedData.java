package io.github.yoloslim.testing;

import io.github.yoloslim.data.Category;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.DatasetFormat;
import io.github.yoloslim.data.DatasetImage;
import io.github.yoloslim.data.DatasetLoader;
import io.github.yoloslim.data.GroundTruthBox;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The real model and COCO images beside the project ({@code ../shared}, or system property / environment
 * variable {@code yoloslim.shared} / {@code YOLOSLIM_SHARED}). Tests that need them skip when they are absent.
 */
public final class SharedData {

    private SharedData() {
    }

    /** The shared folder, which may not exist. */
    public static Path root() {
        String configured = System.getProperty("yoloslim.shared", System.getenv("YOLOSLIM_SHARED"));
        return Path.of(configured != null ? configured : "../shared").toAbsolutePath().normalize();
    }

    /** A file or folder under the shared folder; skips the calling test with a reason when it is missing. */
    public static Path require(String relative) {
        Path path = root().resolve(relative);
        Assumptions.assumeTrue(Files.exists(path), () -> "skipped: " + path
                + " is absent (real model/data live in ../shared; set -Dyoloslim.shared=<folder> to point at them)");
        return path;
    }

    /** COCO's 80 categories with their ids, as the shared annotations list them. */
    public static List<Category> cocoCategories() throws IOException {
        return DatasetLoader.loadCoco(require("data/coco-tiny/val2017"),
                require("data/coco-tiny/annotations/instances_val2017.json"), 1).dataset().categories();
    }

    /** A COCO set of the shared folder {@code shared}: {@code data/<set>/<split>} with its instances file. */
    public static Dataset coco(Path shared, String set, String split) throws IOException {
        return DatasetLoader.loadCoco(shared.resolve("data/" + set + "/" + split),
                shared.resolve("data/" + set + "/annotations/instances_" + split + ".json"), 0).dataset();
    }

    /**
     * The pooled 208 images the docs measure on: {@code coco-tiny/val2017} and {@code coco128/train2017} as one
     * set (their image ids are disjoint), evaluated together.
     */
    public static Dataset pooled208(Path shared) throws IOException {
        Dataset first = coco(shared, "coco-tiny", "val2017");
        Dataset second = coco(shared, "coco128", "train2017");
        List<DatasetImage> images = new ArrayList<>(first.images());
        images.addAll(second.images());
        images.sort(Comparator.comparingLong(DatasetImage::id));
        List<GroundTruthBox> boxes = new ArrayList<>(first.annotations());
        boxes.addAll(second.annotations());
        return new Dataset("pooled " + first.description() + " + " + second.description(), DatasetFormat.COCO,
                images, first.categories(), boxes);
    }
}
