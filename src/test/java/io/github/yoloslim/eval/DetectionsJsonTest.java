package io.github.yoloslim.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.yoloslim.InvalidInputException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DetectionsJsonTest {

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
}
