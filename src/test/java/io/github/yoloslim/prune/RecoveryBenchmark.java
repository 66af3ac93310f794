package io.github.yoloslim.prune;

import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.testing.ConsoleListener;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * Time of {@code prune} with least-squares recovery on the real yolov8n and 64 coco-tiny/train2017 images, against
 * the budget of 5 minutes on 2 cores for the recovery: prints every stage line with its wall time, then
 * the recovery's time as a ratio of the budget.
 *
 * <p>Run: {@code mvn -B -q test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.github.yoloslim.prune.RecoveryBenchmark -Dexec.args="../shared 0.1 variance"}
 */
public final class RecoveryBenchmark {

    private static final double BUDGET_SECONDS = 300;

    private RecoveryBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args.length > 0 ? args[0] : "../shared");
        double ratio = args.length > 1 ? Double.parseDouble(args[1]) : 0.1;
        String criterion = args.length > 2 ? args[2] : "variance";
        long start = System.nanoTime();
        double[] recovery = {0};
        ProgressListener listener = new ConsoleListener();
        Path output = Files.createTempDirectory("recovery-benchmark");
        new Pruner(listener).run(new PruneRequest(shared.resolve("models/yolov8n.onnx"),
                ImportanceCriterion.parse(criterion, "criterion"), new SelectionSettings(ratio, -1, 8, 0.25, 8),
                new RecoverySettings(RecoveryMethod.LEAST_SQUARES, 0.1, 32), true, Optional.empty(),
                Optional.of(shared.resolve("data/coco-tiny/train2017")), 64, ModelOverrides.NONE, 0,
                UnreadableImagePolicy.SKIP, output));
        System.out.printf(Locale.ROOT, "least squares on 64 images: %.1f s = %.2f× the %.0f s budget; prune in all %.1f s "
                + "on %d processors%n", recovery[0], recovery[0] / BUDGET_SECONDS, BUDGET_SECONDS,
                (System.nanoTime() - start) / 1e9, Runtime.getRuntime().availableProcessors());
    }
}
