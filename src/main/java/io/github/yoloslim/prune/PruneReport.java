package io.github.yoloslim.prune;

import java.util.List;
import java.util.Map;

/**
 * The content of {@code prune-report.json}: what was removed from which layer, costs before and after, and the
 * fingerprint that makes a rerun up to date. No timestamps, so the same inputs give the same bytes.
 */
record PruneReport(String pluginVersion, String fingerprint, String model, String modelSha256, String criterion,
        Selection selection, String calibrationImages, int calibrationImagesUsed, ModelCost before, ModelCost after,
        List<Group> groups, List<String> notes, Map<String, String> outputs) {

    /** The selection settings as applied. */
    record Selection(double ratio, double threshold, int minChannels, double minKeptFraction, int roundTo) {
    }

    /** One group: its convolutions, its channels before and after, and which channels went. */
    record Group(String name, List<String> convs, int before, int after, int[] removed) {
    }
}
