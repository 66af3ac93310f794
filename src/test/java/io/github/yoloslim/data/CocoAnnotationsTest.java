package io.github.yoloslim.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.github.yoloslim.InvalidInputException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class CocoAnnotationsTest {

    private static CocoAnnotations read(String json) throws IOException {
        return CocoAnnotations.read(new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)),
                "instances.json");
    }

    @Test
    void readsImagesCategoriesAndBoxesInFileOrderWhateverTheKeyOrder() throws IOException {
        CocoAnnotations a = read("""
                {"info": {"year": 2017, "nested": [1, {"x": [2]}]},
                 "annotations": [
                   {"segmentation": [[1, 2, 3, 4, 5, 6]], "area": 702.1, "iscrowd": 0, "image_id": 289343,
                    "bbox": [473.07, 395.93, 38.65, 28.67], "category_id": 18, "id": 1768},
                   {"id": 900100, "category_id": 1, "image_id": 289343, "bbox": [0, 1, 10, 20],
                    "iscrowd": 1, "segmentation": {"counts": [0, 5], "size": [2, 3]}},
                   {"bbox": [1, 1, 2, 2], "id": 5, "image_id": 7, "category_id": 1, "iscrowd": true, "area": 3}],
                 "categories": [{"supercategory": "animal", "id": 18, "name": "dog"}, {"id": 1, "name": "person"}],
                 "images": [{"license": 1, "file_name": "000000289343.jpg", "height": 640, "width": 529,
                             "id": 289343, "coco_url": "http://x"}],
                 "licenses": []}""");

        assertThat(a.images()).containsExactly(new CocoImage(289343, "000000289343.jpg", 529, 640));
        assertThat(a.categories()).containsExactly(new Category(18, "dog"), new Category(1, "person"));
        assertThat(a.annotations()).containsExactly(
                new GroundTruthBox(1768, 289343, 18, 473.07, 395.93, 38.65, 28.67, 702.1, false),
                // No area: width * height.
                new GroundTruthBox(900100, 289343, 1, 0, 1, 10, 20, 200, true),
                new GroundTruthBox(5, 7, 1, 1, 1, 2, 2, 3, true));
    }

    @Test
    void missingIscrowdMeansNotCrowdAndMissingAnnotationsMeansNone() throws IOException {
        CocoAnnotations a = read("""
                {"images": [], "categories": [],
                 "annotations": [{"id": 1, "image_id": 2, "category_id": 3, "bbox": [0, 0, 4, 5], "area": 9}]}""");
        CocoAnnotations none = read("{\"images\": [], \"categories\": []}");

        assertThat(a.annotations().get(0).crowd()).isFalse();
        assertThat(none.annotations()).isEmpty();
    }

    @Test
    void missingRequiredFieldNamesFileElementAndLocation() {
        assertThatThrownBy(() -> read("""
                {"images": [], "categories": [],
                 "annotations": [
                   {"id": 1, "image_id": 2, "category_id": 3, "bbox": [0, 0, 4, 5]},
                   {"id": 2, "image_id": 2, "bbox": [0, 0, 4, 5]}]}"""))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("instances.json: line 4, column 4: annotations[1] (the object starting here) has no "
                        + "\"category_id\"");
    }

    @Test
    void wrongTypeNamesTheFieldAndWhatWasFound() {
        assertThatThrownBy(() -> read("{\"images\": [{\"id\": 1.5, \"file_name\": \"a.jpg\", \"width\": 1, "
                + "\"height\": 1}], \"categories\": []}"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("instances.json: line 1, column 20: images[0].id must be an integer, found 1.5");
        assertThatThrownBy(() -> read("{\"images\": [], \"categories\": [], \"annotations\": [{\"id\": 1, "
                + "\"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 2, 3]}]}"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("annotations[0].bbox must have 4 numbers [x, y, width, height], found 3");
    }

    @Test
    void invalidJsonNamesFileLineAndColumn(@org.junit.jupiter.api.io.TempDir Path tmp) throws IOException {
        Path file = tmp.resolve("broken.json");
        Files.writeString(file, "{\"images\": [\n  {\"id\": 1,,}\n]}");

        assertThatThrownBy(() -> CocoAnnotations.read(file))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith(file + ": not valid JSON at line 2, column 12: Unexpected character (','");
    }

    @Test
    void truncatedJsonSaysWhereItEndsAndWhatWasExpected(@org.junit.jupiter.api.io.TempDir Path tmp)
            throws IOException {
        Path file = tmp.resolve("instances.json");
        Files.writeString(file, "{\"images\": [{\"id\": 1, \"file_name\": \"a.jpg\", \"width\": 4, \"height\": 4}],\n"
                + " \"categories\": [{\"id\": 1, \"name\": \"person\"}],\n"
                + " \"annotations\": [{\"id\": 1, \"image_id\": 1, \"category_id\": 1, \"bbox\": [0, 0, 2, 2]},\n"
                + "  {\"id\": 2, \"image_id\": 1, \"category_id\": 1, \"bbox\": [1, 1,");

        assertThatThrownBy(() -> CocoAnnotations.read(file))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage(file + ": the JSON ends at line 4, column 60 inside annotations[1].bbox, an array; "
                        + "expected another element or ']'. The file is truncated: copy or download it again.");
        Files.writeString(file, "{\"images\": [{\"id\": 1, \"file_name\": \"a.j");
        assertThatThrownBy(() -> CocoAnnotations.read(file))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("inside images[0].file_name, a string; expected its closing quote");
    }

    @Test
    void notAnInstancesFileSaysWhatIsMissing() {
        assertThatThrownBy(() -> read("{\"categories\": []}"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("instances.json: line 1, column 1: the top-level object has no \"images\" array; "
                        + "expected a COCO instances file");
        assertThatThrownBy(() -> read("[]"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessage("instances.json: line 1, column 1: expected a JSON object (a COCO instances file), "
                        + "found an array");
    }

    @Test
    void readsTheSharedCocoTinyValidationAnnotations() throws IOException {
        Path file = Path.of(System.getProperty("yoloslim.shared", "../shared"),
                "data/coco-tiny/annotations/instances_val2017.json");
        assumeTrue(Files.isRegularFile(file), "shared data not present: " + file);

        CocoAnnotations a = CocoAnnotations.read(file);

        // Counts from ../shared/README.md: 80 images, 815 boxes of which 11 crowd.
        assertThat(a.images()).hasSize(80);
        assertThat(a.categories()).hasSize(80);
        assertThat(a.annotations()).hasSize(815);
        assertThat(a.annotations()).filteredOn(GroundTruthBox::crowd).hasSize(11);
    }
}
