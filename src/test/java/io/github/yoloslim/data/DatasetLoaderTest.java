package io.github.yoloslim.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.testing.SharedData;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DatasetLoaderTest {

    @TempDir
    Path dir;

    private Path root;

    /**
     * root/images/val: a.jpg (20x10), b.png (10x20), sub/c.jpg (stored 20x10, EXIF 6, displayed 10x20), z.jpg (no
     * labels); root/images/train is another split; root/data.yaml names cat, dog, bird.
     */
    @BeforeEach
    void yoloDataset() throws IOException {
        root = dir.resolve("pets");
        Path images = Files.createDirectories(root.resolve("images/val/sub"));
        Files.createDirectories(root.resolve("images/train"));
        Path labels = Files.createDirectories(root.resolve("labels/val/sub"));
        Files.write(images.resolveSibling("a.jpg"), TestImages.jpeg(TestImages.quadrants(20, 10)));
        Files.write(images.resolveSibling("b.png"), TestImages.png(TestImages.quadrants(10, 20)));
        Files.write(images.resolve("c.jpg"),
                TestImages.withExifOrientation(TestImages.jpeg(TestImages.quadrants(20, 10)), 6));
        Files.write(images.resolveSibling("z.jpg"), TestImages.jpeg(TestImages.quadrants(8, 8)));
        Files.writeString(images.resolveSibling("notes.txt"), "not an image");
        Files.writeString(labels.resolveSibling("a.txt"), "0 0.5 0.5 0.5 0.4\n2 0.25 0.5 0.5 1.0\n0 0.5 0.5 0.5 0.4\n");
        // A polygon: its bounding box is x 0.1..0.3, y 0.2..0.4.
        Files.writeString(labels.resolveSibling("b.txt"), "\n1 0.1 0.2 0.3 0.4 0.3 0.2\n\n");
        Files.writeString(labels.resolve("c.txt"), "1 0.5 0.5 1 1\n");
        Files.writeString(root.resolve("data.yaml"), "path: .\nval: images/val\nnames: [cat, dog, bird]\n");
    }

    @Test
    void loadsYoloRootFromItsValSplit() throws IOException {
        LoadedDataset loaded = DatasetLoader.load(root, null, null, 0);
        Dataset dataset = loaded.dataset();

        assertThat(dataset.format()).isEqualTo(DatasetFormat.YOLO);
        Path val = root.resolve("images/val");
        assertThat(dataset.images()).containsExactly(
                new DatasetImage(1, val.resolve("a.jpg"), 20, 10),
                new DatasetImage(2, val.resolve("b.png"), 10, 20),
                new DatasetImage(3, val.resolve("sub/c.jpg"), 10, 20),
                new DatasetImage(4, val.resolve("z.jpg"), 8, 8));
        assertThat(dataset.categories()).containsExactly(new Category(0, "cat"), new Category(1, "dog"),
                new Category(2, "bird"));
        List<GroundTruthBox> boxes = dataset.annotations();
        assertThat(boxes).extracting(GroundTruthBox::id).containsExactly(1L, 2L, 3L, 4L);
        assertThat(boxes).extracting(GroundTruthBox::imageId).containsExactly(1L, 1L, 2L, 3L);
        assertThat(boxes).extracting(GroundTruthBox::categoryId).containsExactly(0, 2, 1, 1);
        assertBox(boxes.get(0), 5, 3, 10, 4);
        assertBox(boxes.get(1), 0, 0, 10, 10);
        assertBox(boxes.get(2), 1, 4, 2, 4);
        // Normalised to the displayed (rotated) size.
        assertBox(boxes.get(3), 0, 0, 10, 20);
        assertThat(boxes.get(0).area()).isCloseTo(40, within(1e-4));
        assertThat(boxes).noneMatch(GroundTruthBox::crowd);
        assertThat(loaded.notes()).containsExactly("1 image has no label file: no objects, as in Ultralytics",
                "1 duplicate label line removed, as Ultralytics does: a.txt:3");
        assertThat(loaded.summary()).isEqualTo("YOLO dataset " + root + " with data.yaml: 4 images, 4 boxes, "
                + "3 categories");
    }

    @Test
    void mapsImagesToLabelsAsUltralytics() {
        Path base = dir.toAbsolutePath();

        assertThat(DatasetLoader.labelFile(base.resolve("d/images/val/x.jpg")))
                .isEqualTo(base.resolve("d/labels/val/x.txt"));
        // Only the last "images" folder changes.
        assertThat(DatasetLoader.labelFile(base.resolve("images/a/images/b/x.y.png")))
                .isEqualTo(base.resolve("images/a/labels/b/x.y.txt"));
        assertThat(DatasetLoader.labelFile(base.resolve("pics/x.jpg"))).isEqualTo(base.resolve("pics/x.txt"));
    }

    @Test
    void detectsTheLayout() throws IOException {
        Path coco = Files.createDirectories(dir.resolve("coco/val2017"));

        assertThat(DatasetLoader.detectFormat(root)).isEqualTo(DatasetFormat.YOLO);
        assertThat(DatasetLoader.detectFormat(root.resolve("images/val"))).isEqualTo(DatasetFormat.YOLO);
        assertThat(DatasetLoader.detectFormat(root.resolve("data.yaml"))).isEqualTo(DatasetFormat.YOLO);
        assertThat(DatasetLoader.detectFormat(coco)).isEqualTo(DatasetFormat.COCO);
    }

    @Test
    void loadsFromDataYamlWithIndexedNames() throws IOException {
        Path yaml = Files.writeString(root.resolve("custom.yaml"),
                "path: .\nval: images/val\nnames:\n  0: cat\n  1: dog\n  2: bird\n");

        Dataset dataset = DatasetLoader.load(yaml, null, null, 0).dataset();

        assertThat(dataset.images()).hasSize(4);
        assertThat(dataset.annotations()).hasSize(4);
        assertThat(dataset.categories()).extracting(Category::name).containsExactly("cat", "dog", "bird");
    }

    @Test
    void loadsASplitFolderWithTheRootsNames() throws IOException {
        Dataset dataset = DatasetLoader.load(root.resolve("images/val"), null, null, 0).dataset();

        assertThat(dataset.images()).hasSize(4);
        assertThat(dataset.categories()).extracting(Category::name).containsExactly("cat", "dog", "bird");
    }

    @Test
    void usesTheCallersNamesWithoutDataYaml() throws IOException {
        Files.delete(root.resolve("data.yaml"));

        Dataset dataset = DatasetLoader.load(root, null, List.of("cat", "dog", "bird"), 0).dataset();

        assertThat(dataset.categories()).extracting(Category::name).containsExactly("cat", "dog", "bird");
        assertThatThrownBy(() -> DatasetLoader.load(root, null, null, 0)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("has no class names").hasMessageContaining("data.yaml");
    }

    @Test
    void keepsTheFirstImagesById() throws IOException {
        LoadedDataset loaded = DatasetLoader.load(root, null, null, 2);

        assertThat(loaded.dataset().images()).extracting(DatasetImage::id).containsExactly(1L, 2L);
        assertThat(loaded.dataset().annotations()).extracting(GroundTruthBox::imageId).containsOnly(1L, 2L);
        assertThat(loaded.availableImages()).isEqualTo(4);
        assertThat(loaded.summary()).contains("2 images (first 2 of 4 by id)");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "0 0.5 0.5 0.5        | expected 'class cx cy w h' (5 numbers)",
        "0 0.5 x 0.5 0.5      | 'x' is not a number",
        "7 0.5 0.5 0.5 0.5    | class '7' is not one of the 3 class indices (0..2)",
        "0.5 0.5 0.5 0.5 0.5  | class '0.5' is not one of the 3 class indices",
        "-1 0.5 0.5 0.5 0.5   | class '-1' is not one of the 3 class indices",
        "0 0.5 0.5 1.5 0.5    | coordinate '1.5' is out of range"})
    void reportsMalformedLabelLinesWithFileAndLine(String line, String message) throws IOException {
        Path label = root.resolve("labels/val/a.txt");
        Files.writeString(label, "0 0.5 0.5 0.5 0.4\n" + line + "\n");

        assertThatThrownBy(() -> DatasetLoader.load(root, null, null, 0)).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith(label + ":2: " + message).hasMessageEndingWith("; fix the line"
                        + (message.startsWith("class") ? " or the class names" : ""));
    }

    @Test
    void unreadableYoloImageIsKeptWithoutBoxesForTheUnreadableImagePolicy() throws IOException {
        Path bad = Files.write(root.resolve("images/val/bad.jpg"), new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 1});
        Files.writeString(root.resolve("labels/val/bad.txt"), "0 0.5 0.5 0.5 0.5\n");

        LoadedDataset loaded = DatasetLoader.load(root, null, null, 0);
        assertThat(loaded.dataset().images()).contains(new DatasetImage(3, bad, 0, 0));
        assertThat(loaded.dataset().annotations()).noneMatch(box -> box.imageId() == 3);
        assertThat(loaded.notes()).contains("1 image could not be read and is left to <onUnreadableImage>");
    }

    @Test
    void emptyDatasetIsAnInputError() throws IOException {
        Path empty = Files.createDirectories(dir.resolve("empty/images"));
        Files.createDirectories(dir.resolve("empty/labels"));

        assertThatThrownBy(() -> DatasetLoader.load(empty.getParent(), null, List.of("a"), 0))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("dataset " + empty.getParent() + " has no images")
                .hasMessageContaining("point <dataset> at the folder that holds the images");
    }

    @Test
    void severalSplitsWithoutValAreAmbiguous() throws IOException {
        Path other = dir.resolve("other");
        Files.createDirectories(other.resolve("images/train"));
        Files.createDirectories(other.resolve("images/test"));
        Files.createDirectories(other.resolve("labels"));

        assertThatThrownBy(() -> DatasetLoader.load(other, null, List.of("a"), 0))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("several splits (test, train)")
                .hasMessageContaining("point <dataset> at images/<split>");
    }

    @Test
    void missingFolderNamesTheParameter() {
        Path missing = dir.resolve("nowhere");

        assertThatThrownBy(() -> DatasetLoader.load(missing, null, null, 0)).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("<dataset> " + missing.toAbsolutePath() + " does not exist");
    }

    @Test
    void assemblesCocoInIdOrderAndCountsUnlistedFiles() throws IOException {
        Path images = Files.createDirectories(dir.resolve("coco/val2017"));
        for (String name : List.of("img1.jpg", "img2.jpg", "extra.jpg")) {
            Files.write(images.resolve(name), new byte[] {1});
        }
        Path json = dir.resolve("coco/annotations/instances_val2017.json");
        CocoAnnotations coco = new CocoAnnotations(
                List.of(new CocoImage(20, "img2.jpg", 30, 40), new CocoImage(10, "img1.jpg", 50, 60)),
                List.of(new Category(3, "cat"), new Category(1, "person")),
                List.of(box(5, 20), box(6, 10), box(7, 20)));

        LoadedDataset loaded = DatasetLoader.assembleCoco(images, json, coco, 0);

        assertThat(loaded.dataset().format()).isEqualTo(DatasetFormat.COCO);
        assertThat(loaded.dataset().images()).containsExactly(new DatasetImage(10, images.resolve("img1.jpg"), 50, 60),
                new DatasetImage(20, images.resolve("img2.jpg"), 30, 40));
        assertThat(loaded.dataset().categories()).extracting(Category::id).containsExactly(1, 3);
        assertThat(loaded.dataset().annotations()).extracting(GroundTruthBox::id).containsExactly(5L, 6L, 7L);
        assertThat(loaded.ignoredImages()).isEqualTo(1);
        assertThat(loaded.notes()).containsExactly("1 image file in " + images
                + " not listed in instances_val2017.json ignored");

        LoadedDataset first = DatasetLoader.assembleCoco(images, json, coco, 1);
        assertThat(first.dataset().images()).extracting(DatasetImage::id).containsExactly(10L);
        assertThat(first.dataset().annotations()).extracting(GroundTruthBox::id).containsExactly(6L);
    }

    @Test
    void missingCocoImagesAreListedWithTheirCount() throws IOException {
        Path images = Files.createDirectories(dir.resolve("coco/val2017"));
        Path json = dir.resolve("coco/annotations/instances_val2017.json");
        List<CocoImage> listed = new ArrayList<>();
        for (int i = 1; i <= 8; i++) {
            listed.add(new CocoImage(i, "img" + i + ".jpg", 10, 10));
        }
        CocoAnnotations coco = new CocoAnnotations(listed, List.of(), List.of());

        assertThatThrownBy(() -> DatasetLoader.assembleCoco(images, json, coco, 0))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith(json + " lists 8 images missing from " + images
                        + ": img1.jpg, img2.jpg, img3.jpg, img4.jpg, img5.jpg and 3 more")
                .hasMessageContaining("<dataset>").hasMessageContaining("<annotations>");
    }

    @Test
    void cocoWithoutImagesOrWithDuplicateIdsIsAnInputError() throws IOException {
        Path images = Files.createDirectories(dir.resolve("coco/val2017"));
        Path json = dir.resolve("coco/annotations/instances_val2017.json");

        assertThatThrownBy(() -> DatasetLoader.assembleCoco(images, json,
                new CocoAnnotations(List.of(), List.of(), List.of()), 0)).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("dataset " + images + " has no images: " + json + " lists none");
        assertThatThrownBy(() -> DatasetLoader.assembleCoco(images, json, new CocoAnnotations(
                List.of(new CocoImage(4, "a.jpg", 1, 1), new CocoImage(4, "b.jpg", 1, 1)), List.of(), List.of()), 0))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("lists image id 4 twice");
    }

    @Test
    void aDatasetWithoutGroundTruthBoxesIsRefusedSayingSo() throws IOException {
        Path images = Files.createDirectories(dir.resolve("coco/val2017"));
        Files.write(images.resolve("a.jpg"), new byte[] {1});
        Files.write(images.resolve("b.jpg"), new byte[] {1});
        Path json = Files.createDirectories(dir.resolve("coco/annotations")).resolve("instances_val2017.json");
        Files.writeString(json, "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\", \"width\": 4, \"height\": 4},"
                + " {\"id\": 2, \"file_name\": \"b.jpg\", \"width\": 4, \"height\": 4}],"
                + " \"categories\": [{\"id\": 1, \"name\": \"person\"}]}");

        assertThatThrownBy(() -> DatasetLoader.load(images, null, null, 0)).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith(json + " has no ground-truth boxes (no \"annotations\" array, or an empty one)")
                .hasMessageContaining("<annotations>");
        CocoAnnotations secondOnly = new CocoAnnotations(List.of(new CocoImage(1, "a.jpg", 4, 4),
                new CocoImage(2, "b.jpg", 4, 4)), List.of(new Category(1, "person")), List.of(box(1, 2)));
        assertThatThrownBy(() -> DatasetLoader.assembleCoco(images, json, secondOnly, 1))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("none of the 1 images selected from " + json + " has a ground-truth box")
                .hasMessageContaining("<maxEvaluationImages>");

        try (var labels = Files.list(root.resolve("labels/val"))) {
            for (Path label : labels.filter(Files::isRegularFile).toList()) {
                Files.delete(label);
            }
        }
        Files.delete(root.resolve("labels/val/sub/c.txt"));
        assertThatThrownBy(() -> DatasetLoader.load(root, null, null, 0)).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("YOLO dataset " + root + " has no ground-truth boxes");
    }

    @Test
    void findsCocoAnnotationsWhereCoco2017PutsThem() throws IOException {
        Path images = Files.createDirectories(dir.resolve("coco/val2017"));
        Path expected = dir.resolve("coco/annotations/instances_val2017.json").toAbsolutePath();

        assertThat(DatasetLoader.defaultAnnotations(images)).isEqualTo(expected);
        assertThatThrownBy(() -> DatasetLoader.load(images, null, null, 0)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("expected " + expected).hasMessageContaining("set <annotations>");
        Path given = dir.resolve("nope.json");
        assertThatThrownBy(() -> DatasetLoader.load(images, given, null, 0)).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("<annotations> " + given + " does not exist");
    }

    @Test
    void assemblesCocoTinyFromSharedData() throws IOException {
        Path images = SharedData.require("data/coco-tiny/val2017");
        LoadedDataset loaded = DatasetLoader.load(images, null, null, 0);

        assertCocoTiny(loaded);
        // The sizes in the json are the displayed sizes the decoder reports.
        for (DatasetImage image : loaded.dataset().images()) {
            assertThat(ImageDecoder.readSize(image.file())).as(image.file().toString())
                    .isEqualTo(new ImageSize(image.width(), image.height()));
        }
    }

    @Test
    void onlyFormatsTheDecoderReadsCountAsImages() {
        assertThat(Stream.of("a.jpg", "b.JPEG", "c.png", "d.bmp", "e.mpo").map(Path::of))
                .allMatch(DatasetLoader::isImageFile);
        assertThat(Stream.of("a.webp", "b.tiff", "c.tif", "d.heic", "e.dng", "f.pfm", "g.txt", "jpg").map(Path::of))
                .noneMatch(DatasetLoader::isImageFile);
    }

    private static void assertCocoTiny(LoadedDataset loaded) {
        Dataset dataset = loaded.dataset();
        assertThat(dataset.images()).hasSize(80);
        assertThat(dataset.images()).extracting(DatasetImage::id).isSorted();
        assertThat(dataset.annotations()).hasSize(815);
        assertThat(dataset.annotations()).filteredOn(GroundTruthBox::crowd).hasSize(11);
        assertThat(dataset.categories()).hasSize(80).extracting(Category::id).isSorted();
        assertThat(dataset.categories().get(0)).isEqualTo(new Category(1, "person"));
        assertThat(dataset.categories().get(79)).isEqualTo(new Category(90, "toothbrush"));
        assertThat(loaded.ignoredImages()).isZero();
        assertThat(loaded.summary()).endsWith("80 images, 815 boxes (11 crowd), 80 categories");
    }

    private static GroundTruthBox box(long id, long imageId) {
        return new GroundTruthBox(id, imageId, 1, 0, 0, 1, 1, 1, false);
    }

    private static void assertBox(GroundTruthBox box, double x, double y, double width, double height) {
        assertThat(new double[] {box.x(), box.y(), box.width(), box.height()})
                .containsExactly(new double[] {x, y, width, height}, within(1e-4));
    }
}
