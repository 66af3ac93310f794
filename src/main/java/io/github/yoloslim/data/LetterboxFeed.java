package io.github.yoloslim.data;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Function;

/**
 * Decodes and letterboxes images ahead of the consumer, as its {@link DecodeSchedule} says: a chunk at a time on
 * all its threads while the consumer waits, or one at a time on a background thread while the consumer runs the
 * model. Items come back in the order of the sources.
 *
 * @param <T> what the caller knows an image by (a dataset image, a path)
 */
public final class LetterboxFeed<T> implements AutoCloseable {

    /**
     * One prepared image: its letterboxed pixels and geometry, or the reason it could not be read.
     *
     * @param pixels {@code 3 × H × W} floats in [0, 1], null when {@code error} is set; valid until the feed's
     *        next {@link #next()}, which hands the array to a later image
     */
    public record Item<T>(T source, Path file, float[] pixels, LetterboxGeometry geometry,
            UnreadableImageException error) {
    }

    private final List<T> sources;
    private final Function<T, Path> fileOf;
    private final Letterbox letterbox;
    private final DecodeSchedule schedule;
    private final int lookahead;
    private final ExecutorService decoding;
    private final Deque<Future<Item<T>>> queue = new ArrayDeque<>();
    /** Arrays the consumer is done with: letterboxing overwrites every value, and megabytes need no new zeroing. */
    private final Queue<float[]> free = new ConcurrentLinkedQueue<>();
    private float[] handedOut;
    private int submitted;

    /**
     * @param batchSize how many images the consumer takes at a time; the feed holds a few batches' worth of
     *        letterboxed images ({@link DecodeSchedule#lookahead(int)})
     */
    public LetterboxFeed(List<T> sources, Function<T, Path> fileOf, Letterbox letterbox, int batchSize,
            DecodeSchedule schedule) {
        this.sources = sources;
        this.fileOf = fileOf;
        this.letterbox = letterbox;
        this.schedule = schedule;
        this.lookahead = schedule.lookahead(Math.max(1, batchSize));
        this.decoding = Executors.newFixedThreadPool(schedule.threads(), runnable -> {
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
        if (handedOut != null) {
            free.add(handedOut);
            handedOut = null;
        }
        boolean between = schedule.timing() == DecodeSchedule.Timing.BETWEEN_RUNS;
        if (!between || queue.isEmpty()) {
            while (submitted < sources.size() && queue.size() < lookahead) {
                T source = sources.get(submitted++);
                queue.add(decoding.submit(() -> prepare(source)));
            }
        }
        if (between) {
            // The whole chunk is decoded before the consumer goes on, so none of it runs beside the model.
            for (Future<Item<T>> pending : queue) {
                await(pending);
            }
        }
        Item<T> item = await(queue.poll());
        handedOut = item.pixels();
        return item;
    }

    private Item<T> await(Future<Item<T>> pending) throws IOException {
        try {
            return pending.get();
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
        float[] recycled = free.poll();
        try {
            float[] pixels = recycled != null ? recycled : new float[letterbox.inputLength()];
            LetterboxGeometry geometry = letterbox.apply(ImageDecoder.decode(file), pixels, 0);
            return new Item<>(source, file, pixels, geometry, null);
        } catch (UnreadableImageException e) {
            if (recycled != null) {
                free.add(recycled);
            }
            return new Item<>(source, file, null, null, e);
        }
    }

    @Override
    public void close() {
        decoding.shutdownNow();
    }
}
