package io.github.yoloslim.prune;

import io.github.yoloslim.distill.DistillReport;

import java.util.List;

/**
 * The content of {@code prune-report.json}: what was removed from which layer, how the network was repaired, the
 * search's trials, costs before and after, and the fingerprint that makes a rerun up to date. No timestamps, so
 * the same inputs give the same bytes.
 */
record PruneReport(String pluginVersion, String fingerprint, String model, String modelSha256, String criterion,
        Selection selection, Recovery recovery, Search search, String calibrationImages, int calibrationImagesUsed,
        ModelCost before, ModelCost after, List<Group> groups, List<String> notes) {

    /** The selection settings as applied (with a search, the chosen ratio). */
    record Selection(double ratio, double threshold, int minChannels, double minKeptFraction, int roundTo) {
    }

    /** The repair: method, least-squares settings and each re-solved Conv's error before and after. */
    record Recovery(String method, double ridge, int rowsPerUnknown, List<LeastSquaresRecovery.LayerFit> layers) {
    }

    /**
     * The search: the target, the unpruned model's mAP, its range, resolution and budget, every ratio tried in the
     * order tried, the chosen ranking's points by ratio (the measured drop curve), its final bracket (the chosen
     * ratio is null when none met the target and the model was kept unpruned; the failed one null when none
     * failed), which ranking was chosen (null when the model offered one ranking), and why the search stopped; with
     * {@code <searchDistillEpochs>}, how every candidate was distilled before its evaluation.
     */
    record Search(double targetMapDrop, String dataset, double baselineMap, double baselineMap50, double maxRatio,
            double resolution, int maxEvaluations, Double smallestRatio, List<Trial> trials, List<CurvePoint> curve,
            Double chosenRatio, Double failedRatio, String chosenRanking, String stopped, String verdict,
            Distillation distillation) {
    }

    /** How each search candidate was distilled: on which images, with which settings. */
    record Distillation(DistillReport.Images images, DistillReport.Settings settings) {
    }

    /**
     * One evaluated prune, and why the search tried its ratio.
     *
     * @param ranking the channel ranking the prune followed, e.g. "penalty 0.008"; null when there was one
     * @param penalty that ranking's sparsity penalty, for a model from a penalty path; else null
     * @param distillationLoss the final epoch's loss when the candidate was distilled before its evaluation
     * @param distillationSeconds that distillation's wall time, included in {@code seconds}
     */
    record Trial(String ranking, Double penalty, double ratio, int channelsRemoved, long parameters, long macs,
            double parameterReduction, double macReduction, double map, double map50, double drop, boolean withinTarget, String reason,
            Double distillationLoss, Double distillationSeconds, double seconds) {
    }

    /** One point of the measured drop curve. */
    record CurvePoint(double ratio, double parameterReduction, double macReduction, double map, double drop,
            boolean withinTarget) {
    }

    /**
     * One group: its convolutions, its channels before and after, which channels went, and its measured sensitivity
     * (relative to the median group; null when not measured).
     */
    record Group(String name, List<String> convs, int before, int after, int[] removed, Double sensitivity) {
    }
}
