package io.github.yoloslim.sparsify;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.train.DistillationSettings;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything {@code sparsify} needs, resolved from the configuration.
 *
 * @param model the application's model ({@code <model>}): the teacher, and the name of the output
 * @param input the model to train ({@code <sparsifyInput>}), or empty for {@code <model>} itself
 * @param trainingImages a folder of unlabelled images ({@code <trainingImages>})
 * @param maxTrainingImages train on at most this many, spread evenly over the folder; 0 for all
 * @param settings how to train; its image size may be {@link DistillationSettings#MODEL_SIZE}
 * @param penalty λ of the L1 penalty on the channel scales, in (0, 1]; the first stage's when there are several
 * @param penaltySteps the stages of the penalty path: each further stage doubles λ and trains the settings' epochs
 *        again, starting from the scales the stage before ended with
 * @param scaleLearningRate the channel scales' peak learning rate
 * @param threshold channels whose scale ends below this are the ones {@code prune} removes, in (0, 1)
 * @param trainWeights whether the Conv weights train beside the scales (see {@link
 *        io.github.yoloslim.train.ChannelScaling#trainWeights()})
 * @param unreadableImages what an image that cannot be decoded does
 */
public record SparsifyRequest(Path model, Optional<Path> input, Path trainingImages, int maxTrainingImages,
        DistillationSettings settings, double penalty, int penaltySteps, double scaleLearningRate, double threshold,
        boolean trainWeights, UnreadableImagePolicy unreadableImages, Path outputDirectory) {

    /** The most stages a path may have (λ grows by 2^(stages − 1) over it). */
    public static final int MAX_PENALTY_STEPS = 6;

    public SparsifyRequest {
        if (penaltySteps < 1 || penaltySteps > MAX_PENALTY_STEPS) {
            throw new InvalidInputException("<penaltySteps>" + penaltySteps + "</penaltySteps> is out of range: use 1 "
                    + "for a single training at <penalty>, or up to " + MAX_PENALTY_STEPS + " stages, each doubling "
                    + "the penalty, e.g. 3.");
        }
        if (penaltySteps > 1 && trainWeights) {
            throw new InvalidInputException("<penaltySteps>" + penaltySteps + "</penaltySteps> needs frozen weights, "
                    + "but <sparsifyWeights> is true: with trained weights every stage would give prune other "
                    + "weights, not only another ranking. Set <sparsifyWeights>false</sparsifyWeights> (the default) or "
                    + "<penaltySteps>1</penaltySteps>.");
        }
        double last = penalty * Math.pow(2, penaltySteps - 1);
        if (penaltySteps > 1 && penalty > 0 && last > 1) {
            throw new InvalidInputException("<penaltySteps>" + penaltySteps + "</penaltySteps> doubles <penalty>"
                    + penalty + "</penalty> to " + last + " in the last stage, beyond the largest penalty, 1. Use "
                    + "fewer stages or a smaller <penalty>.");
        }
        if (maxTrainingImages < 0) {
            throw new InvalidInputException("<maxTrainingImages>" + maxTrainingImages + "</maxTrainingImages> is out "
                    + "of range: use 0 for all images or a positive count, e.g. 600.");
        }
        if (!(threshold > 0 && threshold < 1)) {
            throw new InvalidInputException("<scaleThreshold>" + threshold + "</scaleThreshold> is out of range: "
                    + "use a scale in (0, 1), e.g. 0.01. The scales start at 1; channels whose scale falls below the "
                    + "threshold are the ones prune removes.");
        }
    }

    /** The λ of stage {@code stage} (from 0) of the penalty path. */
    public double penalty(int stage) {
        return penalty * Math.pow(2, stage);
    }
}
