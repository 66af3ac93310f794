package io.github.yoloslim.prune;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.cache.OutputDirectory;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.cache.PluginVersion;
import io.github.yoloslim.cache.StageKey;
import io.github.yoloslim.cache.StageRun;
import io.github.yoloslim.cache.StageRun.StageInput;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.DatasetLoader;
import io.github.yoloslim.data.ImageSelection;
import io.github.yoloslim.data.LoadedDataset;
import io.github.yoloslim.distill.Distillation;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.ChannelStatistics.TensorStatistics;
import io.github.yoloslim.quantize.QdqPlacement;
import io.github.yoloslim.runtime.ImageBatches;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * {@code prune}'s core: finds the groups of coupled channels, scores them, removes the chosen ones, repairs the
 * network (bias absorption, least squares), optionally searches for the largest prune within a mAP budget, and
 * writes {@code <name>.pruned.onnx} and {@code prune-report.json}.
 */
public final class Pruner {

    private final ProgressListener listener;

    public Pruner(ProgressListener listener) {
        this.listener = listener;
    }

    /** What {@link #run} did. */
    public record PruneResult(boolean upToDate, Path prunedModel, ModelCost before, ModelCost after) {
    }

    /** One pruned and repaired model. */
    record Candidate(SelectionSettings settings, Map<String, int[]> removed, OnnxModel model, List<String> notes,
            List<LeastSquaresRecovery.LayerFit> fits, ModelCost cost, double seconds) {
    }

