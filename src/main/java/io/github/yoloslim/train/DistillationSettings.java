package io.github.yoloslim.train;

import io.github.yoloslim.InvalidInputException;

/**
 * How a distillation trains.
 *
 * @param epochs passes over the training images
 * @param batch images per optimizer step
 * @param imageSize the square training input (a multiple of 32), or {@link #MODEL_SIZE} for the teacher's own;
 *        the head's tensors are compared before the decode, so it may differ from the size the model was
 *        exported at
 * @param learningRate AdamW's peak learning rate, relative to each trained tensor's RMS at the start
 * @param warmupSteps steps of linear warm-up from 0 to the peak, then a cosine decay to
 *        {@code finalLearningRate × learningRate} at the last step
 * @param weightDecay AdamW's decoupled weight decay
 * @param seed fixes the image order, the augmentation and libtorch's random numbers
 * @param threads libtorch intra-op threads, 0 for one per available processor
 */
public record DistillationSettings(int epochs, int batch, int imageSize, double learningRate, int warmupSteps,
        double finalLearningRate, double weightDecay, long seed, LossWeights losses, Augmentation augmentation,
        TrainingDevice device, int threads) {

    /** {@code imageSize} 0: train at the teacher's input size. */
    public static final int MODEL_SIZE = 0;

    public DistillationSettings {
        positive("epochs", epochs, "e.g. 3");
        positive("trainingBatch", batch, "e.g. 4");
        if (imageSize != MODEL_SIZE && (imageSize < 32 || imageSize % 32 != 0)) {
            throw new InvalidInputException("<trainingImageSize>" + imageSize + "</trainingImageSize> is out of "
                    + "range: use a multiple of 32 (the detector's largest stride), e.g. 640, or 0 for the model's "
                    + "input size.");
        }
        if (!(learningRate > 0 && learningRate < 1)) {
            throw new InvalidInputException("<learningRate>" + learningRate + "</learningRate> is out of range: use "
                    + "a positive rate below 1, e.g. 0.001.");
        }
        if (warmupSteps < 0) {
            throw new InvalidInputException("<warmupSteps>" + warmupSteps + "</warmupSteps> is out of range: use 0 "
                    + "or more steps.");
        }
        if (!(finalLearningRate >= 0 && finalLearningRate < 1)) {
            throw new InvalidInputException("<finalLearningRate>" + finalLearningRate + "</finalLearningRate> is out "
                    + "of range: use a fraction of the peak rate in [0, 1), e.g. 0.01.");
        }
        if (!(weightDecay >= 0 && weightDecay < 1)) {
            throw new InvalidInputException("<weightDecay>" + weightDecay + "</weightDecay> is out of range: use a "
                    + "value in [0, 1), e.g. 0.");
        }
        if (threads < 0) {
            throw new InvalidInputException("<threads>" + threads + "</threads> is out of range: use 0 (all "
                    + "processors) or a positive thread count.");
        }
    }

    /**
     * These settings with {@link #MODEL_SIZE} replaced by the teacher's square input size {@code modelSize}.
     *
     * @throws InvalidInputException when that size is not a multiple of 32
     */
    public DistillationSettings resolvedFor(int modelSize) {
        if (imageSize != MODEL_SIZE) {
            return this;
        }
        if (modelSize < 32 || modelSize % 32 != 0) {
            throw new InvalidInputException("<trainingImageSize>0</trainingImageSize> trains at the model's input "
                    + "size, " + modelSize + ", which is not a multiple of 32. Set <trainingImageSize> to a multiple of "
                    + "32, e.g. 640.");
        }
        return new DistillationSettings(epochs, batch, modelSize, learningRate, warmupSteps, finalLearningRate,
                weightDecay, seed, losses, augmentation, device, threads);
    }

    private static void positive(String element, int value, String example) {
        if (value < 1) {
            throw new InvalidInputException("<" + element + ">" + value + "</" + element + "> is out of range: use a "
                    + "positive count, " + example + ".");
        }
    }
}
