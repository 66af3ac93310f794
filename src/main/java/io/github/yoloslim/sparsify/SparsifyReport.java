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
 * @param epochs every epoch's loss, stage after stage of the penalty path
 * @param scales the channel scales after every epoch, stage after stage
 * @param path every stage of the penalty path (one when {@code penaltySteps} is 1)
 * @param groups every group's scales at the end of the last stage
 * @param belowThreshold channels whose scale ended below {@code sparsity.threshold}, over all groups
 * @param channels all scaled channels
 */
public record SparsifyReport(String pluginVersion, String fingerprint, DistillReport.Source teacher,
        DistillReport.Source student, DistillReport.Source sparse, DistillReport.Images images,
        DistillReport.Settings settings, Sparsity sparsity, List<EpochLoss> epochs, List<EpochScales> scales,
        List<PathStage> path, List<Group> groups, int belowThreshold, int channels, int steps, long trainingInputs, double seconds,
        double imagesPerSecond, StepTime time, List<String> warnings) {

    /**
     * The sparsity settings as used.
     *
     * @param penalty the first stage's λ; each further stage doubles it
     * @param penaltySteps the stages of the penalty path
     */
    public record Sparsity(double penalty, int penaltySteps, double scaleLearningRate, double threshold,
            boolean trainWeights) {
    }

    /**
     * One stage of the penalty path, at its end.
     *
     * @param belowThreshold channels whose |scale| is below the threshold
     * @param meanMagnitude the mean |s| over all channels
     * @param loss the stage's last epoch's mean loss
     * @param seconds the stage's training time
     */
    public record PathStage(double penalty, int belowThreshold, double meanMagnitude, double loss, double seconds) {
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
