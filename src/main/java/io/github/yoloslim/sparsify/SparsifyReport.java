package io.github.yoloslim.sparsify;

import io.github.yoloslim.distill.DistillReport;
import io.github.yoloslim.train.DistillationResult.EpochLoss;
import io.github.yoloslim.train.DistillationResult.EpochScales;
import io.github.yoloslim.train.DistillationResult.StepTime;

import java.util.List;

/**
 * The content of {@code sparsify-report.json}: what was trained from what, with which settings, the loss and the
 * channel scales epoch by epoch, and every group's final scales as a histogram ({@code pipeline.json} beside it
 * holds the outputs' hashes). Unlike the model, it holds timings, so it differs between runs.
 *
 * @param fingerprint the hash of everything the sparse model depends on; a rerun with the same one is up to date
 * @param teacher {@code <model>}
 * @param student the model that was trained
 * @param sparse the trained model, carrying the scales
 * @param belowThreshold channels whose scale ended below {@code sparsity.threshold}, over all groups
 * @param channels all scaled channels
 */
public record SparsifyReport(String pluginVersion, String fingerprint, DistillReport.Source teacher,
        DistillReport.Source student, DistillReport.Source sparse, DistillReport.Images images,
        DistillReport.Settings settings, Sparsity sparsity, List<EpochLoss> epochs, List<EpochScales> scales,
        List<Group> groups, int belowThreshold, int channels, int steps, long trainingInputs, double seconds,
        double imagesPerSecond, StepTime time, List<String> warnings) {

    /** The sparsity settings as used. */
    public record Sparsity(double penalty, double scaleLearningRate, double threshold, boolean trainWeights) {
    }

    /**
     * One channel group's final scales.
     *
     * @param convs the Convs whose output channels the group's scales multiply
     * @param zero channels whose scale is exactly 0
     * @param belowThreshold channels whose |scale| is below the threshold (zero included)
     * @param histogram how many |scale|s fall in each of {@link Bin#EDGES}' intervals
     */
    public record Group(String name, List<String> convs, int channels, int zero, int belowThreshold,
            List<Bin> histogram) {
    }

    /** The number of scales with {@code from ≤ |s| < to}. */
    public record Bin(double from, double to, int count) {

        /** The histogram's interval edges; the first bin also counts exact zeros, the last everything above. */
        static final double[] EDGES = {0, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 1, Double.MAX_VALUE};
    }
}
