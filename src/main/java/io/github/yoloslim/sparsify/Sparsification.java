package io.github.yoloslim.sparsify;

import ai.onnx.proto.OnnxMl.NodeProto;
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
import io.github.yoloslim.distill.DistillReport;
import io.github.yoloslim.distill.Distillation;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.ChannelDependencyAnalysis;
import io.github.yoloslim.prune.ChannelGroup;
import io.github.yoloslim.prune.SparsityScales;
import io.github.yoloslim.quantize.QdqPlacement;
import io.github.yoloslim.train.ChannelScaling;
import io.github.yoloslim.train.DistillationRequest;
import io.github.yoloslim.train.DistillationResult;
import io.github.yoloslim.train.DistillationSettings;
import io.github.yoloslim.train.Distiller;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code sparsify}'s core: puts a trainable scale on every channel that {@code prune} can remove (coupled channels
 * share one), trains the model towards {@code <model>} on unlabelled images with an L1 penalty on the scales, sets
 * the scales below the threshold to zero (folding the scales into the Convs only when the weights trained too)
 * and writes {@code <name>.sparse.onnx} (carrying the scales as metadata, for
 * {@code prune}'s {@code scale} criterion) and {@code sparsify-report.json}. The model is written atomically and
 * only after training succeeded, and {@code pipeline.json} last.
 */
public final class Sparsification {

    private final ProgressListener listener;

    public Sparsification(ProgressListener listener) {
        this.listener = listener;
    }

    /** Trains, or reports that the outputs are up to date. */
    public SparsifyResult run(SparsifyRequest request) throws IOException {
        try (StageRun run = StageRun.begin(PipelineStage.SPARSIFY, request.outputDirectory(), request.model(),
                listener)) {
            StageInput input = run.input(request.input());
            listener.detail("sparsify input: " + input.explanation());
            Path sparseFile = run.outputDirectory().resolve(ArtifactNames.sparseModel(request.model()));
            Path reportFile = run.outputDirectory().resolve(ArtifactNames.SPARSIFY_REPORT);
            OutputDirectory.requireWritable(sparseFile, reportFile);
            OnnxModel teacher = OnnxModel.load(request.model(), "<model>");
            YoloModelInfo info = YoloModelInspector.inspect(teacher, "<model>", ModelOverrides.NONE);
            OnnxModel student = OnnxModel.load(input.file(), input.parameter());
            QdqPlacement.refuseQuantized(student, input.parameter(), "sparsify the float model (the plain `yolo "
                    + "export format=onnx` export): sparsify comes before prune and calibrate");
            YoloModelInspector.inspect(student, input.parameter(), ModelOverrides.NONE);
            ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(student);
            analysis.notes().forEach(listener::detail);
            ChannelScaling scaling = scaling(student, analysis, request.penalty(), request.scaleLearningRate(),
                    request.threshold(), request.trainWeights());
            DistillationSettings settings = request.settings().resolvedFor(Math.max(info.inputHeight(),
                    info.inputWidth()));
            ImageSelection selection = ImageSelection.from(request.trainingImages(), "trainingImages",
                    request.maxTrainingImages());
            StageKey key = Distillation.withSettings(run.key(input).input("trainingImages",
                    selection.contentHash(request.trainingImages())), "", settings)
                    .parameter("penalty", request.penalty())
                    .parameter("penaltySteps", request.penaltySteps())
                    .parameter("scaleLearningRate", request.scaleLearningRate())
                    .parameter("threshold", request.threshold())
                    .parameter("trainWeights", request.trainWeights());
            if (run.upToDate(key).isPresent()) {
                SparsifyReport previous = Json.mapper().readValue(reportFile.toFile(), SparsifyReport.class);
                listener.stage("Sparsity training up to date: " + sparseFile.getFileName() + " matches the models, "
                        + "images and settings (" + ArtifactNames.SPARSIFY_REPORT + ")");
                return new SparsifyResult(SparsifyResult.Outcome.UP_TO_DATE, sparseFile, reportFile,
                        previous.belowThreshold(), previous.channels());
            }

            List<PathStage> stages = new ArrayList<>();
            for (int stage = 0; stage < request.penaltySteps(); stage++) {
                if (stage > 0) {
                    scaling = scaling.nextStage(request.penalty(stage), stages.get(stage - 1).result().scales());
                    listener.stage(String.format(Locale.ROOT, "Penalty path stage %d of %d: penalty %s, starting from "
                            + "stage %d's scales", stage + 1, request.penaltySteps(), request.penalty(stage), stage));
                }
                stages.add(new PathStage(request.penalty(stage), new Distiller(listener).run(new DistillationRequest(
                        teacher, student, selection.images(), request.trainingImages(), request.unreadableImages(),
                        settings, Optional.empty(), Optional.of(scaling)))));
            }
            DistillationResult last = stages.get(stages.size() - 1).result();
            new SparsityScales(request.threshold(), last.scales(), stages.stream()
                    .map(s -> new SparsityScales.Stage(s.penalty(), settings.epochs(), s.result().scales()))
                    .toList()).attachTo(last.model()).save(sparseFile);
            SparsifyReport report = report(key, request, input, settings, selection, sparseFile, analysis, stages);
            report.warnings().forEach(listener::warn);
            AtomicFiles.write(reportFile, Json.mapper().writeValueAsBytes(report));
            run.commit(key, input, sparseFile, List.of(reportFile));
            listener.stage(String.format(Locale.ROOT, "%d of %d channels (%.1f %%) ended below scale %s in %d groups%s; "
                    + "wrote %s and %s", report.belowThreshold(), report.channels(), 100.0 * report.belowThreshold()
                    / report.channels(), request.threshold(), report.groups().size(), stages.size() == 1 ? ""
                    : " at the path's last penalty " + request.penalty(stages.size() - 1), sparseFile.getFileName(),
                    ArtifactNames.SPARSIFY_REPORT));
            return new SparsifyResult(SparsifyResult.Outcome.SPARSIFIED, sparseFile, reportFile,
                    report.belowThreshold(), report.channels());
        }
    }

    /** One stage of the penalty path and its training. */
    private record PathStage(double penalty, DistillationResult result) {
    }

    /** One scale per channel of every prunable group of {@code analysis}, on each member Conv's weight and bias. */
    public static ChannelScaling scaling(OnnxModel model, ChannelDependencyAnalysis analysis, double penalty,
            double scaleLearningRate, double threshold, boolean trainWeights) {
        Map<String, NodeProto> convs = new HashMap<>();
        for (NodeProto node : model.graph().getNodeList()) {
            convs.put(ChannelDependencyAnalysis.displayName(node), node);
        }
        List<ChannelScaling.Group> groups = new ArrayList<>();
        for (ChannelGroup group : analysis.groups()) {
            List<ChannelScaling.Member> members = new ArrayList<>();
            for (ChannelGroup.Member member : group.members()) {
                NodeProto conv = convs.get(member.conv());
                members.add(new ChannelScaling.Member(conv.getInput(1), conv.getInputCount() > 2
                        && !conv.getInput(2).isEmpty() ? conv.getInput(2) : null, member.offset()));
            }
            groups.add(new ChannelScaling.Group(group.name(), group.size(), members));
        }
        return new ChannelScaling(groups, penalty, scaleLearningRate, threshold, trainWeights, Map.of());
    }

    private static SparsifyReport report(StageKey key, SparsifyRequest request, StageInput input,
            DistillationSettings settings, ImageSelection selection, Path sparseFile,
            ChannelDependencyAnalysis analysis, List<PathStage> stages) throws IOException {
        DistillationResult result = stages.get(stages.size() - 1).result();
        List<SparsifyReport.Group> groups = new ArrayList<>();
        List<String> warnings = new ArrayList<>();
        int below = 0;
        int channels = 0;
        for (ChannelGroup group : analysis.groups()) {
            float[] scales = result.scales().get(group.name());
            int[] counts = new int[SparsifyReport.Bin.EDGES.length - 1];
            int zero = 0;
            int groupBelow = 0;
            for (float scale : scales) {
                double magnitude = Math.abs(scale);
                zero += scale == 0 ? 1 : 0;
                groupBelow += magnitude < request.threshold() ? 1 : 0;
                int bin = 0;
                while (bin < counts.length - 1 && magnitude >= SparsifyReport.Bin.EDGES[bin + 1]) {
                    bin++;
                }
                counts[bin]++;
            }
            List<SparsifyReport.Bin> histogram = new ArrayList<>();
            for (int b = 0; b < counts.length; b++) {
                histogram.add(new SparsifyReport.Bin(SparsifyReport.Bin.EDGES[b], SparsifyReport.Bin.EDGES[b + 1],
                        counts[b]));
            }
            if (groupBelow == scales.length) {
                warnings.add("every one of the " + scales.length + " channel scales of layer " + group.name()
                        + " fell below <scaleThreshold> " + request.threshold() + ": prune keeps only its "
                        + "<minChannels> strongest there. Lower <penalty> (now " + request.penalty() + ") if the "
                        + "layer should keep more.");
            }
            groups.add(new SparsifyReport.Group(group.name(), group.members().stream()
                    .map(ChannelGroup.Member::conv).toList(), scales.length, zero, groupBelow, histogram));
            below += groupBelow;
            channels += scales.length;
        }
        List<SparsifyReport.PathStage> path = new ArrayList<>();
        List<DistillationResult.EpochLoss> epochs = new ArrayList<>();
        List<DistillationResult.EpochScales> history = new ArrayList<>();
        int steps = 0;
        long inputs = 0;
        double seconds = 0;
        double[] time = new double[5];
        for (PathStage stage : stages) {
            DistillationResult r = stage.result();
            DistillationResult.EpochScales end = r.scaleHistory().get(r.scaleHistory().size() - 1);
            path.add(new SparsifyReport.PathStage(stage.penalty(), end.belowThreshold(), end.meanMagnitude(),
                    r.epochs().get(r.epochs().size() - 1).total(), r.seconds()));
            // Numbered on across the stages, so that the curves read as one training.
            int offset = epochs.size();
            r.epochs().forEach(e -> epochs.add(new DistillationResult.EpochLoss(offset + e.epoch(), e.total(),
                    e.box(), e.classes(), e.features(), e.seconds())));
            r.scaleHistory().forEach(e -> history.add(new DistillationResult.EpochScales(offset + e.epoch(),
                    e.meanMagnitude(), e.belowThreshold(), e.channels())));
            steps += r.steps();
            inputs += r.images();
            seconds += r.seconds();
            DistillationResult.StepTime t = r.time();
            double[] parts = {t.images(), t.teacher(), t.studentForward(), t.backward(), t.update()};
            for (int i = 0; i < parts.length; i++) {
                time[i] += parts[i];
            }
        }
        return new SparsifyReport(PluginVersion.get(), key.fingerprint(),
                new DistillReport.Source(request.model().getFileName().toString(), key.inputs().get("model")),
                new DistillReport.Source(input.file().getFileName().toString(), input.sha256()),
                new DistillReport.Source(sparseFile.getFileName().toString(), Sha256.ofFile(sparseFile)),
                new DistillReport.Images(request.trainingImages().getFileName().toString(),
                        selection.images().size() - result.skipped().size(), selection.available(), result.skipped(),
                        key.inputs().get("trainingImages")),
                DistillReport.Settings.of(settings),
                new SparsifyReport.Sparsity(request.penalty(), request.penaltySteps(), request.scaleLearningRate(),
                        request.threshold(), request.trainWeights()),
                epochs, history, path, groups, below, channels, steps, inputs, seconds,
                seconds > 0 ? inputs / seconds : 0, new DistillationResult.StepTime(time[0], time[1], time[2],
                        time[3], time[4]), warnings);
    }
}
