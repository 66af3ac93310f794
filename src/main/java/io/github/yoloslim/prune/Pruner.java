package io.github.yoloslim.prune;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.cache.OutputDirectory;
import io.github.yoloslim.cache.PipelineRecord;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.cache.PluginVersion;
import io.github.yoloslim.cache.Sha256;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.DatasetLoader;
import io.github.yoloslim.data.ImageSelection;
import io.github.yoloslim.data.LoadedDataset;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.ChannelStatistics.TensorStatistics;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code prune}'s core: finds the groups of coupled channels, scores them, removes the chosen ones, repairs the
 * network (bias absorption, least squares), optionally searches for the largest prune within a mAP budget, and
 * writes {@code <name>.pruned.onnx} and {@code prune-report.json}.
 */
public final class Pruner {

    /** The report's file name in the output directory. */
    public static final String REPORT = "prune-report.json";

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
        Path outputDirectory = OutputDirectory.prepare(request.outputDirectory());
        OnnxModel model = OnnxModel.load(request.model(), "<model>");
        YoloModelInfo info = YoloModelInspector.inspect(model, "<model>", request.overrides());
        Optional<ImageSelection> selected = request.calibrationImages().isPresent()
                ? Optional.of(ImageSelection.from(request.calibrationImages().get(), "calibrationImages",
                        request.maxImages()))
                : Optional.empty();
        List<Path> images = selected.map(ImageSelection::images).orElse(List.of());
        RecoveryMethod recovery = request.recovery().method().resolve(!images.isEmpty());
        if (recovery != RecoveryMethod.CONSTANTS && images.isEmpty()) {
            throw new InvalidInputException("<recovery>" + recovery.id() + "</recovery> needs calibration images, "
                    + "but none were given. Set <calibrationImages> to a folder of images like those the model sees, "
                    + "or use <recovery>constants</recovery>.");
        }
        Optional<Dataset> evaluationSet = Optional.empty();
        String evaluationHash = "none";
        if (request.search().isPresent()) {
            LoadedDataset loaded = DatasetLoader.load(request.search().get().dataset(), info.classNames());
            listener.stage("Search evaluates on " + loaded.summary());
            evaluationSet = Optional.of(loaded.dataset());
            evaluationHash = loaded.dataset().fingerprint();
        }

        String modelHash = Sha256.ofFile(request.model());
        String calibrationHash = selected.isPresent() ? selected.get().contentHash(request.calibrationImages().get())
                : "none";
        String fingerprint = Sha256.builder()
                .add("model", modelHash)
                .add("criterion", request.criterion())
                .add("selection", request.selection())
                .add("recovery", request.recovery())
                .add("sensitivity", request.sensitivity())
                .add("search", request.search().map(search -> search.toString()).orElse("none"))
                .add("evaluation", evaluationHash)
                .add("images", calibrationHash)
                .add("overrides", request.overrides())
                .add("plugin", PluginVersion.get())
                .hex();
        Path prunedFile = outputDirectory.resolve(OnnxModel.baseName(request.model()) + ".pruned.onnx");
        Path reportFile = outputDirectory.resolve(REPORT);
        PruneReport previous = previousReport(reportFile);
        if (previous != null && fingerprint.equals(previous.fingerprint()) && Files.isRegularFile(prunedFile)
                && Sha256.ofFile(prunedFile).equals(previous.outputs().get("prunedModel"))) {
            record(request, prunedFile, modelHash, calibrationHash);
            listener.stage("Pruning up to date: " + prunedFile.getFileName() + " matches the model and settings ("
                    + REPORT + ")");
            return new PruneResult(true, prunedFile, previous.before(), previous.after());
        }

        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(model);
        analysis.notes().forEach(listener::detail);
        boolean sensitivity = request.sensitivity() && !images.isEmpty();
        boolean covariances = !images.isEmpty() && (request.criterion().measured() || sensitivity
                || request.criterion() == ImportanceCriterion.AUTO);
        Map<String, TensorStatistics> statistics = Map.of();
        if (!images.isEmpty() && (recovery != RecoveryMethod.CONSTANTS || covariances)) {
            Set<String> tensors = ActivationImportance.tensors(model, analysis);
            long start = System.nanoTime();
            statistics = ChannelStatistics.measure(model, info, new ArrayList<>(tensors),
                    covariances ? tensors : Set.of(), images, request.threadCount(), listener);
            listener.stage(String.format(Locale.ROOT, "Measured %d activations on %d images in %.1f s (channel means%s)",
                    tensors.size(), images.size(), (System.nanoTime() - start) / 1e9,
                    covariances ? " and covariances" : ""));
        }
        ActivationImportance measured = covariances ? new ActivationImportance(model, analysis, statistics) : null;
        ChannelImportance importance = new ChannelImportance(model, analysis, request.criterion(), measured);
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
            double[] probed = SensitivityProbe.measure(model, info, analysis, normalised, layerErrors, means, images,
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
        Map<String, double[]> absorbed = recovery == RecoveryMethod.CONSTANTS ? Map.of() : means;
        ModelCost before = ModelCost.measure(model, info);
        CandidateMaker maker = settings -> candidate(model, info, analysis, normalised, raw, absorbed, recovery,
                images, request, settings);

        int prunable = analysis.groups().stream().mapToInt(ChannelGroup::size).sum();
        listener.stage(String.format(Locale.ROOT, "Pruning %s: %d prunable channels in %d groups (%s), recovery %s",
                request.model().getFileName(), prunable, analysis.groups().size(),
                importance.describe(analysis.groups()), recovery.id()));
        Candidate chosen;
        PruneReport.Search searchReport = null;
        if (request.search().isPresent()) {
            PruneSearch.Selector selector = settings -> ChannelSelection.select(analysis.groups(), normalised, raw,
                    settings).removed();
            PruneSearch.Outcome outcome = new PruneSearch(listener).run(request.model(), before, model, maker,
                    selector, request.selection(), request.search().get(), evaluationSet.orElseThrow(),
                    outputDirectory);
            chosen = outcome.chosen();
            searchReport = outcome.report();
        } else {
            chosen = maker.make(request.selection());
        }
        chosen.model().save(prunedFile);

        List<PruneReport.Group> groups = new ArrayList<>();
        for (ChannelGroup group : analysis.groups()) {
            int[] removed = chosen.removed().getOrDefault(group.name(), new int[0]);
            groups.add(new PruneReport.Group(group.name(), group.members().stream().map(ChannelGroup.Member::conv)
                    .toList(), group.size(), group.size() - removed.length, removed, factors.get(group.name())));
        }
        logTable(groups, before, chosen.cost());

        List<String> notes = new ArrayList<>(analysis.notes());
        notes.addAll(chosen.notes());
        Map<String, String> outputs = new TreeMap<>();
        outputs.put("prunedModel", Sha256.ofFile(prunedFile));
        SelectionSettings settings = chosen.settings();
        RecoverySettings recoverySettings = request.recovery();
        PruneReport report = new PruneReport(PluginVersion.get(), fingerprint, request.model().getFileName().toString(),
                modelHash, request.criterion().id(), new PruneReport.Selection(settings.ratio(), settings.threshold(),
                        settings.minChannels(), settings.minKeptFraction(), settings.roundTo()),
                new PruneReport.Recovery(recovery.id(), recoverySettings.ridge(), recoverySettings.rowsPerUnknown(),
                        chosen.fits()),
                searchReport, request.calibrationImages().map(Path::toString).orElse(null), images.size(), before,
                chosen.cost(), groups, notes, outputs);
        AtomicFiles.write(reportFile, Json.mapper().writeValueAsBytes(report));
        record(request, prunedFile, modelHash, calibrationHash);
        return new PruneResult(false, prunedFile, before, chosen.cost());
    }

