package io.github.yoloslim.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import io.github.yoloslim.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A parsed COCO {@code instances_*.json}: images, categories and box annotations, in file order. */
public record CocoAnnotations(List<CocoImage> images, List<Category> categories, List<GroundTruthBox> annotations) {

    public CocoAnnotations {
        images = List.copyOf(images);
        categories = List.copyOf(categories);
        annotations = List.copyOf(annotations);
    }

    /**
     * Reads a COCO instances file with a streaming parser.
     *
     * <p>Required: the top-level {@code images} ({@code id, file_name, width, height} each) and
     * {@code categories} ({@code id, name}) arrays, and each annotation's {@code id, image_id, category_id}
     * and {@code bbox} ({@code [x, y, width, height]}). No {@code annotations} array means no boxes (as in
     * COCO's test-set info files). An annotation without {@code area} gets {@code width * height}; COCO
     * writes the segmentation's area there, and evaluation uses it for the small/medium/large ranges. A
     * missing {@code iscrowd} means 0; any non-zero integer, or {@code true}, means crowd. Keys may come in
     * any order; other keys ({@code segmentation}, {@code info}, ...) are skipped unread. Only standard JSON
     * is accepted ({@code NaN} is an error).
     *
     * @throws InvalidInputException when the file does not parse or misses required fields (the message
     *         names the file and the JSON line and column)
     */
    public static CocoAnnotations read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads a COCO instances document from a stream, as {@link #read(Path)} does.
     *
     * @param sourceName what error messages call the input, usually its path
     */
    public static CocoAnnotations read(InputStream in, String sourceName) throws IOException {
        try (JsonParser p = StreamingJson.FACTORY.createParser(in)) {
            return new Reader(p, sourceName).document();
        } catch (StreamReadException e) {
            throw StreamingJson.invalidJson(sourceName, e);
        }
    }

    /** One pass over a document. */
    private static final class Reader {
        private final JsonParser p;
        private final String source;
        private final double[] box = new double[4];

        Reader(JsonParser p, String source) {
            this.p = p;
            this.source = source;
        }

        CocoAnnotations document() throws IOException {
            p.nextToken();
            StreamingJson.expect(p, source, JsonToken.START_OBJECT, "a JSON object (a COCO instances file)");
            JsonLocation start = p.currentTokenLocation();
            List<CocoImage> images = null;
            List<Category> categories = null;
            List<GroundTruthBox> annotations = List.of();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                switch (key) {
                    case "images" -> images = array(key, this::image);
                    case "categories" -> categories = array(key, this::category);
                    case "annotations" -> annotations = array(key, this::annotation);
                    default -> p.skipChildren();
                }
            }
            if (images == null || categories == null) {
                throw StreamingJson.error(source, start, "the top-level object has no \""
                        + (images == null ? "images" : "categories") + "\" array; expected a COCO instances file");
            }
            return new CocoAnnotations(images, categories, annotations);
        }

        private interface Element<T> {
            T read(String array, int index) throws IOException;
        }

        private <T> List<T> array(String key, Element<T> element) throws IOException {
            StreamingJson.expect(p, source, JsonToken.START_ARRAY, "\"" + key + "\" to be an array");
            List<T> out = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                StreamingJson.expect(p, source, JsonToken.START_OBJECT, "an object in \"" + key + "\"");
                out.add(element.read(key, out.size()));
            }
            return out;
        }

        private CocoImage image(String array, int index) throws IOException {
            JsonLocation start = p.currentTokenLocation();
            Long id = null;
            String fileName = null;
            Integer width = null;
            Integer height = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                switch (key) {
                    case "id" -> id = StreamingJson.longValue(p, source, array, index, key);
                    case "file_name" -> fileName = StreamingJson.stringValue(p, source, array, index, key);
                    case "width" -> width = StreamingJson.intValue(p, source, array, index, key);
                    case "height" -> height = StreamingJson.intValue(p, source, array, index, key);
                    default -> p.skipChildren();
                }
            }
            require(id, start, array, index, "id");
            require(fileName, start, array, index, "file_name");
            require(width, start, array, index, "width");
            require(height, start, array, index, "height");
            return new CocoImage(id, fileName, width, height);
        }

        private Category category(String array, int index) throws IOException {
            JsonLocation start = p.currentTokenLocation();
            Integer id = null;
            String name = null;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                switch (key) {
                    case "id" -> id = StreamingJson.intValue(p, source, array, index, key);
                    case "name" -> name = StreamingJson.stringValue(p, source, array, index, key);
                    default -> p.skipChildren();
                }
            }
            require(id, start, array, index, "id");
            require(name, start, array, index, "name");
            return new Category(id, name);
        }

        private GroundTruthBox annotation(String array, int index) throws IOException {
            JsonLocation start = p.currentTokenLocation();
            // Bit flags instead of boxed values: this loop runs once per annotation.
            int seen = 0;
            long id = 0;
            long imageId = 0;
            int categoryId = 0;
            double area = 0;
            boolean crowd = false;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                switch (key) {
                    case "id" -> {
                        id = StreamingJson.longValue(p, source, array, index, key);
                        seen |= 1;
                    }
                    case "image_id" -> {
                        imageId = StreamingJson.longValue(p, source, array, index, key);
                        seen |= 2;
                    }
                    case "category_id" -> {
                        categoryId = StreamingJson.intValue(p, source, array, index, key);
                        seen |= 4;
                    }
                    case "bbox" -> {
                        StreamingJson.bbox(p, source, array, index, box);
                        seen |= 8;
                    }
                    case "area" -> {
                        area = StreamingJson.doubleValue(p, source, array, index, key);
                        seen |= 16;
                    }
                    case "iscrowd" -> crowd = crowd(array, index);
                    default -> p.skipChildren();
                }
            }
            if ((seen & 15) != 15) {
                String key = (seen & 1) == 0 ? "id" : (seen & 2) == 0 ? "image_id"
                        : (seen & 4) == 0 ? "category_id" : "bbox";
                throw StreamingJson.missing(source, start, array, index, key);
            }
            double a = (seen & 16) != 0 ? area : box[2] * box[3];
            return new GroundTruthBox(id, imageId, categoryId, box[0], box[1], box[2], box[3], a, crowd);
        }

        private boolean crowd(String array, int index) throws IOException {
            return switch (p.currentToken()) {
                case VALUE_TRUE -> true;
                case VALUE_FALSE -> false;
                default -> StreamingJson.longValue(p, source, array, index, "iscrowd") != 0;
            };
        }

        private void require(Object value, JsonLocation start, String array, int index, String key) {
            if (value == null) {
                throw StreamingJson.missing(source, start, array, index, key);
            }
        }
    }
}
