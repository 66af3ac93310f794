package io.github.yoloslim.eval;

import com.fasterxml.jackson.core.JsonGenerator;
import io.github.yoloslim.data.StreamingJson;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Deterministic random COCO cases (an instances file and a results file) for the parity fixtures under
 * {@code src/test/resources/coco-parity/}. The cases exercise what pycocotools is particular about: crowd
 * boxes, score ties, every box size, more than 100 detections on an image, categories without ground truth,
 * ids that are 0 or repeat, and annotations that must be left out.
 *
 * <p>{@code main(dir)} rewrites the parity inputs; their expected numbers come from real pycocotools (see
 * {@code coco-parity/README.md}).
 */
public final class CocoFixtureGenerator {

    /** The knobs of one case. */
    record Profile(String name, long seed, int images, int categories, double gtPerImage, double crowdRate,
            double fpPerImage, int crowdedCells, int scoreDecimals, boolean integerBoxes, boolean quirks) {
    }

    /** The parity cases; each name is a folder under {@code coco-parity/}. */
    static final List<Profile> PARITY = List.of(
            new Profile("basic", 11, 20, 5, 4, 0.05, 6, 0, -1, false, false),
            new Profile("ties", 12, 30, 6, 5, 0.05, 8, 1, 1, true, false),
            new Profile("crowded", 13, 40, 6, 6, 0.08, 20, 4, 2, false, false),
            new Profile("quirks", 14, 35, 7, 5, 0.1, 10, 2, 2, true, true),
            new Profile("mixed", 15, 60, 8, 7, 0.04, 12, 2, 3, false, true));

    /** A ground-truth annotation as written, with the optional keys a file may leave out. */
    record Gt(long id, long imageId, int categoryId, double[] box, Double area, Integer crowd) {
    }

    record Img(long id, int width, int height) {
    }

    private final Profile profile;
    private final SplittableRandom random;
    private final List<Img> images = new ArrayList<>();
    private final List<Integer> categoryIds = new ArrayList<>();
    private final List<Gt> gts = new ArrayList<>();
    private final List<Detection> detections = new ArrayList<>();

