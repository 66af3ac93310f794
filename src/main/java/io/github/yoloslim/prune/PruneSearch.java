package io.github.yoloslim.prune;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.cache.Sha256;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.eval.ModelEvaluation;
import io.github.yoloslim.eval.ModelEvaluator;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.progress.ProgressListener;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Finds the largest channel ratio whose pruned and recovered model stays within {@code targetMapDrop} of the
 * unpruned model's mAP50-95 on an evaluation set. {@link RatioSearch} chooses the ratios; every evaluation is one
 * full prune, recovery and COCO evaluation, so the number of evaluations is the cost, and a ratio whose selection
 * equals one already evaluated is never evaluated again.
 */
final class PruneSearch {

    /** The model to write and what the search did. */
    record Outcome(Pruner.Candidate chosen, PruneReport.Search report) {
    }

    /** The channels a selection removes, per group: cheap (no pruning), it tells apart the models ratios give. */
    @FunctionalInterface
    interface Selector {
        Map<String, int[]> removed(SelectionSettings settings);
    }

    /** What is done to each candidate before its evaluation: nothing, or distillation. */
    @FunctionalInterface
    interface CandidateTraining {

        CandidateTraining NONE = candidate -> new Trained(candidate, null, null);

        Trained train(Pruner.Candidate candidate) throws IOException;

        /** How candidates are trained, for the report; null when they are not. */
        default PruneReport.Distillation report() {
            return null;
        }
    }

    /**
     * A candidate after {@link CandidateTraining}.
     *
     * @param loss the final epoch's distillation loss; null when the candidate was not trained
     * @param seconds the training's wall time; null when it was not trained
     */
    record Trained(Pruner.Candidate candidate, Double loss, Double seconds) {
    }

    private final ProgressListener listener;

    PruneSearch(ProgressListener listener) {
        this.listener = listener;
    }

