package io.github.yoloslim.prune;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.eval.ModelEvaluation;
import io.github.yoloslim.eval.ModelEvaluator;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.progress.ProgressListener;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Finds the largest channel ratio whose pruned and recovered model stays within {@code targetMapDrop} of the
 * unpruned model's mAP50-95 on an evaluation set. Accuracy falls with the ratio, so the search first tries
 * {@code maxRatio} and then bisects between the largest ratio that passed and the smallest that failed; every
 * evaluation is one full prune, recovery and COCO evaluation, so the number of steps is the cost.
 */
final class PruneSearch {

    /** Ratios are tried on a grid of 1/200, so a report's ratios read plainly. */
    private static final double GRID_STEPS = 200;

    /** The model to write and what the search did. */
    record Outcome(Pruner.Candidate chosen, PruneReport.Search report) {
    }

    private final ProgressListener listener;

    PruneSearch(ProgressListener listener) {
        this.listener = listener;
    }

    Outcome run(Path modelFile, ModelCost before, OnnxModel original, Pruner.CandidateMaker maker,
            SelectionSettings base, SearchSettings search, Dataset dataset, Path outputDirectory)
            throws IOException, OrtException {
        ModelEvaluator evaluator = new ModelEvaluator(search.evaluation(), listener);
        ModelEvaluation baseline = evaluator.evaluate(modelFile, "<model>", "unpruned", dataset);
        List<PruneReport.Trial> trials = new ArrayList<>();
        Pruner.Candidate best = null;
        double passed = 0;
        double failed = search.maxRatio();
        Path scratch = Files.createTempFile(outputDirectory, "search-", ".onnx");
        try {
            for (int step = 0; step < search.steps(); step++) {
                double ratio = step == 0 ? search.maxRatio() : Math.round((passed + failed) / 2 * GRID_STEPS) / GRID_STEPS;
                if (step > 0 && (ratio <= passed || ratio >= failed)) {
                    break;
                }
                listener.stage(String.format(Locale.ROOT, "Search step %d of at most %d: ratio %.3f (passed %.3f, "
                        + "failed %.3f)", step + 1, search.steps(), ratio, passed, step == 0 ? 1.0 : failed));
                Pruner.Candidate candidate = maker.make(base.withRatio(ratio));
                candidate.model().save(scratch);
                ModelEvaluation evaluation = evaluator.evaluate(scratch, "<model>", "pruned", dataset);
                double drop = baseline.stats().ap() - evaluation.stats().ap();
                boolean within = drop <= search.targetMapDrop();
                ModelCost cost = candidate.cost();
                PruneReport.Trial trial = new PruneReport.Trial(ratio, cost.parameters(), cost.macs(),
                        reduction(before.parameters(), cost.parameters()), reduction(before.macs(), cost.macs()),
                        evaluation.stats().ap(), evaluation.stats().ap50(), drop, within,
                        candidate.seconds() + evaluation.seconds());
                trials.add(trial);
                listener.stage(String.format(Locale.ROOT, "  ratio %.3f: parameters −%.1f%%, MACs −%.1f%%, mAP50-95 "
                        + "%.4f (drop %.4f, %s <targetMapDrop>%.3f</targetMapDrop>)", ratio,
                        100 * trial.parameterReduction(), 100 * trial.macReduction(), trial.map(), drop,
                        within ? "within" : "beyond", search.targetMapDrop()));
                if (within) {
                    passed = ratio;
                    best = candidate;
                    if (step == 0) {
                        break;
                    }
                } else {
                    failed = ratio;
                }
            }
        } finally {
            Files.deleteIfExists(scratch);
        }
        String verdict;
        if (best == null) {
            verdict = String.format(Locale.ROOT, "no reduction within %.3f: the smallest ratio tried (%.3f) dropped "
                    + "mAP50-95 by %.4f", search.targetMapDrop(), failed, trials.get(trials.size() - 1).drop());
            if (search.failWhenNoReduction()) {
                throw new InvalidInputException(verdict + ". Raise <targetMapDrop>, give more or more typical "
                        + "<calibrationImages>, or set <failWhenNoReduction>false</failWhenNoReduction> to keep the "
                        + "model unpruned.");
            }
            listener.warn(verdict + "; keeping the model unpruned");
            best = new Pruner.Candidate(base.withRatio(0), Map.of(), original, List.of(verdict + "; model kept "
                    + "unpruned"), List.of(), before, 0);
        } else {
            double chosenRatio = passed;
            PruneReport.Trial chosen = trials.stream().filter(t -> t.ratio() == chosenRatio).findFirst().orElseThrow();
            verdict = String.format(Locale.ROOT, "ratio %.3f: parameters −%.1f%%, mAP50-95 drop %.4f within %.3f "
                    + "after %d evaluations", passed, 100 * chosen.parameterReduction(), chosen.drop(),
                    search.targetMapDrop(), trials.size());
            listener.stage("Search chose " + verdict);
        }
        return new Outcome(best, new PruneReport.Search(search.targetMapDrop(), dataset.description(),
                baseline.stats().ap(), baseline.stats().ap50(), trials, best.removed().isEmpty() ? null : passed,
                verdict));
    }

    private static double reduction(long before, long after) {
        return before == 0 ? 0 : (double) (before - after) / before;
    }
}
