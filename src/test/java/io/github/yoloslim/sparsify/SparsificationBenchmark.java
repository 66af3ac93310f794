package io.github.yoloslim.sparsify;

import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.distill.DistillRequest;
import io.github.yoloslim.distill.DistillResult;
import io.github.yoloslim.distill.Distillation;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.EvaluationSettings;
import io.github.yoloslim.eval.ModelEvaluator;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.ImportanceCriterion;
import io.github.yoloslim.prune.PruneRequest;
import io.github.yoloslim.prune.Pruner;
import io.github.yoloslim.prune.RecoveryMethod;
import io.github.yoloslim.prune.RecoverySettings;
import io.github.yoloslim.prune.SelectionSettings;
import io.github.yoloslim.testing.ConsoleListener;
import io.github.yoloslim.testing.SharedData;
import io.github.yoloslim.train.Augmentation;
import io.github.yoloslim.train.DistillationSettings;
import io.github.yoloslim.train.LossWeights;
import io.github.yoloslim.train.TrainingDevice;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;

/**
 * The paper's pipeline on the real YOLOv8n, through the stages' cores as the goals run them: sparsify on the
 * unlabelled images ({@code coco-unlabeled}), prune by the learned scales, distil, evaluating the sparse, pruned and
 * distilled models on the pooled 208 images (FP32 0.4065 mAP50-95) or {@code coco-val500}. Each step is skipped when
 * its output in the work folder is up to date, so a second run with another distillation reuses the sparse model.
 * Run on demand (see the docs), not as a test; arguments: shared folder, work folder, penalty, scale learning rate,
 * threshold, sparsify epochs, training image size, training images (0 for all 600), distill epochs, evaluation set
 * ({@code pooled} or {@code val500}), and {@code train-weights} to train the weights beside the scales:
 *
 * <pre>mvn -B -q test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=io.github.yoloslim.sparsify.SparsificationBenchmark \
 *   -Dexec.args="../shared target/sparsify 0.5 0.02 0.01 2 480 0 2 pooled"</pre>
 */
public final class SparsificationBenchmark {

    private SparsificationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args[0]);
        double penalty = Double.parseDouble(args[2]);
        double scaleRate = Double.parseDouble(args[3]);
        double threshold = Double.parseDouble(args[4]);
        int epochs = Integer.parseInt(args[5]);
        int imageSize = Integer.parseInt(args[6]);
        int maxImages = Integer.parseInt(args[7]);
        int distillEpochs = Integer.parseInt(args[8]);
        boolean trainWeights = args.length > 10 && args[10].equals("train-weights");
        Path work = Files.createDirectories(Path.of(args[1]).resolve(String.join("-", "l" + penalty, "s" + scaleRate,
                "e" + epochs, "px" + imageSize, "n" + maxImages, trainWeights ? "w" : "frozen")));
        ProgressListener log = new ConsoleListener();
        Path model = shared.resolve("models/yolov8n.onnx");
        Path unlabelled = shared.resolve("data/coco-unlabeled/images");
        Dataset dataset = args[9].equals("val500") ? SharedData.coco(shared, "coco-val500", "val2017")
                : SharedData.pooled208(shared);
        ModelEvaluator evaluator = new ModelEvaluator(new EvaluationSettings(DecodeSettings.VALIDATION,
                ModelOverrides.NONE, 2, 0, UnreadableImagePolicy.SKIP), ProgressListener.silent());

        long start = System.nanoTime();
        SparsifyResult sparse = new Sparsification(log).run(new SparsifyRequest(model, Optional.empty(), unlabelled,
                maxImages, settings(epochs, imageSize), penalty, scaleRate, threshold, trainWeights,
                UnreadableImagePolicy.SKIP,
                work));
        double sparsifySeconds = (System.nanoTime() - start) / 1e9;
        double sparseMap = evaluator.evaluate(sparse.sparseModel(), "<sparse>", "sparse", dataset).stats().ap();

        Pruner.PruneResult pruned = new Pruner(log).run(new PruneRequest(model, ImportanceCriterion.AUTO,
                new SelectionSettings(0.1, -1, 8, 0.25, 8), new RecoverySettings(RecoveryMethod.AUTO, 0.1, 32), true,
                Optional.empty(), Optional.of(unlabelled), 64, ModelOverrides.NONE, 2, UnreadableImagePolicy.SKIP,
                work));
        double prunedMap = evaluator.evaluate(pruned.prunedModel(), "<pruned>", "pruned", dataset).stats().ap();

        start = System.nanoTime();
        DistillResult distilled = new Distillation(log).run(new DistillRequest(model, Optional.empty(), unlabelled,
                maxImages, settings(distillEpochs, imageSize), UnreadableImagePolicy.SKIP, work));
        double distillSeconds = (System.nanoTime() - start) / 1e9;
        double distilledMap = evaluator.evaluate(distilled.distilledModel(), "<distilled>", "distilled", dataset)
                .stats().ap();

        long before = pruned.before().parameters();
        long after = pruned.after().parameters();
        System.out.printf(Locale.ROOT, "RESULT penalty %s scaleRate %s threshold %s epochs %d size %d: %d of %d "
                + "channels below threshold; parameters %d -> %d (%+.1f%%); %s mAP50-95 sparse %.4f, pruned %.4f, "
                + "distilled %.4f; sparsify %.0f s, distill %.0f s%n", penalty, scaleRate, threshold, epochs,
                imageSize, sparse.belowThreshold(), sparse.channels(), before, after, 100.0 * (after - before) / before,
                dataset.description(), sparseMap, prunedMap, distilledMap, sparsifySeconds, distillSeconds);
    }

    private static DistillationSettings settings(int epochs, int imageSize) {
        return new DistillationSettings(epochs, 4, imageSize, 2e-3, 50, 0.01, 0, 1, new LossWeights(1, 1, 0, 1),
                new Augmentation(0.5, 0.25, 0), TrainingDevice.CPU, 2);
    }
}