    /** Prunes, or reports that the output is up to date. */
    public PruneResult run(PruneRequest request) throws IOException, OrtException {
        try (StageRun run = StageRun.begin(PipelineStage.PRUNE, request.outputDirectory(), request.model(),
                listener)) {
            StageInput input = run.input(Optional.empty());
            OnnxModel model = OnnxModel.load(input.file(), input.parameter());
            QdqPlacement.refuseQuantized(model, input.parameter(), "prune the float model (the plain `yolo export "
                    + "format=onnx` export) and calibrate the pruned one: prune comes before calibrate");
            YoloModelInfo info = YoloModelInspector.inspect(model, input.parameter(), request.overrides());
            Optional<SparsityScales> sparsity = SparsityScales.of(model, input.parameter());
            ImportanceCriterion criterion = request.criterion().forModel(sparsity.isPresent());
            SelectionSettings selection = request.selection();
            if (criterion == ImportanceCriterion.SCALE && !selection.byThreshold()) {
                selection = selection.withThreshold(sparsity.orElseThrow().threshold());
                listener.stage("The model is sparsity-trained: pruning the channels whose scale fell below "
                        + selection.threshold() + " (sparsify's threshold; <threshold> overrides it, <ratio> is not "
                        + "used)");
            }
            if (criterion == ImportanceCriterion.SCALE && sparsity.orElseThrow().stages().size() > 1) {
                List<SparsityScales.Stage> stages = sparsity.get().stages();
                listener.stage(request.search().isPresent() ? "The model carries a penalty path of " + stages.size()
                        + " stages: the search tries the ranking of each, the last stage's first"
                        : "The model carries a penalty path of " + stages.size() + " stages: ranking by the last ("
                        + stages.get(stages.size() - 1).describe() + "); <targetMapDrop> would search them all");
            }
            Optional<ImageSelection> selected = request.calibrationImages().isPresent()
                    ? Optional.of(ImageSelection.from(request.calibrationImages().get(), "calibrationImages",
                            request.maxImages()))
                    : Optional.empty();
            List<Path> images = selected.map(ImageSelection::images).orElse(List.of());
            RecoveryMethod recovery = request.recovery().method().resolve(!images.isEmpty());
            if (recovery != RecoveryMethod.CONSTANTS && images.isEmpty()) {
                throw new InvalidInputException("<recovery>" + recovery.id() + "</recovery> needs calibration "
                        + "images, but none were given. Set <calibrationImages> to a folder of images like those the "
                        + "model sees, or use <recovery>constants</recovery>.");
            }
            Optional<Dataset> evaluationSet = Optional.empty();
            if (request.search().isPresent()) {
                LoadedDataset loaded = DatasetLoader.load(request.search().get().dataset(), info.classNames());
                listener.stage("Search evaluates on " + loaded.summary());
                evaluationSet = Optional.of(loaded.dataset());
            }
            Optional<SearchDistillation> distillation = request.search().flatMap(SearchSettings::distillation)
                    .map(d -> new SearchDistillation(d.trainingImages(), d.maxTrainingImages(),
                            d.settings().resolvedFor(Math.max(info.inputHeight(), info.inputWidth()))));
            Optional<ImageSelection> trainingImages = distillation.isPresent()
                    ? Optional.of(ImageSelection.from(distillation.get().trainingImages(), "trainingImages",
                            distillation.get().maxTrainingImages()))
                    : Optional.empty();
            String trainingImagesHash = trainingImages.isPresent()
                    ? trainingImages.get().contentHash(distillation.get().trainingImages()) : "none";
            StageKey key = key(run.key(input), request, recovery, selected.isPresent()
                    ? selected.get().contentHash(request.calibrationImages().get()) : "none",
                    evaluationSet.isPresent() ? evaluationSet.get().fingerprint() : "none", distillation,
                    trainingImagesHash);

            Path outputDirectory = run.outputDirectory();
            Path prunedFile = outputDirectory.resolve(ArtifactNames.prunedModel(request.model()));
            Path reportFile = outputDirectory.resolve(ArtifactNames.PRUNE_REPORT);
            OutputDirectory.requireWritable(prunedFile, reportFile);
            if (run.upToDate(key).isPresent()) {
                PruneReport previous = Json.mapper().readValue(reportFile.toFile(), PruneReport.class);
                listener.stage("Pruning up to date: " + prunedFile.getFileName() + " matches the model and settings ("
                        + ArtifactNames.PRUNE_REPORT + ")");
                return new PruneResult(true, prunedFile, previous.before(), previous.after());
            }

            Scores scores = score(model, info, images, recovery, request, criterion, sparsity.orElse(null));
            ModelCost before = ModelCost.measure(model, info);
            CandidateMaker maker = settings -> candidate(model, info, scores, recovery, request, settings);
            int prunable = scores.analysis().groups().stream().mapToInt(ChannelGroup::size).sum();
            listener.stage(String.format(Locale.ROOT, "Pruning %s: %d prunable channels in %d groups (%s), recovery "
                    + "%s", input.file().getFileName(), prunable, scores.analysis().groups().size(),
                    scores.description(), recovery.id()));
            Candidate chosen;
            PruneReport.Search searchReport = null;
            if (request.search().isPresent()) {
                PruneSearch.CandidateTraining training = distillation.isPresent()
                        ? new CandidateDistiller(model, distillation.get(), trainingImages.orElseThrow(),
                                trainingImagesHash, request.unreadableImages(), listener)
                        : PruneSearch.CandidateTraining.NONE;
                PruneSearch.Outcome outcome = new PruneSearch(listener).run(input.file(), before, model,
                        rankings(model, info, scores, recovery, request, criterion, sparsity), selection,
                        request.search().get(), evaluationSet.orElseThrow(), training);
                chosen = outcome.chosen();
                searchReport = outcome.report();
            } else {
                chosen = maker.make(selection);
            }
            SparsityScales.removedFrom(chosen.model()).save(prunedFile);
            writeReport(reportFile, key, input, request, recovery, scores, searchReport, scores.readImages().size(),
                    before, chosen);
            run.commit(key, input, prunedFile, List.of(reportFile));
            return new PruneResult(false, prunedFile, before, chosen.cost());
        }
    }

