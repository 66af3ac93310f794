package io.github.yoloslim.prune;

import java.util.List;
import java.util.Map;

/**
 * The content of {@code prune-report.json}: what was removed from which layer, how the network was repaired, the
 * search's trials, costs before and after, and the fingerprint that makes a rerun up to date. No timestamps, so
 * the same inputs give the same bytes.
 */
record PruneReport(String pluginVersion, String fingerprint, String model, String modelSha256, String criterion,
        Selection selection, Recovery recovery, Search search, String calibrationImages, int calibrationImagesUsed,
        ModelCost before, ModelCost after, List<Group> groups, List<String> notes, Map<String, String> outputs) {

    /** The selection settings as applied (with a search, the chosen ratio). */
    record Selection(double ratio, double threshold, int minChannels, double minKeptFraction, int roundTo) {
    }

    /** The repair: method, least-squares settings and each re-solved Conv's error before and after. */
    record Recovery(String method, double ridge, int rowsPerUnknown, List<LeastSquaresRecovery.LayerFit> layers) {
    }

    /**
     * The search: the target, the unpruned model's mAP, every ratio tried, and the one chosen (null when none met the
     * target and the model was kept unpruned).
     */
    record Search(double targetMapDrop, String dataset, double baselineMap, double baselineMap50, List<Trial> trials,
            Double chosenRatio, String verdict) {
    }

    /** One evaluated prune. */
    record Trial(double ratio, long parameters, long macs, double parameterReduction, double macReduction, double map,
            double map50, double drop, boolean withinTarget, double seconds) {
    }

    /**
     * One group: its convolutions, its channels before and after, which channels went, and its measured sensitivity
     * (relative to the median group; null when not measured).
     */
    record Group(String name, List<String> convs, int before, int after, int[] removed, Double sensitivity) {
    }
}
