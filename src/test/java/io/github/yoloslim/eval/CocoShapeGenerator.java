package io.github.yoloslim.eval;

import static io.github.yoloslim.eval.CocoFixtureGenerator.poisson;
import static io.github.yoloslim.eval.CocoFixtureGenerator.round;

import io.github.yoloslim.eval.CocoFixtureGenerator.Gt;
import io.github.yoloslim.eval.CocoFixtureGenerator.Img;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * COCO-shaped benchmark cases of several shapes, generated from a seed: the same shape and seed give the
 * same bytes. Detections are written as they are drawn, image by image, so a case of 30 million needs no
 * memory for them. Ground truth is COCO-like: 10 % of images without boxes, a few categories per image (the
 * first category, "person", on half of them or more), box sizes 41 % small, 34 % medium, 25 % large, each box's
 * {@code area} (a segmentation's, in COCO) 55 to 95 % of its box. Of the detections, a share lies near a
 * ground-truth box (jittered, or inside a crowd region when the box is one; 90 % with the box's category),
 * the rest anywhere with any category; scores have 5 decimals, so many tie.
 */
final class CocoShapeGenerator {

    /**
     * The knobs of one shape.
     *
     * @param wideIds image ids drawn from [1, 2^53) and category ids from [1, 2^31), both listed in random
     *        order (and detections written in that image order); otherwise images {@code 1000 + 7 i} in id
     *        order and categories {@code 1 + 3 k}
     * @param categoriesPerImage mean number of distinct categories an image with ground truth has boxes of
     * @param gtPerImage mean boxes on an image that has any
     * @param minDetections per image, uniform between this and {@code maxDetections}
     */
    record Shape(String name, long seed, int images, boolean wideIds, int categories, double emptyImageRate,
            double categoriesPerImage, double gtPerImage, double crowdRate, int minDetections, int maxDetections,
            double nearGtRate, String description) {
    }

    /** Counts of what a generated case holds. */
    record Written(int images, int boxes, int crowdBoxes, long detections) {
    }

    static final List<Shape> SHAPES = List.of(
            new Shape("val2017-like", 18, 5000, false, 80, 0.10, 2.9, 7.613, 0.05, 0, 100, 0.6,
                    "issue 18's case: 5 000 images, ids 1000+7i, 80 categories 1+3k, 5 % crowd, 0-100 detections"),
            new Shape("sparse-ids", 19, 5000, true, 80, 0.10, 2.9, 7.613, 0.05, 0, 100, 0.6,
                    "as val2017-like, image ids up to 2^53 and category ids up to 2^31, listed shuffled"),
            new Shape("many-categories", 20, 5000, false, 80, 0.02, 30, 40, 0.05, 100, 100, 0.6,
                    "30 categories and 40 boxes per image, 100 detections each"),
            new Shape("crowd", 21, 5000, false, 80, 0.10, 2.9, 7.613, 0.35, 0, 100, 0.6,
                    "35 % of the boxes crowd regions, detections inside them"),
            new Shape("dets-300", 22, 5000, false, 80, 0.10, 2.9, 7.613, 0.05, 300, 300, 0.6,
                    "300 detections on every image (a detector's max_det=300)"),
            new Shape("100k-images", 23, 100_000, false, 80, 0.10, 2.9, 7.613, 0.05, 0, 30, 0.6,
                    "100 000 images, 0-30 detections each"),
            new Shape("100k-x300", 24, 100_000, false, 80, 0.10, 2.9, 7.613, 0.05, 300, 300, 0.6,
                    "100 000 images x 300 detections (30 M), for the 2 GiB heap"));

    private static final int SCORE_DECIMALS = 5;

    private final Shape shape;
    private final SplittableRandom random;
    private final List<Img> images = new ArrayList<>();
    private final List<Integer> categoryIds = new ArrayList<>();
    private final List<Gt> gts = new ArrayList<>();
    private final int[] categoryOrder;
    private long detections;

    private CocoShapeGenerator(Shape shape) {
        this.shape = shape;
        this.random = new SplittableRandom(shape.seed());
        this.categoryOrder = new int[shape.categories()];
    }

    static Shape shape(String name) {
        return SHAPES.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no shape " + name + "; shapes: "
                        + SHAPES.stream().map(Shape::name).toList()));
    }

    /** Generates the case and writes {@code instances.json} and {@code detections.json} into {@code dir}. */
    static Written write(Shape shape, Path dir) throws IOException {
        Files.createDirectories(dir);
        CocoShapeGenerator g = new CocoShapeGenerator(shape);
        g.drawIds();
        Path detections = dir.resolve("detections.json");
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(detections), 1 << 16);
                DetectionsJson.Writer writer = new DetectionsJson.Writer(out)) {
            for (Img img : g.images) {
                g.image(img, writer);
            }
        }
        CocoFixtureGenerator.writeInstances(dir.resolve("instances.json"), shape.name(), g.gts, g.images,
                g.categoryIds);
        int crowd = (int) g.gts.stream().filter(a -> a.crowd() == 1).count();
        return new Written(g.images.size(), g.gts.size(), crowd, g.detections);
    }

    private void drawIds() {
        Set<Long> taken = new HashSet<>();
        for (int k = 0; k < shape.categories(); k++) {
            long id;
            do {
                id = shape.wideIds() ? 1 + random.nextInt(Integer.MAX_VALUE - 1) : 1 + 3L * k;
            } while (!taken.add(id));
            categoryIds.add((int) id);
        }
        taken.clear();
        for (int i = 0; i < shape.images(); i++) {
            long id;
            do {
                id = shape.wideIds() ? 1 + random.nextLong((1L << 53) - 1) : 1000 + 7L * i;
            } while (!taken.add(id));
            images.add(new Img(id, 480 + random.nextInt(161), 360 + random.nextInt(281)));
        }
        // Drawn ids are already in random order; step ids stay sorted, as COCO files list them.
    }

    private void image(Img img, DetectionsJson.Writer out) throws IOException {
        List<Gt> boxes = new ArrayList<>();
        int present = 0;
        if (random.nextDouble() >= shape.emptyImageRate()) {
            present = presentCategories();
            int n = 1 + poisson(random, shape.gtPerImage() - 1);
            for (int j = 0; j < n; j++) {
                int cat = categoryIds.get(categoryOrder[random.nextInt(present)]);
                boolean crowd = random.nextDouble() < shape.crowdRate();
                double[] box = crowd ? crowdBox(img) : box(img);
                double area = round(box[2] * box[3] * (0.55 + 0.4 * random.nextDouble()), 2);
                Gt gt = new Gt(gts.size() + 1, img.id(), cat, box, area, crowd ? 1 : 0);
                gts.add(gt);
                boxes.add(gt);
            }
        }
        int n = shape.minDetections() + random.nextInt(shape.maxDetections() - shape.minDetections() + 1);
        for (int j = 0; j < n; j++) {
            if (!boxes.isEmpty() && random.nextDouble() < shape.nearGtRate()) {
                Gt g = boxes.get(random.nextInt(boxes.size()));
                int cat = random.nextInt(10) == 0 ? categoryIds.get(categoryOrder[random.nextInt(present)])
                        : g.categoryId();
                double[] b = g.crowd() == 1 ? inside(g.box()) : jitter(g.box());
                out.write(detection(img.id(), cat, b, 0.05 + 0.95 * random.nextDouble()));
            } else {
                int cat = present > 0 && random.nextInt(10) < 7
                        ? categoryIds.get(categoryOrder[random.nextInt(present)])
                        : categoryIds.get(random.nextInt(categoryIds.size()));
                double u = random.nextDouble();
                out.write(detection(img.id(), cat, box(img), 0.001 + 0.5 * u * u));
            }
            detections++;
        }
    }

    /**
     * Picks the image's categories into the front of {@code categoryOrder} (a partial shuffle) and returns
     * how many; the first category is among them on at least half of the images, as COCO's person.
     */
    private int presentCategories() {
        int k = Math.min(shape.categories(), 1 + poisson(random, shape.categoriesPerImage() - 1));
        for (int c = 0; c < categoryOrder.length; c++) {
            categoryOrder[c] = c;
        }
        for (int c = random.nextBoolean() ? 1 : 0; c < k; c++) {
            int pick = c + random.nextInt(categoryOrder.length - c);
            int t = categoryOrder[c];
            categoryOrder[c] = categoryOrder[pick];
            categoryOrder[pick] = t;
        }
        return k;
    }

    private Detection detection(long imageId, int categoryId, double[] b, double score) {
        return new Detection(imageId, categoryId, b[0], b[1], b[2], b[3], round(score, SCORE_DECIMALS));
    }

    /** A box of a COCO-like size: 41 % small (side 4-30), 34 % medium (33-94), 25 % large (100-500). */
    private double[] box(Img img) {
        double u = random.nextDouble();
        double side = u < 0.41 ? uniform(4, 30) : u < 0.75 ? uniform(33, 94) : uniform(100, 500);
        return placed(img, side);
    }

    private double[] crowdBox(Img img) {
        return placed(img, uniform(40, 500));
    }

    private double[] placed(Img img, double side) {
        double aspect = Math.exp((random.nextDouble() - 0.5) * 1.6);
        double w = Math.min(img.width() - 1, side * aspect);
        double h = Math.min(img.height() - 1, side / aspect);
        return coordinates(random.nextDouble() * (img.width() - w), random.nextDouble() * (img.height() - h), w, h);
    }

    /** A detection near a box: IoU spread from about 0.3 to 1. */
    private double[] jitter(double[] b) {
        double s = 0.3 * Math.pow(random.nextDouble(), 1.5);
        double x = b[0] + b[2] * s * (random.nextDouble() * 2 - 1);
        double y = b[1] + b[3] * s * (random.nextDouble() * 2 - 1);
        double w = b[2] * (1 + s * (random.nextDouble() * 2 - 1));
        double h = b[3] * (1 + s * (random.nextDouble() * 2 - 1));
        return coordinates(x, y, w, h);
    }

    /** A detection of one member of a crowd: a box inside the region, 10 to 50 % of its sides. */
    private double[] inside(double[] region) {
        double w = region[2] * uniform(0.1, 0.5);
        double h = region[3] * uniform(0.1, 0.5);
        return coordinates(region[0] + random.nextDouble() * (region[2] - w),
                region[1] + random.nextDouble() * (region[3] - h), w, h);
    }

    /** Two decimals, as exporters write pixels; sides at least 1. */
    private static double[] coordinates(double x, double y, double w, double h) {
        return new double[] {round(x, 2), round(y, 2), Math.max(1, round(w, 2)), Math.max(1, round(h, 2))};
    }

    private double uniform(double lo, double hi) {
        return lo + (hi - lo) * random.nextDouble();
    }
}
