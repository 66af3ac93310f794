package io.github.yoloslim.eval;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.StreamingJson;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;

/**
 * Reads and writes detections in COCO's results format: a JSON array of
 * {@code {"image_id": 42, "category_id": 18, "bbox": [x, y, width, height], "score": 0.93}}, the file that
 * pycocotools' {@code loadRes} takes.
 */
public final class DetectionsJson {

    private static final String ROOT = "";
    /** A chunk is about this long at least (a smaller file is one chunk), and at most 16 times this. */
    static final int SPLIT_MIN = 1 << 20;
    private static final int SPLIT_MAX = 16 << 20;
    /** How much of the file is read at a time when looking for where an element ends. */
    private static final int WINDOW = 1 << 16;

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
        List<Detection> out = new ArrayList<>();
        read(in, sourceName, (imageId, categoryId, x, y, w, h, score) ->
                out.add(new Detection(imageId, categoryId, x, y, w, h, score)));
        return out;
    }

    /**
     * Reads a results file into columns, as {@link #read(Path)} does; a file of a few megabytes or more in
     * chunks, about {@code 4 * parallelism} of them, on {@code pool}. A chunk is cut where an element seems
     * to end (a closing brace, a comma, an opening brace) and read as an array of its own. The first chunk
     * starts at the file's first element, and a chunk that reads cleanly to its end proves that the next one
     * starts at an element: so when every chunk reads cleanly, the chunks are the file. Otherwise (a cut
     * inside a string, say, or bad input) the file is read again in one piece, which reads it or names the
     * error exactly.
     */
    static DetectionTable readTable(Path file, ExecutorService pool, int parallelism) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long[] cuts = cuts(channel, parallelism);
            if (cuts != null) {
                List<Future<List<DetectionTable.Chunk>>> parts = new ArrayList<>();
                for (int c = 0; c + 1 < cuts.length; c += 2) {
                    long from = cuts[c];
                    long to = cuts[c + 1];
                    parts.add(pool.submit(() -> readChunk(channel, from, to)));
                }
                List<DetectionTable.Chunk> chunks = new ArrayList<>();
                boolean clean = true;
                for (Future<List<DetectionTable.Chunk>> part : parts) {
                    List<DetectionTable.Chunk> read = await(part);
                    clean &= read != null;
                    if (clean) {
                        chunks.addAll(read);
                    } else {
                        chunks.clear();
                    }
                }
                if (clean) {
                    return new DetectionTable(chunks);
                }
            }
        }
        DetectionTable.Builder whole = new DetectionTable.Builder();
        try (InputStream in = Files.newInputStream(file)) {
            read(in, file.toString(), whole::add);
        }
        return new DetectionTable(whole.finish());
    }

    /**
     * Where to cut: {@code [from0, to0, from1, to1, ...]}, each chunk from an element's opening brace to the
     * end of its last element; null when the file is not an array (the one-piece reading then says why).
     */
    private static long[] cuts(FileChannel channel, int parallelism) throws IOException {
        long size = channel.size();
        byte[] head = window(channel, 0, (int) Math.min(size, 256));
        int first = skipSpace(head, 0);
        byte[] tail = window(channel, Math.max(0, size - 256), (int) Math.min(size, 256));
        int last = tail.length - 1;
        while (last >= 0 && isSpace(tail[last])) {
            last--;
        }
        if (first >= head.length || head[first] != '[' || last < 0 || tail[last] != ']') {
            return null;
        }
        long from = first + 1;
        long to = Math.max(0, size - 256) + last;
        if (from > to) {
            return null;
        }
        long length = to - from;
        long step = Math.max(SPLIT_MIN, Math.min(SPLIT_MAX, length / (4L * parallelism)));
        List<Long> cuts = new ArrayList<>();
        cuts.add(from);
        long at = from + step;
        while (at + step / 2 < to) {
            long[] cut = nextCut(channel, at, to);
            if (cut == null) {
                break;
            }
            cuts.add(cut[0]);
            cuts.add(cut[1]);
            at = cut[1] + step;
        }
        cuts.add(to);
        return cuts.stream().mapToLong(Long::longValue).toArray();
    }

    /**
     * The first place in {@code [at, to)} where an element seems to end and the next to begin: the end of
     * the closing brace and the start of the opening one; null when there is none.
     */
    private static long[] nextCut(FileChannel channel, long at, long to) throws IOException {
        // Windows overlap, so that a brace, comma, brace with up to 254 spaces between lies within one.
        for (long start = at; start < to; start += WINDOW - 256) {
            byte[] w = window(channel, start, (int) Math.min(WINDOW, to - start));
            for (int i = 0; i < w.length; i++) {
                if (w[i] == '}') {
                    int comma = skipSpace(w, i + 1);
                    int brace = comma < w.length && w[comma] == ',' ? skipSpace(w, comma + 1) : w.length;
                    if (brace < w.length && w[brace] == '{') {
                        return new long[] {start + i + 1, start + brace};
                    }
                }
            }
        }
        return null;
    }

    /** Reads {@code [from, to)} as the array {@code [<bytes>]}; null when that does not read cleanly. */
    private static List<DetectionTable.Chunk> readChunk(FileChannel channel, long from, long to) throws IOException {
        int length = Math.toIntExact(to - from);
        byte[] bytes = new byte[length + 2];
        bytes[0] = '[';
        bytes[length + 1] = ']';
        ByteBuffer buffer = ByteBuffer.wrap(bytes, 1, length);
        while (buffer.hasRemaining()) {
            if (channel.read(buffer, from + buffer.position() - 1) < 0) {
                return null;
            }
        }
        DetectionTable.Builder chunks = new DetectionTable.Builder();
        try (JsonParser p = StreamingJson.FACTORY.createParser(bytes)) {
            readArray(p, "chunk", false, chunks::add);
            return p.nextToken() == null ? chunks.finish() : null;
        } catch (StreamReadException | InvalidInputException e) {
            return null;
        }
    }

    private static byte[] window(FileChannel channel, long at, int length) throws IOException {
        ByteBuffer buffer = ByteBuffer.allocate(length);
        int read = 0;
        while (buffer.hasRemaining() && read >= 0) {
            read = channel.read(buffer, at + buffer.position());
        }
        return Arrays.copyOf(buffer.array(), buffer.position());
    }

    /** The result of a reading task, with its I/O and input errors rethrown as they are. */
    static <T> T await(Future<T> task) throws IOException {
        try {
            return task.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private static int skipSpace(byte[] b, int i) {
        while (i < b.length && isSpace(b[i])) {
            i++;
        }
        return i;
    }

    private static boolean isSpace(byte b) {
        return b == ' ' || b == '\n' || b == '\r' || b == '\t';
    }

    /** Receives each detection as it is read. */
    private interface Sink {
        void add(long imageId, int categoryId, double x, double y, double width, double height, double score);
    }

    private static void read(InputStream in, String sourceName, Sink sink) throws IOException {
        try (JsonParser p = StreamingJson.FACTORY.createParser(in)) {
            readArray(p, sourceName, true, sink);
        } catch (StreamReadException e) {
            throw StreamingJson.invalidJson(sourceName, e);
        }
    }

    /**
     * Reads the array at the parser into the sink. {@code locate} keeps where each element starts, for the
     * message when it misses a key; a chunk does without, as its errors are read again in one piece.
     */
    private static void readArray(JsonParser p, String source, boolean locate, Sink sink) throws IOException {
        p.nextToken();
        StreamingJson.expect(p, source, JsonToken.START_ARRAY, "a JSON array of COCO detection results");
        double[] box = new double[4];
        for (int index = 0; p.nextToken() != JsonToken.END_ARRAY; index++) {
            StreamingJson.expect(p, source, JsonToken.START_OBJECT, "a detection object");
            JsonLocation start = locate ? p.currentTokenLocation() : null;
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
                throw StreamingJson.missing(source, locate ? start : p.currentTokenLocation(), ROOT, index, key);
            }
            sink.add(imageId, categoryId, box[0], box[1], box[2], box[3], score);
        }
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
        try (Writer w = new Writer(out)) {
            for (Detection d : detections) {
                w.write(d);
            }
        }
    }

    /** Writes detections one at a time, as {@link #write(OutputStream, List)} does, for files too large to hold. */
    public static final class Writer implements Closeable {
        private final JsonGenerator g;

        /** Starts the array on {@code out}, which stays open after {@link #close()}. */
        public Writer(OutputStream out) throws IOException {
            g = StreamingJson.FACTORY.createGenerator(out);
            g.writeStartArray();
        }

        public void write(Detection d) throws IOException {
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

        /** Ends the array and flushes. */
        @Override
        public void close() throws IOException {
            g.writeEndArray();
            g.close();
        }
    }
}