    /** Makes one pruned, repaired model for a selection. */
    @FunctionalInterface
    interface CandidateMaker {
        Candidate make(SelectionSettings settings) throws IOException, OrtException;
    }

    private Candidate candidate(OnnxModel model, YoloModelInfo info, ChannelDependencyAnalysis analysis,
            Map<String, double[]> normalised, Map<String, double[]> raw, Map<String, double[]> means,
            RecoveryMethod recovery, List<Path> images, PruneRequest request, SelectionSettings settings)
            throws IOException, OrtException {
        long start = System.nanoTime();
        ChannelSelection.Selection selection = ChannelSelection.select(analysis.groups(), normalised, raw, settings);
        int removedCount = selection.removed().values().stream().mapToInt(channels -> channels.length).sum();
        listener.stage(String.format(Locale.ROOT, "Removing %d channels (%s)", removedCount, settings.byThreshold()
                ? "threshold " + settings.threshold() : String.format(Locale.ROOT, "ratio %.3f", settings.ratio())));
        selection.notes().forEach(listener::stage);
        PruneOutcome outcome = ChannelPruner.prune(model, analysis, selection.removed(), means);
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
            LeastSquaresRecovery.Result result = LeastSquaresRecovery.recover(model, pruned, info, convs, images,
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

    private static PruneReport previousReport(Path reportFile) {
        if (!Files.isRegularFile(reportFile)) {
            return null;
        }
        try {
            return Json.mapper().readValue(reportFile.toFile(), PruneReport.class);
        } catch (IOException e) {
            return null;
        }
    }

    private static void record(PruneRequest request, Path prunedFile, String modelHash, String imagesHash)
            throws IOException {
        Map<String, String> inputs = new TreeMap<>();
        inputs.put("model", modelHash);
        inputs.put("calibrationImages", imagesHash);
        Map<String, Object> parameters = new TreeMap<>();
        parameters.put("criterion", request.criterion().id());
        parameters.put("ratio", request.selection().ratio());
        parameters.put("threshold", request.selection().threshold());
        parameters.put("minChannels", request.selection().minChannels());
        parameters.put("minKeptFraction", request.selection().minKeptFraction());
        parameters.put("roundTo", request.selection().roundTo());
        parameters.put("recovery", request.recovery().method().id());
        parameters.put("sensitivity", request.sensitivity());
        request.search().ifPresent(search -> parameters.put("targetMapDrop", search.targetMapDrop()));
        PipelineRecord.read(request.outputDirectory())
                .with(PipelineStage.PRUNE, new PipelineRecord.StageOutput(prunedFile.getFileName().toString(),
                        Sha256.ofFile(prunedFile), inputs, parameters, PluginVersion.get()))
                .write(request.outputDirectory());
    }
}