    /** Everything the pruned model depends on; threads do not change it. */
    private static StageKey key(StageKey key, PruneRequest request, RecoveryMethod recovery, String imagesHash,
            String evaluationHash, Optional<SearchDistillation> distillation, String trainingImagesHash) {
        SelectionSettings selection = request.selection();
        key.input("calibrationImages", imagesHash)
                .input("evaluationDataset", evaluationHash)
                .parameter("criterion", request.criterion().id())
                .parameter("ratio", selection.ratio())
                .parameter("threshold", selection.threshold())
                .parameter("minChannels", selection.minChannels())
                .parameter("minKeptFraction", selection.minKeptFraction())
                .parameter("roundTo", selection.roundTo())
                .parameter("recovery", recovery.id())
                .parameter("ridge", request.recovery().ridge())
                .parameter("rowsPerUnknown", request.recovery().rowsPerUnknown())
                .parameter("sensitivity", request.sensitivity())
                .parameter("imageSize", request.overrides().imageSize());
        request.search().ifPresent(search -> key.parameter("targetMapDrop", search.targetMapDrop())
                .parameter("maxRatio", search.maxRatio())
                .parameter("searchSteps", search.steps())
                .parameter("searchResolution", search.resolution())
                .parameter("failWhenNoReduction", search.failWhenNoReduction())
                .parameter("confidenceThreshold", search.evaluation().decode().confidenceThreshold())
                .parameter("iouThreshold", search.evaluation().decode().iouThreshold())
                .parameter("maxDetections", search.evaluation().decode().maxDetections())
                .parameter("multiLabel", search.evaluation().decode().multiLabel()));
        distillation.ifPresent(d -> Distillation.withSettings(key.input("trainingImages", trainingImagesHash),
                "searchDistill.", d.settings()));
        return key;
    }

    /**
     * The rankings the search tries: one, or for a model from a penalty path every stage's scales, the last (largest
     * penalty) first and the others from the largest penalty down. A stage's scales replace only the scores: the
     * measured means that repair the network do not depend on them.
     */
    private List<PruneSearch.Ranking> rankings(OnnxModel model, YoloModelInfo info, Scores scores,
            RecoveryMethod recovery, PruneRequest request, ImportanceCriterion criterion,
            Optional<SparsityScales> sparsity) {
        List<SparsityScales.Stage> stages = criterion == ImportanceCriterion.SCALE
                ? sparsity.orElseThrow().stages() : List.of();
        if (stages.size() <= 1) {
            return List.of(ranking(null, null, model, info, scores, recovery, request));
        }
        List<PruneSearch.Ranking> rankings = new ArrayList<>();
        for (int s = stages.size() - 1; s >= 0; s--) {
            SparsityScales.Stage stage = stages.get(s);
            ChannelImportance importance = new ChannelImportance(model, scores.analysis(), criterion, null,
                    sparsity.get().only(stage));
            Map<String, double[]> normalised = new LinkedHashMap<>();
            Map<String, double[]> raw = new LinkedHashMap<>();
            for (ChannelGroup group : scores.analysis().groups()) {
                normalised.put(group.name(), importance.scores(group));
                raw.put(group.name(), importance.rawScores(group));
            }
            Scores staged = new Scores(scores.analysis(), normalised, raw, scores.means(), scores.factors(),
                    importance.describe(scores.analysis().groups()), scores.readImages());
            rankings.add(ranking(stage.describe(), stage.penalty(), model, info, staged, recovery, request));
        }
        return rankings;
    }

    private PruneSearch.Ranking ranking(String name, Double penalty, OnnxModel model, YoloModelInfo info,
            Scores scores, RecoveryMethod recovery, PruneRequest request) {
        return new PruneSearch.Ranking(name, penalty, settings -> candidate(model, info, scores, recovery, request,
                settings), settings -> ChannelSelection.select(scores.analysis().groups(), scores.normalised(),
                scores.raw(), settings).removed());
    }

    /**
     * Every group's channel scores, normalised (for the global ranking) and raw (for thresholds), with the
     * measured channel means that absorption uses, the sensitivity factors that weighed the scores, and the
     * calibration images that could be read (every later pass runs on those).
     */
    private record Scores(ChannelDependencyAnalysis analysis, Map<String, double[]> normalised,
            Map<String, double[]> raw, Map<String, double[]> means, Map<String, Double> factors, String description,
            List<Path> readImages) {
    }

