package io.github.yoloslim.sparsify;

import io.github.yoloslim.calibrate.CalibrateRequest;
import io.github.yoloslim.calibrate.CalibrationResult;
import io.github.yoloslim.calibrate.Calibrator;
import io.github.yoloslim.calibrate.RangeMethod;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.distill.DistillRequest;
import io.github.yoloslim.distill.DistillResult;
import io.github.yoloslim.distill.Distillation;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.EvaluationSettings;
import io.github.yoloslim.eval.ModelEvaluator;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.ImportanceCriterion;
import io.github.yoloslim.prune.PruneRequest;
import io.github.yoloslim.prune.Pruner;
import io.github.yoloslim.prune.RecoveryMethod;
import io.github.yoloslim.prune.RecoverySettings;
import io.github.yoloslim.prune.SelectionSettings;
import io.github.yoloslim.prune.SparsityScales;
import io.github.yoloslim.quantize.QdqFormat;
import io.github.yoloslim.quantize.QdqOptions;
import io.github.yoloslim.testing.ConsoleListener;
import io.github.yoloslim.testing.SharedData;
import io.github.yoloslim.train.Augmentation;
import io.github.yoloslim.train.DistillationSettings;
import io.github.yoloslim.train.LossWeights;
import io.github.yoloslim.train.TrainingDevice;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The paper's pipeline on the real YOLOv8n, through the stages' cores as the goals run them: sparsify on the
 * unlabelled images ({@code coco-unlabeled}), prune by the learned scales, distil, evaluating the sparse, pruned and
 * distilled models on the pooled 208 images (FP32 0.4065 mAP50-95) or {@code coco-val500}. Each step is skipped when
 * its output in the work folder is up to date, so a second run with another distillation reuses the sparse model.
 * Run on demand (see the docs), not as a test; arguments: shared folder, work folder, penalty, scale learning rate,
 * threshold, sparsify epochs, training image size, training images (0 for all 600), distill epochs, evaluation set
 * ({@code pooled} or {@code val500}), then any of: {@code train-weights} to train the weights beside the scales,
 * {@code prune-threshold=T} to prune at another scale threshold than the one sparsify used (the sparse model is
 * reused), {@code distill-size=P} to distil at another image size than sparsify trained at, {@code lr=R} for
 * distill's relative learning rate (default 2e-3; sparsify keeps it), {@code steps=N} for a penalty path of N
 * stages, {@code stage=K} to prune by stage K's scales alone (from 1; default the last), {@code target-params=F}
 * to prune by the scale threshold that removes the fraction F of the parameters, and {@code int8} to
 * calibrate the distilled model (MSE ranges on {@code coco-tiny/train2017}, TensorRT QDQ layout) and evaluate it:
 *
 * <pre>mvn -B -q test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=io.github.yoloslim.sparsify.SparsificationBenchmark \
 *   -Dexec.args="../shared target/sparsify 0.004 0.02 0.01 2 480 0 3 pooled \
 *   prune-threshold=0.19 distill-size=320 int8"</pre>
 */
public final class SparsificationBenchmark {

    /** distill's default relative learning rate; sparsify always trains with it. */
    private static final double LEARNING_RATE = 2e-3;

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
        List<String> options = Arrays.asList(args).subList(Math.min(10, args.length), args.length);
        boolean trainWeights = options.contains("train-weights");
        double pruneThreshold = Double.parseDouble(option(options, "prune-threshold", "-1"));
        int steps = Integer.parseInt(option(options, "steps", "1"));
        int stage = Integer.parseInt(option(options, "stage", "0"));
        double targetReduction = Double.parseDouble(option(options, "target-params", "0"));
        int distillSize = Integer.parseInt(option(options, "distill-size", String.valueOf(imageSize)));
        double distillRate = Double.parseDouble(option(options, "lr", String.valueOf(LEARNING_RATE)));
        Path work = Files.createDirectories(Path.of(args[1]).resolve(String.join("-", "l" + penalty, "s" + scaleRate,
                "e" + epochs, "px" + imageSize, "n" + maxImages, trainWeights ? "w" : "frozen")
                + (steps > 1 ? "-p" + steps : "")));
        ProgressListener log = new ConsoleListener();
        Path model = shared.resolve("models/yolov8n.onnx");
        Path unlabelled = shared.resolve("data/coco-unlabeled/images");
        Dataset dataset = args[9].equals("val500") ? SharedData.coco(shared, "coco-val500", "val2017")
                : SharedData.pooled208(shared);
        ModelEvaluator evaluator = new ModelEvaluator(new EvaluationSettings(DecodeSettings.VALIDATION,
                ModelOverrides.NONE, 2, 0, UnreadableImagePolicy.SKIP), ProgressListener.silent());

        long start = System.nanoTime();
        SparsifyResult sparse = new Sparsification(log).run(new SparsifyRequest(model, Optional.empty(), unlabelled,
                maxImages, settings(epochs, imageSize, LEARNING_RATE), penalty, steps, scaleRate, threshold,
                trainWeights, UnreadableImagePolicy.SKIP, work));
        double sparsifySeconds = (System.nanoTime() - start) / 1e9;
        double sparseMap = evaluator.evaluate(sparse.sparseModel(), "<sparse>", "sparse", dataset).stats().ap();

