package io.github.yoloslim.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.Category;
import io.github.yoloslim.data.GroundTruthBox;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DetectionsJsonTest {

    private final ExecutorService pool = Executors.newFixedThreadPool(2);

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    private static List<Detection> read(String json) throws IOException {
        return DetectionsJson.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "dets.json");
    }

    @Test
    void roundTripIsExactAndTheBytesAreDeterministic(@TempDir Path tmp) throws IOException {
        List<Detection> dts = List.of(new Detection(139, 1, 412.8, 157.61, 53.05, 138.01, 0.9999999999999999),
                new Detection(9_000_000_000L, 90, 0.1 + 0.2, 1e-300, 1234567.0, 3, Double.MIN_VALUE),
                new Detection(0, -5, -1.5, 0, 0, 0, 0));
        Path file = tmp.resolve("d.json");

        DetectionsJson.write(file, dts);
        ByteArrayOutputStream again = new ByteArrayOutputStream();
        DetectionsJson.write(again, dts);

        assertThat(DetectionsJson.read(file)).isEqualTo(dts);
        assertThat(again.toByteArray()).isEqualTo(Files.readAllBytes(file));
        assertThat(Files.readString(file)).startsWith(
                "[{\"image_id\":139,\"category_id\":1,\"bbox\":[412.8,157.61,53.05,138.01],\"score\":0.9999999999999999}");
    }

    @Test
    void keysMayComeInAnyOrderAndOthersAreSkipped() throws IOException {
        List<Detection> dts = read("""
                [{"score": 0.5, "segmentation": {"counts": "abc", "size": [2, 2]}, "bbox": [1, 2, 3, 4],
                  "extra": [[1], {"a": null}], "category_id": 7, "image_id": 3, "id": 99}]""");

        assertThat(dts).containsExactly(new Detection(3, 7, 1, 2, 3, 4, 0.5));
    }

    @Test
    void emptyArrayIsNoDetections() throws IOException {
        assertThat(read("[]")).isEmpty();
    }

    @Test
    void missingKeyNamesTheElementAndWhereItStarts() {
        assertThatThrownBy(() -> read("[\n{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1, 1]}]"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("dets.json: line 2, column 1: [0] (the object starting here) has no \"score\"");
    }

    @Test
    void wrongTypeNamesTheKeyAndTheValue() {
        assertThatThrownBy(() -> read("[{\"image_id\": \"12\", \"category_id\": 1, \"bbox\": [0,0,1,1], \"score\": 1}]"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("dets.json: line 1, column 15: [0].image_id must be an integer, found the string \"12\"");
    }

    @Test
    void brokenJsonNamesLineAndColumn() {
        assertThatThrownBy(() -> read("[{\"image_id\": 1,\n  \"score\": NaN}]"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("dets.json: not valid JSON at line 2, column 15: Non-standard token 'NaN'");
    }

    @Test
    void topLevelMustBeAnArray() {
        assertThatThrownBy(() -> read("{\"annotations\": []}"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("dets.json: line 1, column 1: expected a JSON array of COCO detection results, "
                        + "found an object");
    }

    /** {@code n} detections on 500 images and 20 categories, scores with 3 decimals (so that many tie). */
    private static List<Detection> randomDetections(int n) {
        SplittableRandom random = new SplittableRandom(5);
        List<Detection> dts = new ArrayList<>();
        for (int j = 0; j < n; j++) {
            dts.add(new Detection(random.nextInt(500), 1 + random.nextInt(20), random.nextInt(600) / 2.0,
                    random.nextInt(600) / 2.0, 10 + random.nextInt(200), 10 + random.nextInt(200),
                    random.nextInt(1000) / 1000.0));
        }
        return dts;
    }

    /** An evaluation that depends on every detection and on their order (score ties): every 4th is a box. */
    private static CocoEvalResult evaluate(List<Detection> boxes, DetectionTable dts) {
        List<GroundTruthBox> gts = new ArrayList<>();
        for (int j = 0; j < boxes.size(); j += 4) {
            Detection d = boxes.get(j);
            gts.add(new GroundTruthBox(j + 1, d.imageId(), d.categoryId(), d.x(), d.y(), d.width(), d.height(),
                    d.width() * d.height(), j % 40 == 0));
        }
        List<Category> categories = IntStream.rangeClosed(1, 20).mapToObj(c -> new Category(c, "c" + c)).toList();
        return new CocoEvaluator(2).evaluate(categories, IntStream.range(0, 500).asLongStream().toArray(), gts,
                dts);
    }

    @Test
    void aLargeFileIsReadInChunksWithTheResultOfOnePiece(@TempDir Path tmp) throws IOException {
        List<Detection> dts = randomDetections(200_000);
        Path file = tmp.resolve("d.json");
        DetectionsJson.write(file, dts);

        DetectionTable chunked = DetectionsJson.readTable(file, pool, 2);

        assertThat(Files.size(file)).isGreaterThan(4L * DetectionsJson.SPLIT_MIN);
        assertThat(chunked.chunks).hasSizeGreaterThan(2);
        assertThat(chunked.chunks.stream().mapToInt(DetectionTable.Chunk::size).sum()).isEqualTo(dts.size());
        assertThat(evaluate(dts, chunked)).isEqualTo(evaluate(dts, DetectionTable.of(DetectionsJson.read(file))));
    }

    @Test
    void aPrettyPrintedFileIsCutBetweenElementsToo(@TempDir Path tmp) throws IOException {
        List<Detection> dts = randomDetections(100_000);
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        DetectionsJson.write(json, dts);
        Path file = tmp.resolve("d.json");
        String compact = json.toString(StandardCharsets.UTF_8);
        String elements = compact.substring(1, compact.length() - 1).replace("},{", "},\n  {");
        Files.writeString(file, "\n[\n  " + elements + "\n]\n");

        DetectionTable chunked = DetectionsJson.readTable(file, pool, 2);

        assertThat(chunked.chunks).hasSizeGreaterThan(2);
        assertThat(evaluate(dts, chunked)).isEqualTo(evaluate(dts, DetectionTable.of(dts)));
    }

    @Test
    void aCutInsideAStringIsFoundOutAndTheFileReadInOnePiece(@TempDir Path tmp) throws IOException {
        List<Detection> dts = randomDetections(200_000);
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        DetectionsJson.write(json, dts);
        Path file = tmp.resolve("d.json");
        // Every element carries the cut pattern in a string, so the first cut falls inside one.
        Files.writeString(file,
                json.toString(StandardCharsets.UTF_8).replace("\"score\":", "\"note\":\"},{\",\"score\":"));

        DetectionTable read = DetectionsJson.readTable(file, pool, 2);

        // Read in one piece: fewer detections than a chunk holds make one chunk.
        assertThat(read.chunks).hasSize(1);
        assertThat(evaluate(dts, read)).isEqualTo(evaluate(dts, DetectionTable.of(dts)));
    }

    @Test
    void anErrorInALargeFileIsNamedAsInOnePiece(@TempDir Path tmp) throws IOException {
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        DetectionsJson.write(json, randomDetections(100_000));
        String good = json.toString(StandardCharsets.UTF_8);
        String bad = good.substring(0, good.length() - 1) + ",{\"image_id\":1,\"category_id\":1,\"bbox\":[0,0,1,1]}]";
        Path file = tmp.resolve("dets.json");
        Files.writeString(file, bad);

        assertThatThrownBy(() -> DetectionsJson.readTable(file, pool, 2))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage(file + ": line 1, column " + (good.length() + 1)
                        + ": [100000] (the object starting here) has no \"score\"");
    }
}
