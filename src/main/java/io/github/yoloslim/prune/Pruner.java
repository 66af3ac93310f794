package io.github.yoloslim.prune;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.cache.OutputDirectory;
import io.github.yoloslim.cache.PipelineRecord;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.cache.PluginVersion;
import io.github.yoloslim.cache.Sha256;
import io.github.yoloslim.data.ImageSelection;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * {@code prune}'s core: finds the groups of coupled channels, scores them, removes the chosen ones with bias
 * absorption, and writes {@code <name>.pruned.onnx} and {@code prune-report.json}.
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

        String modelHash = Sha256.ofFile(request.model());
        String calibrationHash = selected.isPresent() ? selected.get().contentHash(request.calibrationImages().get())
                : "none";
        String fingerprint = Sha256.builder()
                .add("model", modelHash)
                .add("criterion", request.criterion())
                .add("selection", request.selection())
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
        ChannelImportance importance = new ChannelImportance(model, request.criterion());
        Map<String, double[]> normalised = new LinkedHashMap<>();
        Map<String, double[]> raw = new LinkedHashMap<>();
        for (ChannelGroup group : analysis.groups()) {
            normalised.put(group.name(), importance.scores(group));
            raw.put(group.name(), importance.rawScores(group));
        }
        ChannelSelection.Selection selection = ChannelSelection.select(analysis.groups(), normalised, raw,
                request.selection());
        int prunable = analysis.groups().stream().mapToInt(ChannelGroup::size).sum();
        int removedCount = selection.removed().values().stream().mapToInt(channels -> channels.length).sum();
        listener.stage(String.format(Locale.ROOT, "Pruning %s: %d of %d prunable channels in %d groups (%s, %s)",
                request.model().getFileName(), removedCount, prunable, analysis.groups().size(),
                importance.describe(analysis.groups()), request.selection().byThreshold()
                        ? "threshold " + request.selection().threshold()
                        : String.format(Locale.ROOT, "ratio %.3f", request.selection().ratio())));
        analysis.notes().forEach(listener::detail);
        selection.notes().forEach(listener::stage);

        Map<String, double[]> means = Map.of();
        if (!images.isEmpty() && !selection.removed().isEmpty()) {
            List<String> tensors = new ArrayList<>(ChannelPruner.absorptionTensors(model, analysis,
                    selection.removed()));
            long start = System.nanoTime();
            means = ChannelMeans.measure(model, info, tensors, images, request.threadCount(), listener);
            listener.stage(String.format(Locale.ROOT, "Measured the channel means of %d activations on %d images "
                    + "in %.1f s for bias absorption", tensors.size(), images.size(), (System.nanoTime() - start) / 1e9));
        }
        PruneOutcome outcome = ChannelPruner.prune(model, analysis, selection.removed(), means);
        outcome.notes().forEach(listener::stage);
        outcome.model().save(prunedFile);

        ModelCost before = ModelCost.measure(model, info);
        OnnxModel pruned = outcome.model();
        ModelCost after = ModelCost.measure(pruned, YoloModelInspector.inspect(pruned, "<model>",
                request.overrides()));
        List<PruneReport.Group> groups = new ArrayList<>();
        for (ChannelGroup group : analysis.groups()) {
            int[] removed = selection.removed().getOrDefault(group.name(), new int[0]);
            groups.add(new PruneReport.Group(group.name(), group.members().stream().map(ChannelGroup.Member::conv)
                    .toList(), group.size(), group.size() - removed.length, removed));
        }
        logTable(groups, before, after);

        List<String> notes = new ArrayList<>(analysis.notes());
        notes.addAll(selection.notes());
        notes.addAll(outcome.notes());
        Map<String, String> outputs = new TreeMap<>();
        outputs.put("prunedModel", Sha256.ofFile(prunedFile));
        SelectionSettings settings = request.selection();
        PruneReport report = new PruneReport(PluginVersion.get(), fingerprint, request.model().getFileName().toString(),
                modelHash, request.criterion().id(), new PruneReport.Selection(settings.ratio(), settings.threshold(),
                        settings.minChannels(), settings.minKeptFraction(), settings.roundTo()),
                request.calibrationImages().map(Path::toString).orElse(null), images.size(), before, after, groups,
                notes, outputs);
        AtomicFiles.write(reportFile, Json.mapper().writeValueAsBytes(report));
        record(request, prunedFile, modelHash, calibrationHash);
        return new PruneResult(false, prunedFile, before, after);
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
        listener.stage(String.format(Locale.ROOT, "  parameters %,d → %,d (−%.1f%%), MACs %.2fG → %.2fG (−%.1f%%), "
                + "file %.1f MB → %.1f MB", before.parameters(), after.parameters(),
                100.0 * (before.parameters() - after.parameters()) / before.parameters(), before.macs() / 1e9,
                after.macs() / 1e9, 100.0 * (before.macs() - after.macs()) / before.macs(), before.fileBytes() / 1e6,
                after.fileBytes() / 1e6));
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
        PipelineRecord.read(request.outputDirectory())
                .with(PipelineStage.PRUNE, new PipelineRecord.StageOutput(prunedFile.getFileName().toString(),
                        Sha256.ofFile(prunedFile), inputs, parameters, PluginVersion.get()))
                .write(request.outputDirectory());
    }
}
