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

    /**
     * One ranking of the channels that the search tries: for a model from a penalty path, each stage's scales.
     *
     * @param name how the report names it, e.g. "penalty 0.008"; null when the search has only one ranking
     * @param penalty the stage's λ; null when not from a penalty path
     * @param maker prunes and repairs a selection of this ranking
     * @param selector the channels a selection of this ranking removes
     */
    record Ranking(String name, Double penalty, Pruner.CandidateMaker maker, Selector selector) {
    }

    /** The best passing candidate of one ranking's search, with its trial. */
    private record Passing(Pruner.Candidate candidate, PruneReport.Trial trial) {
    }

    /** One ranking's search: its ratios, the trials it evaluated, and its best passing candidate (or null). */
    private record RankingRun(Ranking ranking, RatioSearch ratios, List<PruneReport.Trial> trials, Passing best,
            String stopped) {
    }

    private final ProgressListener listener;

    PruneSearch(ProgressListener listener) {
        this.listener = listener;
    }

    /** A search over one ranking. */
    Outcome run(Path modelFile, ModelCost before, OnnxModel original, Pruner.CandidateMaker maker, Selector selector,
            SelectionSettings base, SearchSettings search, Dataset dataset, CandidateTraining training)
            throws IOException, OrtException {
        return run(modelFile, before, original, List.of(new Ranking(null, null, maker, selector)), base, search,
                dataset, training);
    }

    /**
     * A search over (ranking, ratio): the first ranking is searched in full; every other one is evaluated first at
     * the leader's smallest failing ratio, where it ends unless it passes (it cannot then reach further than the
     * leader), and searched on from there when it does. A ranking whose passing reduction in parameters beats the
     * leader's leads from then on. So each further ranking costs one evaluation unless it wins.
     */
    Outcome run(Path modelFile, ModelCost before, OnnxModel original, List<Ranking> rankings,
            SelectionSettings base, SearchSettings search, Dataset dataset, CandidateTraining training)
            throws IOException, OrtException {
        ModelEvaluator evaluator = new ModelEvaluator(search.evaluation(), listener);
        ModelEvaluation baseline = evaluator.evaluate(modelFile, "<model>", "unpruned", dataset);
        List<PruneReport.Trial> trials = new ArrayList<>();
        List<String> stops = new ArrayList<>();
        RankingRun leader = null;
        Double smallestRatio = null;
        for (Ranking ranking : rankings) {
            RatioSearch.Proposal start = null;
            if (leader != null) {
                if (leader.ratios().failed().isEmpty()) {
                    stops.add(describe(ranking, "not tried: " + describe(leader.ranking(), leader.stopped())));
                    continue;
                }
                start = new RatioSearch.Proposal(leader.ratios().failed().getAsDouble(), String.format(Locale.ROOT,
                        "start: where %s failed", leader.ranking().name()));
            }
            RatioSearch ratios = new RatioSearch(baseline.stats().ap(), search,
                    ratio -> modelKey(ranking.selector().removed(base.withRatio(ratio))), start);
            double smallest = ratios.smallestReduction();
            if (leader == null) {
                smallestRatio = Double.isNaN(smallest) ? null : smallest;
                if (smallestRatio != null) {
                    listener.stage(String.format(Locale.ROOT, "Search for the largest ratio within %.3f of mAP50-95 "
                            + "%.4f%s: ratios %.3f (the smallest that removes a channel after rounding) to %.3f, "
                            + "resolution %.0f%%, at most %d evaluations%s", search.targetMapDrop(),
                            baseline.stats().ap(), ranking.name() == null ? "" : " by " + ranking.name(), smallest,
                            search.maxRatio(), 100 * search.resolution(), search.steps(), rankings.size() == 1 ? ""
                            : String.format(Locale.ROOT, "; then %d more rankings, each from where the best failed",
                            rankings.size() - 1)));
                }
            }
            RankingRun result = searchRanking(ranking, ratios, leader != null, modelFile, before, base, search,
                    dataset, training, evaluator, trials);
            stops.add(describe(ranking, result.stopped()));
            if (leader == null || (result.best() != null && (leader.best() == null
                    || result.best().trial().parameters() < leader.best().trial().parameters()))) {
                if (leader != null) {
                    listener.stage(String.format(Locale.ROOT, "  %s now leads: it passed at ratio %.3f", ranking.name(),
                            result.ratios().passed().getAsDouble()));
                }
                leader = result;
            }
        }
        String stopped = String.join("; ", stops);
        listener.stage(String.format(Locale.ROOT, "Search stopped after %d evaluations: %s", trials.size(), stopped));
        Pruner.Candidate best;
        String verdict;
        Passing passing = leader.best();
        if (passing == null) {
            verdict = trials.isEmpty() ? String.format(Locale.ROOT, "no reduction within %.3f: %s",
                    search.targetMapDrop(), stopped)
                    : String.format(Locale.ROOT, "no reduction within %.3f: the smallest ratio tried (%.3f) dropped "
                    + "mAP50-95 by %.4f", search.targetMapDrop(), leader.ratios().failed().getAsDouble(),
                    leader.trials().stream().min(Comparator.comparingDouble(PruneReport.Trial::ratio)).orElseThrow()
                            .drop());
            if (search.failWhenNoReduction()) {
                throw new InvalidInputException(verdict + ". Raise <targetMapDrop>, give more or more typical "
                        + "<calibrationImages>, or set <failWhenNoReduction>false</failWhenNoReduction> to keep the "
                        + "model unpruned.");
            }
            listener.warn(verdict + "; keeping the model unpruned");
            best = new Pruner.Candidate(base.withRatio(0), Map.of(), original, List.of(verdict + "; model kept "
                    + "unpruned"), List.of(), before, 0);
        } else {
            PruneReport.Trial chosen = passing.trial();
            verdict = String.format(Locale.ROOT, "%sratio %.3f: parameters −%.1f%%, mAP50-95 drop %.4f within %.3f "
                    + "after %d evaluations", leader.ranking().name() == null ? "" : leader.ranking().name() + ", ",
                    chosen.ratio(), 100 * chosen.parameterReduction(), chosen.drop(), search.targetMapDrop(),
                    trials.size());
            listener.stage("Search chose " + verdict);
            best = passing.candidate();
        }
        List<PruneReport.CurvePoint> curve = leader.trials().stream()
                .sorted(Comparator.comparingDouble(PruneReport.Trial::ratio))
                .map(t -> new PruneReport.CurvePoint(t.ratio(), t.parameterReduction(), t.macReduction(), t.map(),
                        t.drop(), t.withinTarget()))
                .toList();
        return new Outcome(best, new PruneReport.Search(search.targetMapDrop(), dataset.description(),
                baseline.stats().ap(), baseline.stats().ap50(), search.maxRatio(), search.resolution(), search.steps(),
                smallestRatio, trials, curve, passing == null ? null : passing.trial().ratio(),
                leader.ratios().failed().isPresent() ? leader.ratios().failed().getAsDouble() : null,
                leader.ranking().name(), stopped, verdict, training.report()));
    }

    private static String describe(Ranking ranking, String text) {
        return ranking.name() == null ? text : ranking.name() + ": " + text;
    }

    /**
     * Runs one ranking's ratio search, adding its trials to {@code trials}. A challenger (not the first ranking)
     * stops at its first failure: it started where the leader failed.
     */
    private RankingRun searchRanking(Ranking ranking, RatioSearch ratios, boolean challenger, Path modelFile,
            ModelCost before, SelectionSettings base, SearchSettings search, Dataset dataset, CandidateTraining training,
            ModelEvaluator evaluator, List<PruneReport.Trial> trials) throws IOException, OrtException {
        List<PruneReport.Trial> own = new ArrayList<>();
        Passing best = null;
        String stopped = null;
        Optional<RatioSearch.Proposal> next;
        while ((next = ratios.next()).isPresent()) {
            double ratio = next.get().ratio();
            listener.stage(String.format(Locale.ROOT, "Search step %d%s: ratio %.3f (%s)", trials.size() + 1,
                    ranking.name() == null ? " of at most " + search.steps() : ", " + ranking.name(), ratio,
                    next.get().reason()));
            Trained trained = training.train(ranking.maker().make(base.withRatio(ratio)));
            Pruner.Candidate candidate = trained.candidate();
            // Evaluated from memory: nothing is written for a trial.
            byte[] bytes = candidate.model().toBytes();
            FileSnapshot trialModel = new FileSnapshot(Path.of(String.format(Locale.ROOT, "%s at ratio %.3f%s",
                    ArtifactNames.prunedModel(modelFile), ratio, ranking.name() == null ? "" : ", " + ranking.name())),
                    bytes, Sha256.ofBytes(bytes));
            ModelEvaluation evaluation = evaluator.evaluate(trialModel, candidate.model(), "<model>", "pruned",
                    dataset);
            RatioSearch.Point point = ratios.record(evaluation.stats().ap());
            ModelCost cost = candidate.cost();
            PruneReport.Trial trial = new PruneReport.Trial(ranking.name(), ranking.penalty(), ratio,
                    candidate.removed().values().stream().mapToInt(channels -> channels.length).sum(),
                    cost.parameters(), cost.macs(), reduction(before.parameters(), cost.parameters()),
                    reduction(before.macs(), cost.macs()), point.map(), evaluation.stats().ap50(), point.drop(),
                    point.withinTarget(), point.reason(), trained.loss(), trained.seconds(),
                    candidate.seconds() + evaluation.seconds());
            trials.add(trial);
            own.add(trial);
            listener.stage(String.format(Locale.ROOT, "  ratio %.3f: parameters −%.1f%%, MACs −%.1f%%, "
                    + "mAP50-95 %.4f%s (drop %.4f, %s <targetMapDrop>%.3f</targetMapDrop>) in %.0f s", ratio,
                    100 * trial.parameterReduction(), 100 * trial.macReduction(), trial.map(),
                    trained.loss() == null ? "" : " after distillation", trial.drop(),
                    trial.withinTarget() ? "within" : "beyond", search.targetMapDrop(), trial.seconds()));
            if (point.withinTarget()) {
                best = new Passing(candidate, trial); // passing ratios only grow: this is the largest so far
            } else if (challenger && best == null) {
                stopped = "failed where the leading ranking failed";
                break;
            }
        }
        return new RankingRun(ranking, ratios, own, best, stopped != null ? stopped : ratios.stop().text());
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