    Outcome run(Path modelFile, ModelCost before, OnnxModel original, Pruner.CandidateMaker maker, Selector selector,
            SelectionSettings base, SearchSettings search, Dataset dataset, CandidateTraining training)
            throws IOException, OrtException {
        ModelEvaluator evaluator = new ModelEvaluator(search.evaluation(), listener);
        ModelEvaluation baseline = evaluator.evaluate(modelFile, "<model>", "unpruned", dataset);
        RatioSearch ratios = new RatioSearch(baseline.stats().ap(), search,
                ratio -> modelKey(selector.removed(base.withRatio(ratio))));
        double smallest = ratios.smallestReduction();
        Double smallestRatio = Double.isNaN(smallest) ? null : smallest;
        if (smallestRatio != null) {
            listener.stage(String.format(Locale.ROOT, "Search for the largest ratio within %.3f of mAP50-95 %.4f: "
                    + "ratios %.3f (the smallest that removes a channel after rounding) to %.3f, resolution %.0f%%, "
                    + "at most %d evaluations", search.targetMapDrop(), baseline.stats().ap(), smallest,
                    search.maxRatio(), 100 * search.resolution(), search.steps()));
        }
        List<PruneReport.Trial> trials = new ArrayList<>();
        Pruner.Candidate best = null;
        Optional<RatioSearch.Proposal> next;
        while ((next = ratios.next()).isPresent()) {
            double ratio = next.get().ratio();
            listener.stage(String.format(Locale.ROOT, "Search step %d of at most %d: ratio %.3f (%s)",
                    trials.size() + 1, search.steps(), ratio, next.get().reason()));
            Trained trained = training.train(maker.make(base.withRatio(ratio)));
            Pruner.Candidate candidate = trained.candidate();
            // Evaluated from memory: nothing is written for a trial.
            byte[] bytes = candidate.model().toBytes();
            FileSnapshot trialModel = new FileSnapshot(Path.of(String.format(Locale.ROOT, "%s at ratio %.3f",
                    ArtifactNames.prunedModel(modelFile), ratio)), bytes, Sha256.ofBytes(bytes));
            ModelEvaluation evaluation = evaluator.evaluate(trialModel, candidate.model(), "<model>", "pruned",
                    dataset);
            RatioSearch.Point point = ratios.record(evaluation.stats().ap());
            ModelCost cost = candidate.cost();
            PruneReport.Trial trial = new PruneReport.Trial(ratio,
                    candidate.removed().values().stream().mapToInt(channels -> channels.length).sum(),
                    cost.parameters(), cost.macs(), reduction(before.parameters(), cost.parameters()),
                    reduction(before.macs(), cost.macs()), point.map(), evaluation.stats().ap50(), point.drop(),
                    point.withinTarget(), point.reason(), trained.loss(), trained.seconds(),
                    candidate.seconds() + evaluation.seconds());
            trials.add(trial);
            listener.stage(String.format(Locale.ROOT, "  ratio %.3f: parameters −%.1f%%, MACs −%.1f%%, "
                    + "mAP50-95 %.4f%s (drop %.4f, %s <targetMapDrop>%.3f</targetMapDrop>) in %.0f s", ratio,
                    100 * trial.parameterReduction(), 100 * trial.macReduction(), trial.map(),
                    trained.loss() == null ? "" : " after distillation", trial.drop(),
                    trial.withinTarget() ? "within" : "beyond", search.targetMapDrop(), trial.seconds()));
            if (point.withinTarget()) {
                best = candidate; // passing ratios only grow: this is the largest so far
            }
        }
        String stopped = ratios.stop().text();
        listener.stage(String.format(Locale.ROOT, "Search stopped after %d evaluations: %s", trials.size(), stopped));
        String verdict;
        if (best == null) {
            verdict = trials.isEmpty() ? String.format(Locale.ROOT, "no reduction within %.3f: %s",
                    search.targetMapDrop(), stopped)
                    : String.format(Locale.ROOT, "no reduction within %.3f: the smallest ratio tried (%.3f) dropped "
                    + "mAP50-95 by %.4f", search.targetMapDrop(), ratios.failed().getAsDouble(), trials.stream()
                    .min(Comparator.comparingDouble(PruneReport.Trial::ratio)).orElseThrow().drop());
            if (search.failWhenNoReduction()) {
                throw new InvalidInputException(verdict + ". Raise <targetMapDrop>, give more or more typical "
                        + "<calibrationImages>, or set <failWhenNoReduction>false</failWhenNoReduction> to keep the "
                        + "model unpruned.");
            }
            listener.warn(verdict + "; keeping the model unpruned");
            best = new Pruner.Candidate(base.withRatio(0), Map.of(), original, List.of(verdict + "; model kept "
                    + "unpruned"), List.of(), before, 0);
        } else {
            double chosenRatio = ratios.passed().getAsDouble();
            PruneReport.Trial chosen = trials.stream().filter(t -> t.ratio() == chosenRatio).findFirst().orElseThrow();
            verdict = String.format(Locale.ROOT, "ratio %.3f: parameters −%.1f%%, mAP50-95 drop %.4f within %.3f "
                    + "after %d evaluations", chosenRatio, 100 * chosen.parameterReduction(), chosen.drop(),
                    search.targetMapDrop(), trials.size());
            listener.stage("Search chose " + verdict);
        }
        List<PruneReport.CurvePoint> curve = trials.stream()
                .sorted(Comparator.comparingDouble(PruneReport.Trial::ratio))
                .map(t -> new PruneReport.CurvePoint(t.ratio(), t.parameterReduction(), t.macReduction(), t.map(),
                        t.drop(), t.withinTarget()))
                .toList();
        return new Outcome(best, new PruneReport.Search(search.targetMapDrop(), dataset.description(),
                baseline.stats().ap(), baseline.stats().ap50(), search.maxRatio(), search.resolution(), search.steps(),
                smallestRatio, trials, curve, best.removed().isEmpty() ? null : ratios.passed().getAsDouble(),
                ratios.failed().isPresent() ? ratios.failed().getAsDouble() : null, stopped, verdict,
                training.report()));
    }

    /** Equal for selections that remove the same channels, i.e. give the same model. */
    static Map<String, List<Integer>> modelKey(Map<String, int[]> removed) {
        Map<String, List<Integer>> key = new TreeMap<>();
        removed.forEach((group, channels) -> key.put(group, Arrays.stream(channels).boxed().toList()));
        return key;
    }

    private static double reduction(long before, long after) {
        return before == 0 ? 0 : (double) (before - after) / before;
    }
}
