package io.github.yoloslim.prune;

import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.runtime.Threads;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything {@code prune} needs, resolved from the configuration.
 *
 * @param model the application's model ({@code <model>})
 * @param selection which channels go; with a search, everything but the ratio, which the search chooses
 * @param recovery how the pruned network makes up for the removed channels
 * @param sensitivity whether each group's scores are weighted by how much the detections move per unit of its
 *        layer error ({@link SensitivityProbe}); needs calibration images
 * @param search when present, the ratio is the largest that keeps mAP within the search's target
 * @param calibrationImages images for measured criteria and recovery; empty to absorb only channels that are
 *        provably constant
 * @param maxImages use at most this many calibration images, spread evenly; 0 for all
 * @param unreadableImages what a calibration image that cannot be decoded does
 */
public record PruneRequest(Path model, ImportanceCriterion criterion, SelectionSettings selection,
        RecoverySettings recovery, boolean sensitivity, Optional<SearchSettings> search,
        Optional<Path> calibrationImages, int maxImages, ModelOverrides overrides, int threads,
        UnreadableImagePolicy unreadableImages, Path outputDirectory) {

    /** The threads to use: the configured count, else one per available processor. */
    public int threadCount() {
        return Threads.resolve(threads);
    }
}
