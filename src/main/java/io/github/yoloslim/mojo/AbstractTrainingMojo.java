package io.github.yoloslim.mojo;

import io.github.yoloslim.train.Augmentation;
import io.github.yoloslim.train.DistillationSettings;
import io.github.yoloslim.train.LossWeights;
import io.github.yoloslim.train.TrainingDevice;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;
import java.nio.file.Path;

/**
 * What the goals that distil share: {@code distill} itself, and {@code prune}, whose search can distil every
 * candidate before evaluating it. One set of names, so a plugin-level {@code <configuration>} trains both alike.
 */
abstract class AbstractTrainingMojo extends AbstractImageMojo {

    /**
     * A folder of unlabelled training images (searched recursively), or {@code auto} for {@code calibrationImages}.
     * Use images like those the model sees in production, never the evaluation set: a few hundred recover most.
     */
    @Parameter(property = "yoloslim.distill.trainingImages", defaultValue = "auto")
    String trainingImages;

    /** Train on at most this many of {@code trainingImages}, spread evenly over the sorted folder; 0 uses all. */
    @Parameter(property = "yoloslim.distill.maxTrainingImages", defaultValue = "0")
    int maxTrainingImages;

    /** Images per optimizer step (memory grows with it). */
    @Parameter(property = "yoloslim.distill.batch", defaultValue = "4")
    int trainingBatch;

    /**
     * The square training input, a multiple of 32; 0 trains at the model's input size. Smaller trains faster (time
     * goes with its square) and recovers less.
     */
    @Parameter(property = "yoloslim.distill.imageSize", defaultValue = "0")
    int trainingImageSize;

    /**
     * AdamW's peak learning rate, relative to each weight tensor's scale: a step moves a weight by about this
     * fraction of its tensor's RMS (folded BatchNorm leaves the layers' scales far apart).
     */
    @Parameter(property = "yoloslim.distill.learningRate", defaultValue = "2e-3")
    double learningRate;

    /** Steps of linear warm-up from 0 to {@code learningRate}, then a cosine decay. */
    @Parameter(property = "yoloslim.distill.warmupSteps", defaultValue = "50")
    int warmupSteps;

    /** Where the cosine decay ends, as a fraction of {@code learningRate}. */
    @Parameter(property = "yoloslim.distill.finalLearningRate", defaultValue = "0.01")
    double finalLearningRate;

    /** AdamW's decoupled weight decay. */
    @Parameter(property = "yoloslim.distill.weightDecay", defaultValue = "0")
    double weightDecay;

    /** Fixes the image order and the augmentation: the same seed gives the same model on the same machine. */
    @Parameter(property = "yoloslim.distill.seed", defaultValue = "1")
    long seed;

    /** Weight of the box term: the KL divergence of the student's DFL box distributions from the original's. */
    @Parameter(property = "yoloslim.distill.boxWeight", defaultValue = "1")
    double boxWeight;

    /** Weight of the class term: the KL divergence of the student's class scores from the original's. */
    @Parameter(property = "yoloslim.distill.classWeight", defaultValue = "1")
    double classWeight;

    /**
     * Weight of the feature term: the error of the feature maps feeding the head (measured on yolov8n: no better
     * than the box and class terms alone).
     */
    @Parameter(property = "yoloslim.distill.featureWeight", defaultValue = "0")
    double featureWeight;

    /** Softens both box distributions before their KL divergence; 1 compares them as they are. */
    @Parameter(property = "yoloslim.distill.temperature", defaultValue = "1")
    double temperature;

    /** The probability of flipping a training input horizontally. */
    @Parameter(property = "yoloslim.distill.flip", defaultValue = "0.5")
    double flip;

    /** Each input is scaled by a random factor in [1 − j, 1 + j] and placed at random; 0 for none. */
    @Parameter(property = "yoloslim.distill.scaleJitter", defaultValue = "0.25")
    double scaleJitter;

    /** The probability that a training input is a 2×2 mosaic of four images. */
    @Parameter(property = "yoloslim.distill.mosaic", defaultValue = "0")
    double mosaic;

    /**
     * Where training runs: {@code auto} (a CUDA GPU when libtorch sees one, else the CPU), {@code cpu} or
     * {@code gpu} (fails where there is none).
     */
    @Parameter(property = "yoloslim.distill.device", defaultValue = "auto")
    String device;

    /** The training images: {@code trainingImages}, or {@code calibrationImages} for {@code auto}. */
    Path trainingImagesFolder(File calibrationImages) {
        return optionalPath(trainingImages, "auto").orElse(calibrationImages.toPath().normalize());
    }

    /** The configured training recipe, for {@code epochs} passes. */
    DistillationSettings distillationSettings(int epochs) {
        return new DistillationSettings(epochs, trainingBatch, trainingImageSize, learningRate, warmupSteps,
                finalLearningRate, weightDecay, seed, new LossWeights(boxWeight, classWeight, featureWeight,
                        temperature), new Augmentation(flip, scaleJitter, mosaic), TrainingDevice.parse(device,
                        "device"), threads);
    }
}
