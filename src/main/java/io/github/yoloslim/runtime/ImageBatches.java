package io.github.yoloslim.runtime;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.DecodeSchedule;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.LetterboxFeed;
import io.github.yoloslim.data.LetterboxFeed.Item;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.progress.Durations;
import io.github.yoloslim.progress.ProgressListener;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * The one loop over images that every stage runs a model with: images are decoded and letterboxed ahead
 * ({@link LetterboxFeed}), between the model's runs or during them ({@link DecodeSchedule}), readable ones are
 * packed into batches, unreadable ones are skipped with a warning or fail the stage ({@link UnreadableImagePolicy}),
 * and a long loop reports its progress with the time left. Memory: the look-ahead and one batch buffer, whatever
 * the number of images.
 *
 * <pre>{@code
 * try (ImageBatches<Path> batches = ImageBatches.of(images, path -> path, letterbox, 4,
 *         DecodeSchedule.betweenRuns(2), policy, source, listener)) {
 *     while (batches.hasNext()) {
 *         ImageBatches.Batch<Path> batch = batches.next();
 *         session.run(batch.pixels(), batch.size());
 *     }
 * }
 * }</pre>
 *
 * @param <T> what the caller knows an image by (a dataset image, a path)
 */
public final class ImageBatches<T> implements AutoCloseable {

    private static final long PROGRESS_INTERVAL_NANOS = 10_000_000_000L;

    /**
     * One batch: the letterboxed pixels of {@link #size()} images back to back ({@code 3 × H × W} floats each, in
     * [0, 1]), and the images they came from. The array is valid until the next batch, which reuses it.
     */
    public record Batch<T>(float[] pixels, List<Item<T>> items) {

        public int size() {
            return items.size();
        }
    }

    /**
     * Where the images came from, for messages.
     *
     * @param element the setting that named them, e.g. {@code calibrationImages}
     * @param location the folder or dataset it names
     * @param label what the loop is, for progress lines: {@code calibration}, {@code candidate}, ...
     */
    public record Source(String element, Object location, String label) {
    }

    private final List<T> sources;
    private final LetterboxFeed<T> feed;
    private final int imageFloats;
    /** The batch buffer; a batch of one image is handed the feed's own array instead, without a copy. */
    private final float[] pixels;
    private float[] batchPixels;
    private final int batchSize;
    private final UnreadableImagePolicy policy;
    private final Source source;
    private final ProgressListener listener;
    private final long start = System.nanoTime();
    private final List<String> skipped = new ArrayList<>();
    private final List<Item<T>> items = new ArrayList<>();
    private long lastReport = start;
    private int done;
    private int read;
    private boolean filled;

    private ImageBatches(List<T> sources, Function<T, Path> fileOf, Letterbox letterbox, int batchSize,
            DecodeSchedule schedule, UnreadableImagePolicy policy, Source source, ProgressListener listener) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size " + batchSize);
        }
        this.sources = sources;
        this.imageFloats = letterbox.inputLength();
        this.pixels = batchSize == 1 ? null : new float[batchSize * imageFloats];
        this.batchSize = batchSize;
        this.policy = policy;
        this.source = source;
        this.listener = listener;
        this.feed = new LetterboxFeed<>(sources, fileOf, letterbox, batchSize, schedule);
        listener.detail(source.label() + ": " + sources.size() + " images of <" + source.element() + ">, "
                + schedule.describe() + ", batches of " + batchSize);
    }

    /** Starts a loop over {@code sources}, each image read from {@code fileOf} and decoded as {@code schedule} says. */
    public static <T> ImageBatches<T> of(List<T> sources, Function<T, Path> fileOf, Letterbox letterbox,
            int batchSize, DecodeSchedule schedule, UnreadableImagePolicy policy, Source source,
            ProgressListener listener) {
        return new ImageBatches<>(sources, fileOf, letterbox, batchSize, schedule, policy, source, listener);
    }

    /**
     * Whether another batch with at least one readable image remains.
     *
     * @throws InvalidInputException when an image is unreadable under {@link UnreadableImagePolicy#FAIL}, or when
     *     the loop ends without a single readable image
     */
    public boolean hasNext() throws IOException {
        if (filled) {
            return true;
        }
        items.clear();
        while (items.size() < batchSize && feed.hasNext()) {
            Item<T> item = feed.next();
            done++;
            if (item.error() != null) {
                skip(item);
                continue;
            }
            if (batchSize == 1) {
                batchPixels = item.pixels();
            } else {
                System.arraycopy(item.pixels(), 0, pixels, items.size() * imageFloats, imageFloats);
                batchPixels = pixels;
            }
            items.add(item);
        }
        read += items.size();
        reportProgress();
        filled = !items.isEmpty();
        if (!filled && read == 0) {
            throw new InvalidInputException("none of the " + sources.size() + " images of <" + source.element()
                    + "> " + source.location() + " could be read (" + (skipped.isEmpty() ? "there are none"
                            : skipped.get(0)) + "). Point <" + source.element() + "> at JPEG, PNG or BMP images.");
        }
        return filled;
    }

    /** The next batch; its arrays are valid until the following call. */
    public Batch<T> next() throws IOException {
        if (!hasNext()) {
            throw new NoSuchElementException("no more images");
        }
        filled = false;
        return new Batch<>(batchPixels, List.copyOf(items));
    }

    /** How many images were read so far. */
    public int read() {
        return read;
    }

    /** Why each skipped image could not be read, in image order. */
    public List<String> skipped() {
        return List.copyOf(skipped);
    }

    /** Seconds since the loop started. */
    public double seconds() {
        return (System.nanoTime() - start) / 1e9;
    }

    private void skip(Item<T> item) {
        String reason = item.error().getMessage();
        if (policy == UnreadableImagePolicy.FAIL) {
            throw new InvalidInputException(reason + " (in <" + source.element() + "> " + source.location()
                    + "). Fix or remove the image, or set <onUnreadableImage>skip</onUnreadableImage> "
                    + "(-Dyoloslim.onUnreadableImage=skip) to go on without it.");
        }
        listener.warn("Skipping unreadable image: " + reason);
        skipped.add(reason);
    }

    private void reportProgress() {
        long now = System.nanoTime();
        if (now - lastReport < PROGRESS_INTERVAL_NANOS || done >= sources.size()) {
            return;
        }
        lastReport = now;
        double rate = done / ((now - start) / 1e9);
        listener.stage(String.format(Locale.ROOT, "  %s: %d/%d images, %.1f images/s, about %s left", source.label(),
                done, sources.size(), rate, Durations.describe((sources.size() - done) / rate)));
    }

    @Override
    public void close() {
        feed.close();
    }
}
