package io.github.yoloslim.eval;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import io.github.yoloslim.data.CocoAnnotations;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CocoEvalMainTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return CocoEvalMain.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static Path parityCase(String name) throws URISyntaxException {
        return Path.of(CocoEvalMainTest.class.getResource("/coco-parity/" + name).toURI());
    }

    @Test
    void printsPycocotoolsStatsAsJson() throws Exception {
        Path dir = parityCase("ties");

        int status = run(dir.resolve("instances.json").toString(), dir.resolve("detections.json").toString());

        assertThat(status).as(err.toString(StandardCharsets.UTF_8)).isZero();
        ObjectMapper json = new ObjectMapper();
        JsonNode printed = json.readTree(out.toString(StandardCharsets.UTF_8));
        JsonNode expected = json.readTree(dir.resolve("expected.json").toFile());
        assertThat(printed.get("stats")).isEqualTo(expected.get("stats"));
        assertThat(printed.get("perCategory")).hasSize(expected.get("perCategory").size());
        assertThat(printed.get("perCategory").get(0).fieldNames()).toIterable()
                .containsExactly("categoryId", "ap", "ap50", "gtCount");
    }

    @Test
    void wrongArgumentsPrintUsageAndExitTwo() {
        assertThat(run("only-one.json")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage:", "<instances.json> <detections.json>");
        assertThat(out.size()).isZero();
    }

    @Test
    void missingFileExitsTwo(@TempDir Path tmp) {
        assertThat(run(tmp.resolve("nope.json").toString(), tmp.resolve("dets.json").toString())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("nope.json is not a readable file");
    }

    @Test
    void badInputExitsOneAndNamesTheProblem(@TempDir Path tmp) throws IOException, URISyntaxException {
        Path dets = tmp.resolve("dets.json");
        Files.writeString(dets, "[{\"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 1], \"score\": 1}]");

        int status = run(parityCase("basic").resolve("instances.json").toString(), dets.toString());

        assertThat(status).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("dets.json: line 1, column 44: [0].bbox must have 4 numbers");
    }

    @Test
    void detectionsOnImagesTheAnnotationsDoNotListAreRefusedAsPycocotoolsDoes(@TempDir Path tmp)
            throws IOException, URISyntaxException {
        Path dets = tmp.resolve("dets.json");
        DetectionsJson.write(dets, List.of(new Detection(424242, 1, 0, 0, 10, 10, .5)));

        int status = run(parityCase("basic").resolve("instances.json").toString(), dets.toString());

        assertThat(status).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("detection [0] is on image_id 424242");
    }

    @Test
    void aDetectionOnAnUnlistedImageDeepInALargeFileIsNamedByItsPosition(@TempDir Path tmp) throws Exception {
        Path instances = parityCase("basic").resolve("instances.json");
        long image = CocoAnnotations.read(instances).images().get(0).id();
        List<Detection> dts = new ArrayList<>();
        for (int j = 0; j < 150_000; j++) {
            dts.add(new Detection(image, 1, j % 300, 0, 10, 10, .5));
        }
        dts.add(new Detection(424242, 1, 0, 0, 10, 10, .5));
        dts.add(new Detection(424243, 1, 0, 0, 10, 10, .5));
        Path file = tmp.resolve("dets.json");
        DetectionsJson.write(file, dts);

        assertThat(run(instances.toString(), file.toString())).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("detection [150000] is on image_id 424242");
    }

    @Test
    void anErrorInTheAnnotationsIsReportedBeforeOneInTheDetections(@TempDir Path tmp) throws IOException {
        Path instances = tmp.resolve("instances.json");
        Files.writeString(instances, "{\"categories\": []}");
        Path dets = tmp.resolve("dets.json");
        Files.writeString(dets, "[1]");

        assertThat(run(instances.toString(), dets.toString())).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("instances.json: line 1, column 1: the top-level object has no \"images\"")
                .doesNotContain("dets.json");
    }
}
