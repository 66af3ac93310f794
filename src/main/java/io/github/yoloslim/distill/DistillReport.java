package io.github.yoloslim.distill;

import io.github.yoloslim.train.Augmentation;
import io.github.yoloslim.train.DistillationResult.EpochLoss;
import io.github.yoloslim.train.DistillationResult.StepTime;
import io.github.yoloslim.train.DistillationSettings;
import io.github.yoloslim.train.LossWeights;

import java.util.List;

/**
 * The content of {@code distill-report.json}: what was distilled from what, with which settings, how the loss went
 * epoch by epoch and where the time went ({@code pipeline.json} beside it holds the outputs' hashes). Unlike the
 * model, it holds timings, so it differs between runs.
 *
 * @param fingerprint the hash of everything the distilled model depends on; a rerun with the same one is up to date
 * @param teacher {@code <model>}
 * @param student the model that was trained
 * @param distilled the trained student
 * @param steps optimizer steps taken
 * @param trainingInputs training inputs seen over all epochs
 * @param seconds wall time of the training loop
 */
public record DistillReport(String pluginVersion, String fingerprint, Source teacher, Source student, Source distilled,
        Images images, Settings settings, List<EpochLoss> epochs, int steps, long trainingInputs, double seconds,
        double imagesPerSecond, StepTime time) {

    /** A file and its content hash. */
    public record Source(String file, String sha256) {
    }

    /**
     * The training images: how many were used of how many, and the hash of their names and bytes.
     *
     * @param skipped why each unreadable image was left out
     */
    public record Images(String folder, int used, int available, List<String> skipped, String sha256) {
    }

    /** The training settings as used ({@code imageSize} resolved; threads left out, they change no result). */
    public record Settings(int epochs, int batch, int imageSize, double learningRate, int warmupSteps,
            double finalLearningRate, double weightDecay, long seed, double boxWeight, double classWeight,
            double featureWeight, double temperature, double flip, double scaleJitter, double mosaic, String device) {

        /** {@code settings} as reported. */
        public static Settings of(DistillationSettings settings) {
            LossWeights losses = settings.losses();
            Augmentation augmentation = settings.augmentation();
            return new Settings(settings.epochs(), settings.batch(), settings.imageSize(), settings.learningRate(),
                    settings.warmupSteps(), settings.finalLearningRate(), settings.weightDecay(), settings.seed(),
                    losses.box(), losses.classes(), losses.features(), losses.temperature(), augmentation.flip(),
                    augmentation.scaleJitter(), augmentation.mosaic(), settings.device().id());
        }
    }
}
