package io.github.yoloslim.mojo;

import io.github.yoloslim.Choices;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.sparsify.Sparsification;
import io.github.yoloslim.sparsify.SparsifyRequest;
import io.github.yoloslim.sparsify.SparsifyResult;
import org.apache.maven.plugins.annotations.LifecyclePhase;
import org.apache.maven.plugins.annotations.Mojo;
import org.apache.maven.plugins.annotations.Parameter;

import java.io.File;

/**
 * Sparsity training (network slimming on the ONNX export): puts a trainable scale on every channel that
 * {@code prune} can remove, trains the model towards the original on unlabelled images (distillation, no labels)
 * with an L1 penalty that drives the scales of unneeded channels to zero, and writes the scales into the model.
 * Writes {@code <name>.sparse.onnx} and {@code sparsify-report.json}. Bound to {@code process-sources}, before
 * {@code prune} ({@code generate-resources}), which takes its output by default and removes the channels whose
 * scale fell below {@code scaleThreshold}; {@code distill} then recovers what is left.
 */
@Mojo(name = "sparsify", defaultPhase = LifecyclePhase.PROCESS_SOURCES, threadSafe = true)
public class SparsifyMojo extends AbstractTrainingMojo {

    /** Skips this goal only. */
    @Parameter(property = "yoloslim.sparsify.skip", defaultValue = "false")
    boolean skipSparsify;

    /** The model to train: a path, or {@code auto} for {@code model}. */
    @Parameter(property = "yoloslim.sparsify.input", defaultValue = "auto")
    String sparsifyInput;

    /** A folder of representative images; the default for {@code trainingImages}. */
    @Parameter(property = "yoloslim.calibrationImages", defaultValue = "${project.basedir}/src/test/yolo/calibration")
    File calibrationImages;

    /** Passes over the training images; training time grows in proportion. */
    @Parameter(property = "yoloslim.sparsify.epochs", defaultValue = "3")
    int sparsifyEpochs;

    /**
     * λ, the weight of the L1 term λ·Σ|s| on the channel scales, in (0, 1]: a scale whose distillation-loss
     * gradient stays below λ is driven to zero, the others hold. Larger removes more: on yolov8n, 2 epochs on 600
     * images sent 1.4 % of the channels below 0.01 at 0.001, too few to prune, and 14.9 % at 0.004.
     */
    @Parameter(property = "yoloslim.sparsify.penalty", defaultValue = "0.004")
    double penalty;

    /**
     * Stages of a penalty path, 1 to 6: after training at {@code penalty}, each further stage doubles λ and trains
     * {@code sparsifyEpochs} more epochs from the scales the stage before ended with. The model carries every
     * stage's scales; {@code prune}'s search ({@code targetMapDrop}) tries each stage's ranking and keeps the
     * largest reduction within the target, and without a search {@code prune} uses the last stage. Each stage costs
     * a training of its own.
     */
    @Parameter(property = "yoloslim.sparsify.penaltySteps", defaultValue = "1")
    int penaltySteps;

    /** The channel scales' peak learning rate (they start at 1), on the weights' warm-up and cosine schedule. */
    @Parameter(property = "yoloslim.sparsify.scaleLearningRate", defaultValue = "0.02")
    double scaleLearningRate;

    /**
     * Channels whose scale ends below this, in (0, 1), are the ones {@code prune} removes (recorded in the model;
     * {@code prune}'s {@code threshold} overrides it).
     */
    @Parameter(property = "yoloslim.sparsify.threshold", defaultValue = "0.01")
    double scaleThreshold;

    /**
     * Whether the Conv weights train beside the scales. Frozen weights cannot absorb a shrinking scale, so the
     * penalty removes the channels the network needs least instead of shrinking all of them, and the model is
     * written with its weights unchanged (the scales in its metadata); {@code distill} retrains the weights after
     * {@code prune}. Trained weights are written with the scales folded in.
     */
    @Parameter(property = "yoloslim.sparsify.trainWeights", defaultValue = "false")
    String sparsifyWeights;

    @Override
    String goal() {
        return "sparsify";
    }

    @Override
    boolean goalSkipped() {
        return skipSparsify;
    }

    @Override
    String goalSkipProperty() {
        return "yoloslim.sparsify.skip";
    }

    @Override
    void run(ProgressListener listener) throws Exception {
        SparsifyResult result = new Sparsification(listener).run(request());
        getLog().debug("sparsify: " + result);
    }

    SparsifyRequest request() {
        return new SparsifyRequest(model.toPath().normalize(), optionalPath(sparsifyInput, "auto"),
                trainingImagesFolder(calibrationImages), maxTrainingImages, distillationSettings(sparsifyEpochs), penalty,
                penaltySteps, scaleLearningRate, scaleThreshold, Choices.flag(sparsifyWeights, "sparsifyWeights"), unreadableImages(),
                outputDirectory.toPath());
    }
}
