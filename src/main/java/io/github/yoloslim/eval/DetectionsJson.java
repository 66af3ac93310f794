package io.github.yoloslim.eval;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.StreamingJson;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads and writes detections in COCO's results format: a JSON array of
 * {@code {"image_id": 42, "category_id": 18, "bbox": [x, y, width, height], "score": 0.93}}, the file that
 * pycocotools' {@code loadRes} takes.
 */
public final class DetectionsJson {

    private static final String ROOT = "";

    private DetectionsJson() {
    }

    /**
     * Reads a results file with a streaming parser. The four keys are required in every element, in any
     * order; other keys (such as {@code segmentation} or {@code id}) are skipped.
     *
     * @throws InvalidInputException when the file does not parse or an element misses a key or has the
     *         wrong type (the message names the file, the element and the JSON line and column)
     */
    public static List<Detection> read(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return read(in, file.toString());
        }
    }

    /**
     * Reads a results document from a stream, as {@link #read(Path)} does.
     *
     * @param sourceName what error messages call the input, usually its path
     */
    public static List<Detection> read(InputStream in, String sourceName) throws IOException {
        try (JsonParser p = StreamingJson.FACTORY.createParser(in)) {
            return readArray(p, sourceName);
        } catch (StreamReadException e) {
            throw StreamingJson.invalidJson(sourceName, e);
        }
    }

    private static List<Detection> readArray(JsonParser p, String source) throws IOException {
        p.nextToken();
        StreamingJson.expect(p, source, JsonToken.START_ARRAY, "a JSON array of COCO detection results");
        List<Detection> out = new ArrayList<>();
        double[] box = new double[4];
        while (p.nextToken() != JsonToken.END_ARRAY) {
            int index = out.size();
            StreamingJson.expect(p, source, JsonToken.START_OBJECT, "a detection object");
            JsonLocation start = p.currentTokenLocation();
            // Bit flags instead of nullable boxes: this loop runs once per detection.
            int seen = 0;
            long imageId = 0;
            int categoryId = 0;
            double score = 0;
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                switch (key) {
                    case "image_id" -> {
                        imageId = StreamingJson.longValue(p, source, ROOT, index, key);
                        seen |= 1;
                    }
                    case "category_id" -> {
                        categoryId = StreamingJson.intValue(p, source, ROOT, index, key);
                        seen |= 2;
                    }
                    case "bbox" -> {
                        StreamingJson.bbox(p, source, ROOT, index, box);
                        seen |= 4;
                    }
                    case "score" -> {
                        score = StreamingJson.doubleValue(p, source, ROOT, index, key);
                        seen |= 8;
                    }
                    default -> p.skipChildren();
                }
            }
            if (seen != 15) {
                String key = (seen & 1) == 0 ? "image_id" : (seen & 2) == 0 ? "category_id"
                        : (seen & 4) == 0 ? "bbox" : "score";
                throw StreamingJson.missing(source, start, ROOT, index, key);
            }
            out.add(new Detection(imageId, categoryId, box[0], box[1], box[2], box[3], score));
        }
        return out;
    }

    /** Writes detections in list order to a file, replacing it. */
    public static void write(Path file, List<Detection> detections) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 16)) {
            write(out, detections);
        }
    }

    /**
     * Writes detections in list order as compact JSON (one array, no whitespace). Doubles are written in
     * their shortest form that reads back to the same value, so a round trip is exact and the bytes depend
     * only on the list.
     */
    public static void write(OutputStream out, List<Detection> detections) throws IOException {
        try (JsonGenerator g = StreamingJson.FACTORY.createGenerator(out)) {
            g.writeStartArray();
            for (Detection d : detections) {
                g.writeStartObject();
                g.writeNumberField("image_id", d.imageId());
                g.writeNumberField("category_id", d.categoryId());
                g.writeFieldName("bbox");
                g.writeStartArray();
                g.writeNumber(d.x());
                g.writeNumber(d.y());
                g.writeNumber(d.width());
                g.writeNumber(d.height());
                g.writeEndArray();
                g.writeNumberField("score", d.score());
                g.writeEndObject();
            }
            g.writeEndArray();
        }
    }
}