    /** Analyses the graph, measures what the criterion, sensitivity and recovery need, and scores every channel. */
    private Scores score(OnnxModel model, YoloModelInfo info, List<Path> images, RecoveryMethod recovery,
            PruneRequest request, ImportanceCriterion criterion, SparsityScales sparsity)
            throws IOException, OrtException {
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(model);
        analysis.notes().forEach(listener::detail);
        // Learned scales are a threshold's units: a sensitivity factor would change what the threshold means.
        boolean sensitivity = request.sensitivity() && !images.isEmpty() && criterion != ImportanceCriterion.SCALE;
        boolean covariances = !images.isEmpty() && (criterion.measured() || sensitivity
                || criterion == ImportanceCriterion.AUTO);
        Map<String, TensorStatistics> statistics = Map.of();
        List<Path> read = images;
        if (!images.isEmpty() && (recovery != RecoveryMethod.CONSTANTS || covariances)) {
            Set<String> tensors = ActivationImportance.tensors(model, analysis);
            long start = System.nanoTime();
            ChannelStatistics.Measurement measurement = ChannelStatistics.measure(model, info,
                    new ArrayList<>(tensors), covariances ? tensors : Set.of(), images, request.threadCount(),
                    request.unreadableImages(), new ImageBatches.Source("calibrationImages",
                            request.calibrationImages().orElseThrow(), "prune statistics"), listener);
            statistics = measurement.statistics();
            read = measurement.readImages();
            listener.stage(String.format(Locale.ROOT, "Measured %d activations on %d images in %.1f s (channel means%s)",
                    tensors.size(), read.size(), (System.nanoTime() - start) / 1e9,
                    covariances ? " and covariances" : ""));
        }
        ActivationImportance measured = covariances ? new ActivationImportance(model, analysis, statistics) : null;
        ChannelImportance importance = new ChannelImportance(model, analysis, criterion, measured, sparsity);
        Map<String, double[]> normalised = new LinkedHashMap<>();
        Map<String, double[]> raw = new LinkedHashMap<>();
        for (ChannelGroup group : analysis.groups()) {
            normalised.put(group.name(), importance.scores(group));
            raw.put(group.name(), importance.rawScores(group));
        }
        Map<String, double[]> means = ChannelStatistics.means(statistics);
        Map<String, Double> factors = new LinkedHashMap<>();
        if (sensitivity) {
            Map<String, double[]> layerErrors = new LinkedHashMap<>();
            for (int g = 0; g < analysis.groups().size(); g++) {
                layerErrors.put(analysis.groups().get(g).name(), measured.meanReplacementErrors(g));
            }
            double[] probed = SensitivityProbe.measure(model, info, analysis, normalised, layerErrors, means, read,
                    request.threadCount(), listener);
            for (int g = 0; g < probed.length; g++) {
                String name = analysis.groups().get(g).name();
                factors.put(name, probed[g]);
                for (double[] scores : List.of(normalised.get(name), raw.get(name))) {
                    for (int j = 0; j < scores.length; j++) {
                        scores[j] *= probed[g];
                    }
                }
            }
        }
        return new Scores(analysis, normalised, raw, recovery == RecoveryMethod.CONSTANTS ? Map.of() : means, factors,
                importance.describe(analysis.groups()), read);
    }

    /** Logs the per-layer table and writes {@code prune-report.json}. */
    private void writeReport(Path reportFile, StageKey key, StageInput input, PruneRequest request,
            RecoveryMethod recovery, Scores scores, PruneReport.Search searchReport, int images, ModelCost before,
            Candidate chosen) throws IOException {
        List<PruneReport.Group> groups = new ArrayList<>();
        for (ChannelGroup group : scores.analysis().groups()) {
            int[] removed = chosen.removed().getOrDefault(group.name(), new int[0]);
            groups.add(new PruneReport.Group(group.name(), group.members().stream().map(ChannelGroup.Member::conv)
                    .toList(), group.size(), group.size() - removed.length, removed, scores.factors().get(group.name())));
        }
        logTable(groups, before, chosen.cost());
        List<String> notes = new ArrayList<>(scores.analysis().notes());
        notes.addAll(chosen.notes());
        SelectionSettings settings = chosen.settings();
        RecoverySettings recoverySettings = request.recovery();
        PruneReport report = new PruneReport(PluginVersion.get(), key.fingerprint(),
                input.file().getFileName().toString(), input.sha256(), request.criterion().id(),
                new PruneReport.Selection(settings.ratio(), settings.threshold(), settings.minChannels(),
                        settings.minKeptFraction(), settings.roundTo()),
                new PruneReport.Recovery(recovery.id(), recoverySettings.ridge(), recoverySettings.rowsPerUnknown(),
                        chosen.fits()),
                searchReport, request.calibrationImages().map(Path::toString).orElse(null), images, before,
                chosen.cost(), groups, notes);
        AtomicFiles.write(reportFile, Json.mapper().writeValueAsBytes(report));
    }

