package io.github.yoloslim.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Decodes and letterboxes images on a background thread, a few ahead of the consumer, so image decoding
 * overlaps with inference. Items come back in the order of the sources.
 *
 * @param <T> what the caller knows an image by (a dataset image, a path)
 */
public final class LetterboxFeed<T> implements AutoCloseable {

    /**
     * One prepared image: its letterboxed pixels and geometry, or the reason it could not be read.
     *
     * @param pixels {@code 3 × H × W} floats in [0, 1], null when {@code error} is set
     */
    public record Item<T>(T source, Path file, float[] pixels, LetterboxGeometry geometry,
            UnreadableImageException error) {
    }

    private final List<T> sources;
    private final Function<T, Path> fileOf;
    private final Letterbox letterbox;
    private final int lookahead;
    private final ExecutorService decoding;
    private final Deque<Future<Item<T>>> queue = new ArrayDeque<>();
    private int submitted;

    /**
     * @param lookahead how many images may be decoded ahead of the consumer (memory: that many letterboxed images)
     */
    public LetterboxFeed(List<T> sources, Function<T, Path> fileOf, Letterbox letterbox, int lookahead) {
        this.sources = sources;
        this.fileOf = fileOf;
        this.letterbox = letterbox;
        this.lookahead = Math.max(1, lookahead);
        this.decoding = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "yolo-slim-image-decoding");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Whether another image remains. */
    public boolean hasNext() {
        return submitted < sources.size() || !queue.isEmpty();
    }

    /** The next image in source order, waiting for its decoding if needed. */
    public Item<T> next() throws IOException {
        while (submitted < sources.size() && queue.size() < lookahead) {
            T source = sources.get(submitted++);
            queue.add(decoding.submit(() -> prepare(source)));
        }
        try {
            return queue.poll().get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while decoding images", e);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IOException(e.getCause());
        }
    }

    private Item<T> prepare(T source) {
        Path file = fileOf.apply(source);
        try {
            float[] pixels = new float[letterbox.inputLength()];
            LetterboxGeometry geometry = letterbox.apply(ImageDecoder.decode(file), pixels, 0);
            return new Item<>(source, file, pixels, geometry, null);
        } catch (UnreadableImageException e) {
            return new Item<>(source, file, null, null, e);
        }
    }

    @Override
    public void close() {
        decoding.shutdownNow();
    }
}
