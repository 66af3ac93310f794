package io.github.yoloslim.eval;

import io.github.yoloslim.eval.CocoShapeGenerator.Shape;
import io.github.yoloslim.eval.CocoShapeGenerator.Written;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Times COCO evaluation on generated cases of several shapes ({@link CocoShapeGenerator#SHAPES}). Writes
 * each case into {@code <folder>/<shape>/} (kept, and rewritten only when the shape changes), then reads
 * both JSON files and evaluates, several times in one JVM, and prints the phases, the stats, and the first
 * and best times. Not a test; run it with
 * <pre>mvn -B -q test-compile exec:java -Dexec.classpathScope=test \
 *     -Dexec.mainClass=io.github.yoloslim.eval.CocoEvalBenchmark -Dexec.args="target/bench [shape ...]"</pre>
 * {@code src/test/scripts/coco-eval-vs-pycocotools.sh} then times whole processes on the same files.
 */
public final class CocoEvalBenchmark {

    private static final int RUNS = 5;

    private CocoEvalBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(args.length > 0 ? args[0] : "target/bench");
        List<Shape> shapes = args.length > 1
                ? Arrays.stream(args, 1, args.length).map(CocoShapeGenerator::shape).toList()
                : CocoShapeGenerator.SHAPES;
        for (Shape shape : shapes) {
            Path dir = root.resolve(shape.name());
            generate(shape, dir);
            time(dir);
        }
    }

    private static void generate(Shape shape, Path dir) throws Exception {
        Path marker = dir.resolve("shape.txt");
        if (Files.isRegularFile(marker) && Files.readString(marker).equals(shape.toString())) {
            System.out.printf("%n%s: %s (already in %s)%n", shape.name(), shape.description(), dir);
            return;
        }
        Files.deleteIfExists(marker);
        long t0 = System.nanoTime();
        Written w = CocoShapeGenerator.write(shape, dir);
        Files.writeString(marker, shape.toString());
        System.out.printf("%n%s: %s%n  written to %s in %.1f s: %d images, %d boxes (%d crowd), %d detections%n",
                shape.name(), shape.description(), dir, seconds(t0), w.images(), w.boxes(), w.crowdBoxes(),
                w.detections());
    }

    /** As {@link CocoEvalMain} does it: both files read at once, the detections in chunks, then evaluated. */
    private static void time(Path dir) throws Exception {
        int threads = Runtime.getRuntime().availableProcessors();
        double[] times = new double[RUNS];
        CocoEvalResult first = null;
        for (int run = 0; run < RUNS; run++) {
            long start = System.nanoTime();
            CocoEvalResult result = CocoEvalMain.evaluate(dir.resolve("instances.json"),
                    dir.resolve("detections.json"), threads);
            times[run] = seconds(start);
            System.out.printf("  run %d: %.3f s%n", run + 1, times[run]);
            if (first == null) {
                first = result;
            } else if (!result.equals(first)) {
                throw new IllegalStateException("run " + (run + 1) + " differs from run 1");
            }
        }
        System.out.println("  stats " + Arrays.toString(first.stats().toArray()));
        System.out.printf("  first run %.3f s, best %.3f s, %d threads%n", times[0],
                Arrays.stream(times).min().orElseThrow(), threads);
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }
}