    /** Makes one pruned, repaired model for a selection. */
    @FunctionalInterface
    interface CandidateMaker {
        Candidate make(SelectionSettings settings) throws IOException, OrtException;
    }

    private Candidate candidate(OnnxModel model, YoloModelInfo info, Scores scores, RecoveryMethod recovery,
            PruneRequest request, SelectionSettings settings) throws IOException, OrtException {
        ChannelDependencyAnalysis analysis = scores.analysis();
        long start = System.nanoTime();
        ChannelSelection.Selection selection = ChannelSelection.select(analysis.groups(), scores.normalised(),
                scores.raw(), settings);
        int removedCount = selection.removed().values().stream().mapToInt(channels -> channels.length).sum();
        listener.stage(String.format(Locale.ROOT, "Removing %d channels (%s)", removedCount, settings.byThreshold()
                ? "threshold " + settings.threshold() : String.format(Locale.ROOT, "ratio %.3f", settings.ratio())));
        selection.notes().forEach(listener::stage);
        PruneOutcome outcome = ChannelPruner.prune(model, analysis, selection.removed(), scores.means());
        outcome.notes().forEach(listener::stage);
        List<String> notes = new ArrayList<>(selection.notes());
        notes.addAll(outcome.notes());
        OnnxModel pruned = outcome.model();
        List<LeastSquaresRecovery.LayerFit> fits = List.of();
        if (recovery == RecoveryMethod.LEAST_SQUARES && !selection.removed().isEmpty()) {
            Map<String, ChannelPruner.ConvChannels> changes = ChannelPruner.convChannels(model, analysis,
                    selection.removed());
            List<ChannelPruner.ConvChannels> convs = changes.values().stream()
                    .filter(ChannelPruner.ConvChannels::losesInputs).toList();
            long solveStart = System.nanoTime();
            LeastSquaresRecovery.Result result = LeastSquaresRecovery.recover(model, pruned, info, convs,
                    scores.readImages(),
                    request.recovery(), request.threadCount(), listener);
            pruned = result.model();
            fits = result.layers();
            double[] errors = fits.stream().mapToDouble(LeastSquaresRecovery.LayerFit::errorAfter).sorted().toArray();
            double[] previous = fits.stream().mapToDouble(LeastSquaresRecovery.LayerFit::errorBefore).sorted()
                    .toArray();
            String line = String.format(Locale.ROOT, "Least squares re-solved %d Convs in %d passes on %d images in "
                    + "%.1f s; median relative output error %.4f → %.4f", fits.size(), result.levels(),
                    result.images(), (System.nanoTime() - solveStart) / 1e9, median(previous), median(errors));
            listener.stage(line);
            notes.add(line);
        }
        ModelCost cost = ModelCost.measure(pruned, YoloModelInspector.inspect(pruned, "<model>", request.overrides()));
        return new Candidate(settings, selection.removed(), pruned, notes, fits, cost,
                (System.nanoTime() - start) / 1e9);
    }

    private static double median(double[] sorted) {
        return sorted.length == 0 ? 0 : sorted[sorted.length / 2];
    }

    private void logTable(List<PruneReport.Group> groups, ModelCost before, ModelCost after) {
        for (PruneReport.Group group : groups) {
            if (group.after() != group.before()) {
                listener.stage(String.format(Locale.ROOT, "  %-40s %5d → %5d", group.name(), group.before(),
                        group.after()));
            } else {
                listener.detail(String.format(Locale.ROOT, "  %-40s %5d (unchanged)", group.name(), group.before()));
            }
        }
        listener.stage("  " + before.describeChange(after));
    }
}
