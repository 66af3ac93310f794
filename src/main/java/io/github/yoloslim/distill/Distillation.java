package io.github.yoloslim.distill;

import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.cache.OutputDirectory;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.cache.PluginVersion;
import io.github.yoloslim.cache.Sha256;
import io.github.yoloslim.cache.StageKey;
import io.github.yoloslim.cache.StageRun;
import io.github.yoloslim.cache.StageRun.StageInput;
import io.github.yoloslim.data.ImageSelection;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.train.Augmentation;
import io.github.yoloslim.train.DistillationRequest;
import io.github.yoloslim.train.DistillationResult;
import io.github.yoloslim.train.DistillationSettings;
import io.github.yoloslim.train.Distiller;
import io.github.yoloslim.train.LossWeights;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code distill}'s core: takes the student (the newest pipeline model, or {@code <distillInput>}), trains it
 * towards {@code <model>} on unlabelled images, and writes {@code <name>.distilled.onnx} and
 * {@code distill-report.json}. The model is written atomically and only after training succeeded, and
 * {@code pipeline.json} last, so an interrupted or failed run leaves no half-written model and is redone on the
 * next run.
 */
public final class Distillation {

    private final ProgressListener listener;

    public Distillation(ProgressListener listener) {
        this.listener = listener;
    }

    /** Distils, or reports that the outputs are up to date or that there is nothing to distil. */
    public DistillResult run(DistillRequest request) throws IOException {
        try (StageRun run = StageRun.begin(PipelineStage.DISTILL, request.outputDirectory(), request.model(),
                listener)) {
            StageInput input = run.input(request.input());
            listener.detail("distill input: " + input.explanation());
            Path distilledFile = run.outputDirectory().resolve(ArtifactNames.distilledModel(request.model()));
            Path reportFile = run.outputDirectory().resolve(ArtifactNames.DISTILL_REPORT);
            OutputDirectory.requireWritable(distilledFile, reportFile);
            if (input.sha256().equals(run.modelSha256())) {
                listener.stage("Nothing to distil: the input is " + input.explanation() + ", which is <model> "
                        + "itself, and distilling a model into itself changes nothing. Run prune before distill, or "
                        + "name a pruned model with <distillInput>.");
                return new DistillResult(DistillResult.Outcome.NOTHING_TO_DISTILL, distilledFile, reportFile,
                        Double.NaN);
            }
            OnnxModel teacher = OnnxModel.load(request.model(), "<model>");
            YoloModelInfo info = YoloModelInspector.inspect(teacher, "<model>", ModelOverrides.NONE);
            OnnxModel student = OnnxModel.load(input.file(), input.parameter());
            YoloModelInspector.inspect(student, input.parameter(), ModelOverrides.NONE);
            DistillationSettings settings = request.settings().resolvedFor(Math.max(info.inputHeight(),
                    info.inputWidth()));
            ImageSelection selection = ImageSelection.from(request.trainingImages(), "trainingImages",
                    request.maxTrainingImages());
            StageKey key = key(run.key(input), settings, selection.contentHash(request.trainingImages()));
            if (run.upToDate(key).isPresent()) {
                DistillReport previous = Json.mapper().readValue(reportFile.toFile(), DistillReport.class);
                listener.stage("Distillation up to date: " + distilledFile.getFileName() + " matches the models, "
                        + "images and settings (" + ArtifactNames.DISTILL_REPORT + ")");
                return new DistillResult(DistillResult.Outcome.UP_TO_DATE, distilledFile, reportFile,
                        previous.epochs().isEmpty() ? Double.NaN : previous.epochs().get(previous.epochs().size() - 1)
                                .total());
            }

            DistillationResult result = new Distiller(listener).run(new DistillationRequest(teacher, student,
                    selection.images(), request.trainingImages(), request.unreadableImages(), settings,
                    Optional.of(distilledFile)));
            DistillReport report = report(key, request, input, settings, selection, distilledFile, result);
            AtomicFiles.write(reportFile, Json.mapper().writeValueAsBytes(report));
            run.commit(key, input, distilledFile, List.of(reportFile));
            listener.stage("Wrote " + distilledFile.getFileName() + " and " + ArtifactNames.DISTILL_REPORT);
            return new DistillResult(DistillResult.Outcome.DISTILLED, distilledFile, reportFile,
                    result.epochs().get(result.epochs().size() - 1).total());
        }
    }

    /**
     * Everything the distilled model depends on besides the two models: the images and every setting that shapes
     * training. Threads change no result on a given machine and stay out.
     */
    private static StageKey key(StageKey key, DistillationSettings settings, String imagesHash) {
        return withSettings(key.input("trainingImages", imagesHash), "", settings);
    }

    /**
     * {@code key} with every setting that shapes a distilled model, named {@code prefix + setting}; threads change
     * no result on a given machine and stay out. For each stage that distils.
     */
    public static StageKey withSettings(StageKey key, String prefix, DistillationSettings settings) {
        LossWeights losses = settings.losses();
        Augmentation augmentation = settings.augmentation();
        return key.parameter(prefix + "epochs", settings.epochs())
                .parameter(prefix + "batch", settings.batch())
                .parameter(prefix + "imageSize", settings.imageSize())
                .parameter(prefix + "learningRate", settings.learningRate())
                .parameter(prefix + "warmupSteps", settings.warmupSteps())
                .parameter(prefix + "finalLearningRate", settings.finalLearningRate())
                .parameter(prefix + "weightDecay", settings.weightDecay())
                .parameter(prefix + "seed", settings.seed())
                .parameter(prefix + "boxWeight", losses.box())
                .parameter(prefix + "classWeight", losses.classes())
                .parameter(prefix + "featureWeight", losses.features())
                .parameter(prefix + "temperature", losses.temperature())
                .parameter(prefix + "flip", augmentation.flip())
                .parameter(prefix + "scaleJitter", augmentation.scaleJitter())
                .parameter(prefix + "mosaic", augmentation.mosaic())
                .parameter(prefix + "device", settings.device());
    }

    private static DistillReport report(StageKey key, DistillRequest request, StageInput input,
            DistillationSettings settings, ImageSelection selection, Path distilledFile, DistillationResult result)
            throws IOException {
        return new DistillReport(PluginVersion.get(), key.fingerprint(),
                new DistillReport.Source(request.model().getFileName().toString(), key.inputs().get("model")),
                new DistillReport.Source(input.file().getFileName().toString(), input.sha256()),
                new DistillReport.Source(distilledFile.getFileName().toString(), Sha256.ofFile(distilledFile)),
                new DistillReport.Images(request.trainingImages().getFileName().toString(),
                        selection.images().size() - result.skipped().size(), selection.available(), result.skipped(),
                        key.inputs().get("trainingImages")),
                DistillReport.Settings.of(settings),
                result.epochs(), result.steps(), result.images(), result.seconds(), result.imagesPerSecond(),
                result.time());
    }
}
