package io.github.yoloslim.data;

import io.github.yoloslim.testing.SharedData;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

/**
 * Decode + letterbox throughput on coco-tiny/val2017 (80 images). Not part of the test run (surefire excludes
 * *Benchmark); run with {@code mvn test -Dtest=DecodeLetterboxBenchmark -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class DecodeLetterboxBenchmark {

    private static final int PASSES = 5;

    @Test
    void measure() throws IOException {
        Path folder = SharedData.require("data/coco-tiny/val2017");
        List<Path> files;
        try (Stream<Path> list = Files.list(folder)) {
            files = list.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
        }
        Letterbox letterbox = new Letterbox(640);
        float[] input = new float[letterbox.inputLength()];
        for (int warmup = 0; warmup < 3; warmup++) {
            for (Path file : files) {
                letterbox.apply(ImageDecoder.decode(file), input, 0);
            }
        }

        long decodeNanos = 0;
        long letterboxNanos = 0;
        for (int pass = 0; pass < PASSES; pass++) {
            for (Path file : files) {
                long t0 = System.nanoTime();
                DecodedImage image = ImageDecoder.decode(file);
                long t1 = System.nanoTime();
                letterbox.apply(image, input, 0);
                letterboxNanos += System.nanoTime() - t1;
                decodeNanos += t1 - t0;
            }
        }
        int n = files.size() * PASSES;
        System.out.printf("one thread: %.1f images/s (decode %.2f ms, letterbox %.2f ms per image)%n",
                n / ((decodeNanos + letterboxNanos) / 1e9), decodeNanos / 1e6 / n, letterboxNanos / 1e6 / n);

        int threads = Runtime.getRuntime().availableProcessors();
        long start = System.nanoTime();
        for (int pass = 0; pass < PASSES; pass++) {
            files.parallelStream().forEach(file -> {
                try {
                    letterbox.apply(ImageDecoder.decode(file), new float[letterbox.inputLength()], 0);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        }
        System.out.printf("%d threads: %.1f images/s%n", threads, n / ((System.nanoTime() - start) / 1e9));
    }
}