        String stageText = "";
        Path teacher = model;
        Path chain = work;
        if (stage > 0 || targetReduction > 0) {
            // One stage's ranking on the original weights, as the search would try it: its own chain, in which the
            // stage's model is <model> (the same weights as the original, with only that stage's scales).
            OnnxModel sparseModel = OnnxModel.load(sparse.sparseModel(), "<sparse>");
            SparsityScales scales = SparsityScales.of(sparseModel, "<sparse>").orElseThrow();
            List<SparsityScales.Stage> stages = scales.stages();
            SparsityScales.Stage chosen = stages.get(stage > 0 ? stage - 1 : stages.size() - 1);
            chain = Files.createDirectories(work.resolve(String.format(Locale.ROOT, "stage%d-r%s",
                    stage > 0 ? stage : stages.size(), targetReduction)));
            teacher = chain.resolve("yolov8n.onnx");
            scales.only(chosen).attachTo(sparseModel).save(teacher);
            if (targetReduction > 0) {
                pruneThreshold = thresholdFor(teacher, targetReduction, chain.resolve("threshold-search"));
            }
            stageText = String.format(Locale.ROOT, " stage %s (penalty %s)", stage > 0 ? stage : stages.size(),
                    chosen.penalty());
        }
        Pruner.PruneResult pruned = new Pruner(log).run(new PruneRequest(teacher, ImportanceCriterion.AUTO,
                new SelectionSettings(0.1, pruneThreshold, 8, 0.25, 8),
                new RecoverySettings(RecoveryMethod.AUTO, 0.1, 32), true,
                Optional.empty(), Optional.of(unlabelled), 64, ModelOverrides.NONE, 2, UnreadableImagePolicy.SKIP,
                chain));
        double prunedMap = evaluator.evaluate(pruned.prunedModel(), "<pruned>", "pruned", dataset).stats().ap();

        start = System.nanoTime();
        DistillResult distilled = new Distillation(log).run(new DistillRequest(teacher, Optional.empty(), unlabelled,
                maxImages, settings(distillEpochs, distillSize, distillRate), UnreadableImagePolicy.SKIP, chain));
        double distillSeconds = (System.nanoTime() - start) / 1e9;
        double distilledMap = evaluator.evaluate(distilled.distilledModel(), "<distilled>", "distilled", dataset)
                .stats().ap();

        String int8 = "";
        if (options.contains("int8")) {
            CalibrationResult quantized = new Calibrator(log).run(new CalibrateRequest(model, Optional.empty(),
                    shared.resolve("data/coco-tiny/train2017"), 0, RangeMethod.MSE, 99.99,
                    QdqOptions.of(QdqFormat.TENSORRT), "10.15.1", ModelOverrides.NONE, 2, 0,
                    UnreadableImagePolicy.SKIP, chain));
            int8 = String.format(Locale.ROOT, ", INT8 %.4f", evaluator.evaluate(quantized.quantizedModel(), "<input>",
                    "int8", dataset).stats().ap());
        }
        long before = pruned.before().parameters();
        long after = pruned.after().parameters();
        System.out.printf(Locale.ROOT, "RESULT penalty %s steps %d%s scaleRate %s threshold %s epochs %d size %d: %d of %d "
                + "channels below threshold; parameters %d -> %d (%+.1f%%); %s mAP50-95 sparse %.4f, pruned %.4f, "
                + "distilled %.4f%s (distilled at %d, rate %s); sparsify %.0f s, distill %.0f s%n", penalty, steps,
                stageText, scaleRate,
                pruneThreshold > 0 ? pruneThreshold : threshold, epochs,
                imageSize, sparse.belowThreshold(), sparse.channels(), before, after, 100.0 * (after - before) / before,
                dataset.description(), sparseMap, prunedMap, distilledMap, int8, distillSize, distillRate,
                sparsifySeconds, distillSeconds);
    }

    /**
     * The scale threshold at which {@code model}'s own scales prune about {@code reduction} of its parameters,
     * bisected with prune's constant recovery (fast: nothing is measured), within 0.2 percentage points.
     */
    private static double thresholdFor(Path model, double reduction, Path scratch) throws Exception {
        double low = 0;
        double high = 1;
        for (int step = 0; step < 20; step++) {
            double middle = (low + high) / 2;
            Pruner.PruneResult result = new Pruner(ProgressListener.silent()).run(new PruneRequest(model,
                    ImportanceCriterion.AUTO, new SelectionSettings(0.1, middle, 8, 0.25, 8),
                    new RecoverySettings(RecoveryMethod.CONSTANTS, 0.1, 32), false, Optional.empty(),
                    Optional.empty(), 0, ModelOverrides.NONE, 2, UnreadableImagePolicy.SKIP, scratch));
            double reached = 1 - (double) result.after().parameters() / result.before().parameters();
            System.out.printf(Locale.ROOT, "threshold %.5f: parameters -%.2f%%%n", middle, 100 * reached);
            if (Math.abs(reached - reduction) < 0.002) {
                return middle;
            }
            if (reached < reduction) {
                low = middle;
            } else {
                high = middle;
            }
        }
        return (low + high) / 2;
    }

    /** The value of a {@code name=value} argument, or {@code fallback}. */
    private static String option(List<String> options, String name, String fallback) {
        return options.stream().filter(o -> o.startsWith(name + "=")).map(o -> o.substring(name.length() + 1))
                .findFirst().orElse(fallback);
    }

    private static DistillationSettings settings(int epochs, int imageSize, double learningRate) {
        return new DistillationSettings(epochs, 4, imageSize, learningRate, 50, 0.01, 0, 1,
                new LossWeights(1, 1, 0, 1),
                new Augmentation(0.5, 0.25, 0), TrainingDevice.CPU, 2);
    }
}
