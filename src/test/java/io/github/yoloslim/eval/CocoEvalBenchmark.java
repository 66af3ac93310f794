package io.github.yoloslim.eval;

import io.github.yoloslim.data.CocoAnnotations;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Times COCO evaluation at full COCO scale: 5 000 images, 100 detections each (500 000), 80 categories,
 * about 36 000 ground-truth boxes. Writes the case into a folder, then reads both JSON files and evaluates,
 * several times in one JVM, and prints the stats and the first and best times. Not a test; run it with
 * <pre>mvn -B -q test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.github.yoloslim.eval.CocoEvalBenchmark -Dexec.args=target/bench</pre>
 * The folder's {@code instances.json} and {@code detections.json} can then be fed to pycocotools.
 */
public final class CocoEvalBenchmark {

    private static final int RUNS = 5;

    private CocoEvalBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args.length > 0 ? args[0] : "target/bench");
        long t0 = System.nanoTime();
        CocoFixtureGenerator.write(CocoFixtureGenerator.BENCHMARK, dir);
        System.out.printf("case written to %s in %.2f s%n", dir, seconds(t0));

        double[] times = new double[RUNS];
        CocoEvalResult first = null;
        for (int run = 0; run < RUNS; run++) {
            long start = System.nanoTime();
            CocoAnnotations gt = CocoAnnotations.read(dir.resolve("instances.json"));
            double readGt = seconds(start);
            List<Detection> detections = DetectionsJson.read(dir.resolve("detections.json"));
            double read = seconds(start);
            CocoEvalResult result = new CocoEvaluator().evaluate(gt, detections);
            times[run] = seconds(start);
            System.out.printf("run %d: %.3f s (reading instances %.3f s, detections %.3f s, evaluating %.3f s)%n",
                    run + 1, times[run], readGt, read - readGt, times[run] - read);
            if (run == 0) {
                System.out.printf("  %d images, %d boxes, %d detections%n", gt.images().size(),
                        gt.annotations().size(), detections.size());
            }
            if (first == null) {
                first = result;
            } else if (!result.equals(first)) {
                throw new IllegalStateException("run " + (run + 1) + " differs from run 1");
            }
        }
        System.out.println("stats " + Arrays.toString(first.stats().toArray()));
        System.out.printf("first run %.3f s, best %.3f s, %d threads%n", times[0],
                Arrays.stream(times).min().orElseThrow(), Runtime.getRuntime().availableProcessors());
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
