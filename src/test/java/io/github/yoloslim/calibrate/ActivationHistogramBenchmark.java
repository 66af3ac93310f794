package io.github.yoloslim.calibrate;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Times {@link ActivationHistogram#add} on a direct buffer of 64×320×320 floats (6.5 M) of activation-like
 * data, binning every value and binning the sample {@code calibrate} bins, on one thread and on two threads
 * filling two histograms, and times each range method on the result. A yolov8n image at 640×640 taps 17.6 M
 * floats across its 52 measured tensors. Not a test; run
 * it with
 * <pre>mvn -B -q test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.github.yoloslim.calibrate.ActivationHistogramBenchmark</pre>
 */
public final class ActivationHistogramBenchmark {

    private static final int SIZE = 64 * 320 * 320;
    private static final int RUNS = 15;

    private ActivationHistogramBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        SplittableRandom random = new SplittableRandom(1);
        float[] silu = new float[SIZE];
        float[] relu = new float[SIZE];
        for (int i = 0; i < SIZE; i++) {
            double x = 2 * gaussian(random);
            silu[i] = (float) (x / (1 + Math.exp(-x)));
            relu[i] = (float) Math.max(0, x);
        }
        // A stem-like tensor: SiLU bulk with a long tail (1 value in 10^4 ten times larger).
        float[] tail = silu.clone();
        for (int i = 0; i < SIZE; i += 10_000) {
            tail[i] *= 10;
        }
        report("SiLU(N(0,2))", silu);
        report("SiLU with a long tail", tail);
        report("ReLU(N(0,2)), half zeros", relu);
        twoThreads(silu, tail);
        timeEstimators(silu);
    }

    private static void report(String name, float[] data) {
        report(name + ", all binned", data, 1);
        int stride = Calibrator.runStride(SIZE);
        report(name + ", 1 run in " + stride, data, stride);
    }

    private static void report(String name, float[] data, int stride) {
        FloatBuffer direct = ByteBuffer.allocateDirect(data.length * Float.BYTES).order(ByteOrder.nativeOrder())
                .asFloatBuffer().put(data).flip();
        double best = Double.POSITIVE_INFINITY;
        double first = 0;
        for (int run = 0; run < RUNS; run++) {
            ActivationHistogram h = new ActivationHistogram();
            long start = System.nanoTime();
            h.add(direct, 0, stride);
            double seconds = (System.nanoTime() - start) / 1e9;
            if (run == 0) {
                first = seconds;
            }
            best = Math.min(best, seconds);
        }
        double perSecond = SIZE / best;
        System.out.printf("%-40s one thread: best %.2f ms = %.2f G floats/s (first run %.2f ms); 17.6 M"
                + " floats per image: %.1f ms%n", name, best * 1e3, perSecond / 1e9, first * 1e3, 17.6e6 / perSecond * 1e3);
    }

    private static void twoThreads(float[] a, float[] b) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            double best = Double.POSITIVE_INFINITY;
            for (int run = 0; run < RUNS; run++) {
                long start = System.nanoTime();
                Future<?> fa = pool.submit(() -> new ActivationHistogram().add(a));
                Future<?> fb = pool.submit(() -> new ActivationHistogram().add(b));
                fa.get();
                fb.get();
                best = Math.min(best, (System.nanoTime() - start) / 1e9);
            }
            System.out.printf("two threads, two tensors: best %.2f ms = %.2f G floats/s in all%n", best * 1e3,
                    2 * SIZE / best / 1e9);
        } finally {
            pool.shutdown();
        }
    }

    private static void timeEstimators(float[] data) {
        ActivationHistogram h = new ActivationHistogram();
        h.add(data);
        for (RangeMethod method : RangeMethod.values()) {
            double best = Double.POSITIVE_INFINITY;
            double amax = 0;
            for (int run = 0; run < RUNS; run++) {
                long start = System.nanoTime();
                amax = RangeEstimator.amax(h, method, RangeEstimator.DEFAULT_PERCENTILE);
                best = Math.min(best, (System.nanoTime() - start) / 1e9);
            }
            System.out.printf("%-10s amax %.4f (absMax %.4f) in %.2f ms%n", method.id(), amax, h.absMax(),
                    best * 1e3);
        }
    }

    /** Box-Muller, since SplittableRandom has no nextGaussian on Java 17. */
    private static double gaussian(SplittableRandom random) {
        return Math.sqrt(-2 * Math.log(1 - random.nextDouble())) * Math.cos(2 * Math.PI * random.nextDouble());
    }
}