    private CocoFixtureGenerator(Profile profile) {
        this.profile = profile;
        this.random = new SplittableRandom(profile.seed());
    }

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "src/test/resources/coco-parity");
        for (Profile p : PARITY) {
            write(p, root.resolve(p.name()));
        }
    }

    /** Generates the case and writes {@code instances.json} and {@code detections.json} into {@code dir}. */
    static void write(Profile profile, Path dir) throws IOException {
        CocoFixtureGenerator g = new CocoFixtureGenerator(profile);
        g.generate();
        Files.createDirectories(dir);
        List<Integer> listed = new ArrayList<>(g.categoryIds);
        Collections.reverse(listed);
        writeInstances(dir.resolve("instances.json"), profile.name(), g.gts, g.images, listed);
        DetectionsJson.write(dir.resolve("detections.json"), g.detections);
    }

    private void generate() {
        // COCO-like category ids: sparse, listed out of order.
        int id = 1;
        for (int k = 0; k < profile.categories(); k++) {
            categoryIds.add(id);
            id += 1 + (random.nextInt(4) == 0 ? 1 + random.nextInt(3) : 0);
        }
        long imageId = 100;
        for (int i = 0; i < profile.images(); i++) {
            imageId += 1 + random.nextInt(profile.images() < 1000 ? 50 : 3);
            images.add(new Img(imageId, 320 + random.nextInt(400), 240 + random.nextInt(400)));
        }
        // The last category never has ground truth, the one before it only crowd boxes.
        int noGt = categoryIds.get(categoryIds.size() - 1);
        int crowdOnly = categoryIds.get(categoryIds.size() - 2);
        long annotationId = 1;
        for (Img img : images) {
            int n = poisson(profile.gtPerImage());
            for (int j = 0; j < n; j++) {
                int cat = categoryIds.get(random.nextInt(categoryIds.size() - 1));
                boolean crowd = cat == crowdOnly || random.nextDouble() < profile.crowdRate();
                double[] box = crowd ? largeBox(img) : box(img);
                double area = box[2] * box[3] * (0.5 + 0.5 * random.nextDouble());
                gts.add(new Gt(annotationId++, img.id(), cat, box, area, crowd ? 1 : 0));
                if (profile.quirks() && random.nextInt(15) == 0) {
                    // An identical box: IoU ties go to the later one.
                    gts.add(new Gt(annotationId++, img.id(), cat, box.clone(), area, 0));
                }
            }
        }
        if (profile.quirks()) {
            addQuirks(noGt);
        }
        fixtureDetections(noGt);
    }

    private void addQuirks(int noGt) {
        Img first = images.get(0);
        // Annotation id 0 (a match on it counts as unmatched) and a repeated id (the last one wins).
        // pycocotools needs area and iscrowd on evaluated boxes only.
        double[] b = box(first);
        gts.add(new Gt(0, first.id(), categoryIds.get(0), b, b[2] * b[3], 0));
        Gt repeated = gts.get(gts.size() / 2);
        b = box(images.get(3));
        gts.add(new Gt(repeated.id(), images.get(3).id(), categoryIds.get(1), b, b[2] * b[3], 0));
        // Left out: an image that is not listed, a category that is not listed.
        gts.add(new Gt(999_999, 7, categoryIds.get(0), new double[] {1, 2, 30, 40}, null, null));
        gts.add(new Gt(999_998, first.id(), noGt + 100, new double[] {1, 2, 30, 40}, 1200.0, 0));
        // Listed twice: pycocotools evaluates it once.
        images.add(images.get(5));
        // Annotations in a shuffled order matter only within an (image, category); keep that order.
        Collections.shuffle(gts.subList(0, gts.size() / 3), new java.util.Random(profile.seed()));
    }

    private void fixtureDetections(int noGt) {
        for (Gt g : gts) {
            if (random.nextDouble() < 0.8 && images.stream().anyMatch(img -> img.id() == g.imageId())) {
                int copies = 1 + random.nextInt(3);
                for (int c = 0; c < copies; c++) {
                    int cat = random.nextInt(10) == 0 ? categoryIds.get(random.nextInt(categoryIds.size()))
                            : g.categoryId();
                    if (!categoryIds.contains(cat)) {
                        continue;
                    }
                    detections.add(detection(g.imageId(), cat, jitter(g.box()), 0.3 + 0.7 * random.nextDouble()));
                }
            }
        }
        for (Img img : images) {
            int n = poisson(profile.fpPerImage());
            for (int j = 0; j < n; j++) {
                int cat = categoryIds.get(random.nextInt(categoryIds.size()));
                detections.add(detection(img.id(), cat, box(img), random.nextDouble() * 0.6));
            }
        }
        // Cells with more than 100 detections: the 100 best count.
        for (int c = 0; c < profile.crowdedCells(); c++) {
            Img img = images.get(random.nextInt(images.size()));
            int cat = categoryIds.get(random.nextInt(categoryIds.size() - 1));
            int n = 101 + random.nextInt(60);
            for (int j = 0; j < n; j++) {
                detections.add(detection(img.id(), cat, box(img), random.nextDouble()));
            }
        }
        detections.add(detection(images.get(1).id(), noGt, box(images.get(1)), 0.9));
        if (profile.quirks()) {
            // An unknown category: left out.
            detections.add(detection(images.get(2).id(), noGt + 100, box(images.get(2)), 0.95));
        }
        Collections.shuffle(detections, new java.util.Random(profile.seed() + 1));
    }

    private Detection detection(long imageId, int categoryId, double[] b, double score) {
        double s = profile.scoreDecimals() < 0 ? score : round(score, profile.scoreDecimals());
        return new Detection(imageId, categoryId, b[0], b[1], b[2], b[3], s);
    }

    /** A box whose area is spread over small, medium and large (side 2 to ~400 px, log-uniform). */
    private double[] box(Img img) {
        double side = Math.exp(Math.log(2) + random.nextDouble() * (Math.log(400) - Math.log(2)));
        double aspect = Math.exp((random.nextDouble() - 0.5) * 1.5);
        double w = Math.min(img.width() - 1, side * aspect);
        double h = Math.min(img.height() - 1, side / aspect);
        double x = random.nextDouble() * (img.width() - w);
        double y = random.nextDouble() * (img.height() - h);
        return coordinates(x, y, w, h);
    }

    private double[] largeBox(Img img) {
        double w = img.width() * (0.3 + 0.5 * random.nextDouble());
        double h = img.height() * (0.3 + 0.5 * random.nextDouble());
        return coordinates(random.nextDouble() * (img.width() - w), random.nextDouble() * (img.height() - h), w, h);
    }

    private double[] jitter(double[] b) {
        double s = 0.15 * random.nextDouble();
        double x = b[0] + b[2] * s * (random.nextDouble() * 2 - 1);
        double y = b[1] + b[3] * s * (random.nextDouble() * 2 - 1);
        double w = b[2] * (1 + s * (random.nextDouble() * 2 - 1));
        double h = b[3] * (1 + s * (random.nextDouble() * 2 - 1));
        return coordinates(x, y, Math.max(w, 1), Math.max(h, 1));
    }

    /** Integer pixels when the profile asks for exact IoU ties, else two decimals as exporters write. */
    private double[] coordinates(double x, double y, double w, double h) {
        int decimals = profile.integerBoxes() ? 0 : 2;
        return new double[] {round(x, decimals), round(y, decimals), Math.max(1, round(w, decimals)),
                Math.max(1, round(h, decimals))};
    }

    static double round(double v, int decimals) {
        double f = Math.pow(10, decimals);
        return Math.round(v * f) / f;
    }

    private int poisson(double mean) {
        return poisson(random, mean);
    }

    static int poisson(SplittableRandom random, double mean) {
        double l = Math.exp(-mean);
        double p = random.nextDouble();
        int k = 0;
        while (p > l) {
            p *= random.nextDouble();
            k++;
        }
        return k;
    }

    /** Writes an instances file: categories in the order given, annotations before images. */
    static void writeInstances(Path file, String name, List<Gt> gts, List<Img> images, List<Integer> categoryIds)
            throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16);
                JsonGenerator g = StreamingJson.FACTORY.createGenerator(out)) {
            g.writeStartObject();
            g.writeObjectFieldStart("info");
            g.writeStringField("description", "yolo-slim generated case " + name);
            g.writeEndObject();
            // Annotations before images: readers must not depend on key order.
            g.writeArrayFieldStart("annotations");
            for (Gt a : gts) {
                g.writeStartObject();
                g.writeArrayFieldStart("segmentation");
                g.writeStartArray();
                for (double v : new double[] {a.box()[0], a.box()[1], a.box()[0] + a.box()[2], a.box()[1]}) {
                    g.writeNumber(v);
                }
                g.writeEndArray();
                g.writeEndArray();
                if (a.area() != null) {
                    g.writeNumberField("area", a.area());
                }
                if (a.crowd() != null) {
                    g.writeNumberField("iscrowd", a.crowd());
                }
                g.writeNumberField("image_id", a.imageId());
                g.writeFieldName("bbox");
                g.writeArray(a.box(), 0, 4);
                g.writeNumberField("category_id", a.categoryId());
                g.writeNumberField("id", a.id());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("images");
            for (Img img : images) {
                g.writeStartObject();
                g.writeNumberField("id", img.id());
                g.writeStringField("file_name", String.format("%012d.jpg", img.id()));
                g.writeNumberField("width", img.width());
                g.writeNumberField("height", img.height());
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeArrayFieldStart("categories");
            for (int id : categoryIds) {
                g.writeStartObject();
                g.writeStringField("supercategory", "thing");
                g.writeNumberField("id", id);
                g.writeStringField("name", "category" + id);
                g.writeEndObject();
            }
            g.writeEndArray();
            g.writeEndObject();
        }
    }
}
