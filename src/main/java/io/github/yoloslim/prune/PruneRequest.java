package io.github.yoloslim.prune;

import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.runtime.Threads;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything {@code prune} needs, resolved from the configuration.
 *
 * @param model the application's model ({@code <model>})
 * @param calibrationImages images whose activation means the removed channels' consumers absorb into their
 *        bias; empty to absorb only channels that are provably constant
 * @param maxImages use at most this many calibration images, spread evenly; 0 for all
 */
public record PruneRequest(Path model, ImportanceCriterion criterion, SelectionSettings selection,
        Optional<Path> calibrationImages, int maxImages, ModelOverrides overrides, int threads,
        Path outputDirectory) {

    /** The threads to use: the configured count, else one per available processor. */
    public int threadCount() {
        return Threads.resolve(threads);
    }
}
