package io.github.yoloslim.runtime;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.DecodeSchedule;
import io.github.yoloslim.data.ImageDecoder;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.progress.Durations;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.testing.RecordingListener;
import io.github.yoloslim.testing.SyntheticImages;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ImageBatchesTest {

    @TempDir
    Path dir;

    private static final ImageBatches.Source SOURCE = new ImageBatches.Source("calibrationImages", "the folder",
            "calibration");

    private List<Path> images(int count) throws IOException {
        Path folder = SyntheticImages.noise(dir.resolve("images"), count, 24, 5);
        try (Stream<Path> files = Files.list(folder)) {
            return files.sorted().toList();
        }
    }

    private static final DecodeSchedule SCHEDULE = DecodeSchedule.betweenRuns(2);

    @ParameterizedTest
    @CsvSource({"BETWEEN_RUNS, 2, 2 2 1", "DURING_RUNS, 2, 2 2 1", "BETWEEN_RUNS, 1, 1 1 1 1 1",
        "DURING_RUNS, 1, 1 1 1 1 1"})
    void readableImagesArePackedInOrderIntoFullBatchesAndTheLastPartialOne(DecodeSchedule.Timing timing,
            int batchSize, String expectedSizes) throws IOException {
        List<Path> images = new ArrayList<>(images(5));
        Path broken = Files.writeString(dir.resolve("broken.jpg"), "not a jpeg");
        images.add(2, broken);
        Letterbox letterbox = new Letterbox(32);
        RecordingListener listener = new RecordingListener();
        List<Integer> sizes = new ArrayList<>();
        List<Path> seen = new ArrayList<>();
        try (ImageBatches<Path> batches = ImageBatches.of(images, path -> path, letterbox, batchSize,
                new DecodeSchedule(timing, 2), UnreadableImagePolicy.SKIP, SOURCE, listener)) {
            while (batches.hasNext()) {
                ImageBatches.Batch<Path> batch = batches.next();
                sizes.add(batch.size());
                for (int i = 0; i < batch.size(); i++) {
                    Path image = batch.items().get(i).source();
                    seen.add(image);
                    float[] expected = new float[letterbox.inputLength()];
                    letterbox.apply(ImageDecoder.decode(image), expected, 0);
                    int offset = i * letterbox.inputLength();
                    assertThat(Arrays.copyOfRange(batch.pixels(), offset, offset + expected.length))
                            .isEqualTo(expected);
                }
            }
            assertThat(batches.read()).isEqualTo(5);
            assertThat(batches.skipped()).singleElement().asString().contains(broken.toString());
        }
        assertThat(listener.details()).first().isEqualTo("calibration: 6 images of <calibrationImages>, decoded "
                + timing.description() + " on 2 threads, batches of " + batchSize);
        assertThat(sizes).containsExactlyElementsOf(Arrays.stream(expectedSizes.split(" ")).map(Integer::valueOf)
                .toList());
        assertThat(seen).containsExactlyElementsOf(images.stream().filter(path -> !path.equals(broken)).toList());
        assertThat(listener.warnings()).singleElement().asString().startsWith("Skipping unreadable image: cannot read image "
                + broken);
    }

    @Test
    void failNamesTheImageTheSettingAndTheWayOut() throws IOException {
        List<Path> images = new ArrayList<>(images(2));
        Path broken = Files.writeString(dir.resolve("broken.png"), "not a png");
        images.add(broken);
        try (ImageBatches<Path> batches = ImageBatches.of(images, path -> path, new Letterbox(32), 4, SCHEDULE,
                UnreadableImagePolicy.FAIL, SOURCE, ProgressListener.silent())) {
            assertThatThrownBy(batches::hasNext).isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("cannot read image " + broken)
                    .hasMessageEndingWith("(in <calibrationImages> the folder). Fix or remove the image, or set "
                            + "<onUnreadableImage>skip</onUnreadableImage> (-Dyoloslim.onUnreadableImage=skip) to go "
                            + "on without it.");
        }
    }

    @Test
    void aTruncatedJpegIsUnreadableUnderEitherPolicy() throws IOException {
        List<Path> images = new ArrayList<>(images(2));
        Path cut = SyntheticImages.truncatedJpeg(dir.resolve("cut.jpg"), 48, 3);
        images.add(1, cut);
        RecordingListener listener = new RecordingListener();
        try (ImageBatches<Path> batches = ImageBatches.of(images, path -> path, new Letterbox(32), 4, SCHEDULE,
                UnreadableImagePolicy.SKIP, SOURCE, listener)) {
            assertThat(batches.next().items()).extracting(item -> item.source()).containsExactly(images.get(0),
                    images.get(2));
        }
        assertThat(listener.warnings()).singleElement().asString()
                .startsWith("Skipping unreadable image: cannot read image " + cut + ": the file is truncated");
        try (ImageBatches<Path> batches = ImageBatches.of(images, path -> path, new Letterbox(32), 4, SCHEDULE,
                UnreadableImagePolicy.FAIL, SOURCE, ProgressListener.silent())) {
            assertThatThrownBy(batches::hasNext).isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("cannot read image " + cut + ": the file is truncated");
        }
    }

    @Test
    void noReadableImageAtAllIsTheUsersProblemWhateverThePolicy() throws IOException {
        Path broken = Files.writeString(dir.resolve("a.jpg"), "not a jpeg");
        try (ImageBatches<Path> batches = ImageBatches.of(List.of(broken), path -> path, new Letterbox(32), 1, SCHEDULE,
                UnreadableImagePolicy.SKIP, SOURCE, ProgressListener.silent())) {
            assertThatThrownBy(batches::hasNext).isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("none of the 1 images of <calibrationImages> the folder could be read "
                            + "(cannot read image " + broken);
        }
    }

    @Test
    void betweenRunsNothingIsDecodedWhileTheConsumerRunsTheModel() throws Exception {
        List<Path> images = images(12);
        Letterbox letterbox = new Letterbox(32);
        AtomicInteger opened = new AtomicInteger();
        try (ImageBatches<Path> batches = ImageBatches.of(images, path -> {
            opened.incrementAndGet();
            return path;
        }, letterbox, 1, SCHEDULE, UnreadableImagePolicy.FAIL, SOURCE, ProgressListener.silent())) {
            List<Integer> openedAtEachBatch = new ArrayList<>();
            while (batches.hasNext()) {
                ImageBatches.Batch<Path> batch = batches.next();
                int before = opened.get();
                // Arrays are recycled from the second chunk on: each must hold its own image whole.
                float[] expected = new float[letterbox.inputLength()];
                letterbox.apply(ImageDecoder.decode(batch.items().get(0).source()), expected, 0);
                assertThat(batch.pixels()).isEqualTo(expected);
                // The consumer's "model run": a feed decoding beside it would open more images meanwhile.
                Thread.sleep(20);
                assertThat(opened.get()).isEqualTo(before);
                openedAtEachBatch.add(before);
            }
            // Two threads decode chunks of eight, each chunk once the previous one is used up.
            assertThat(openedAtEachBatch).containsExactly(8, 8, 8, 8, 8, 8, 8, 8, 12, 12, 12, 12);
        }
    }

    @Test
    void durationsReadAsAPersonWouldSayThem() {
        assertThat(Durations.describe(7.4)).isEqualTo("7 s");
        assertThat(Durations.describe(200)).isEqualTo("3 min 20 s");
        assertThat(Durations.describe(3900)).isEqualTo("1 h 05 min");
        assertThat(Durations.describe(Double.POSITIVE_INFINITY)).isEqualTo("?");
    }
}
