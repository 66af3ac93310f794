package io.github.yoloslim.train;

import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.ImageSelection;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.EvaluationSettings;
import io.github.yoloslim.eval.ModelEvaluation;
import io.github.yoloslim.eval.ModelEvaluator;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.ImportanceCriterion;
import io.github.yoloslim.prune.PruneRequest;
import io.github.yoloslim.prune.Pruner;
import io.github.yoloslim.prune.RecoveryMethod;
import io.github.yoloslim.prune.RecoverySettings;
import io.github.yoloslim.prune.SelectionSettings;
import io.github.yoloslim.testing.ConsoleListener;
import io.github.yoloslim.testing.SharedData;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The first distillation experiment on the real YOLOv8n: prune it at a ratio with the plugin's defaults
 * (calibration on 64 of the unlabelled images), evaluate the pruned model, distil it from the dense model on the
 * 600 unlabelled images ({@code coco-unlabeled}, disjoint from every evaluation set), and evaluate again on the
 * pooled 208 images ({@code coco-tiny/val2017} + {@code coco128}, FP32 0.4065 mAP50-95) or on {@code coco-val500}.
 * Run on demand (see src/site/markdown/benchmarks.md), not as a test; arguments: shared folder, work folder,
 * prune ratio, epochs, batch, image size, learning rate, loss weights box/classes/features, evaluation set
 * ({@code pooled} or {@code val500}):
 *
 * <pre>mvn -B -q test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=io.github.yoloslim.train.DistillationBenchmark \
 *   -Dexec.args="../shared target/distill 0.3 3 4 640 0.0005 1/1/0 pooled"</pre>
 */
public final class DistillationBenchmark {

    private DistillationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path shared = Path.of(args[0]);
        double ratio = Double.parseDouble(args[2]);
        Path work = Files.createDirectories(Path.of(args[1]).resolve("ratio-" + ratio));
        String[] weights = args[7].split("/");
        LossWeights losses = new LossWeights(Double.parseDouble(weights[0]), Double.parseDouble(weights[1]),
                Double.parseDouble(weights[2]), 1);
        DistillationSettings settings = new DistillationSettings(Integer.parseInt(args[3]), Integer.parseInt(args[4]),
                Integer.parseInt(args[5]), Double.parseDouble(args[6]), 50, 0.01, 0, 1, losses,
                new Augmentation(0.5, 0.25, 0), TrainingDevice.CPU, 2);
        ProgressListener log = new ConsoleListener();

        Path model = shared.resolve("models/yolov8n.onnx");
        Path unlabelled = shared.resolve("data/coco-unlabeled/images");
        Path pruned = work.resolve("yolov8n.pruned.onnx");
        if (!Files.exists(pruned)) {
            new Pruner(log).run(new PruneRequest(model, ImportanceCriterion.AUTO, new SelectionSettings(ratio, -1, 8,
                    0.25, 8), new RecoverySettings(RecoveryMethod.AUTO, 0.1, 32), true, Optional.empty(),
                    Optional.of(unlabelled), 64, ModelOverrides.NONE, 2, UnreadableImagePolicy.SKIP, work));
        }
        OnnxModel teacher = OnnxModel.load(model, "<model>");
        OnnxModel student = OnnxModel.load(pruned, "<student>");
        System.out.printf(Locale.ROOT, "parameters %d -> %d (%+.1f%%)%n", parameters(teacher), parameters(student),
                100.0 * (parameters(student) - parameters(teacher)) / parameters(teacher));

        Dataset dataset = args[8].equals("val500") ? SharedData.coco(shared, "coco-val500", "val2017")
                : SharedData.pooled208(shared);
        ModelEvaluator evaluator = new ModelEvaluator(new EvaluationSettings(DecodeSettings.VALIDATION,
                ModelOverrides.NONE, 2, 0, UnreadableImagePolicy.SKIP), ProgressListener.silent());
        ModelEvaluation before = evaluator.evaluate(pruned, "<student>", "pruned", dataset);

        Path distilled = work.resolve("yolov8n.distilled.onnx");
        List<Path> images = ImageSelection.from(unlabelled, "trainingImages", 0).images();
        DistillationResult result = new Distiller(log).run(new DistillationRequest(teacher, student, images, unlabelled,
                UnreadableImagePolicy.SKIP, settings,
                Optional.of(distilled)));
        ModelEvaluation after = evaluator.evaluate(distilled, "<student>", "distilled", dataset);
        System.out.printf(Locale.ROOT, "%s: mAP50-95 %.4f -> %.4f (mAP50 %.4f -> %.4f) after %d steps in %.0f s "
                + "(%.2f images/s)%n", dataset.description(), before.stats().ap(), after.stats().ap(),
                before.stats().ap50(), after.stats().ap50(), result.steps(), result.seconds(),
                result.imagesPerSecond());
    }

    private static long parameters(OnnxModel model) {
        return model.graph().getInitializerList().stream().filter(t -> t.getDataType() == 1)
                .mapToLong(GraphView::elementCount).sum();
    }
}
