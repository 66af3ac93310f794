package io.github.yoloslim.distill;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.train.DistillationSettings;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything {@code distill} needs, resolved from the configuration.
 *
 * @param model the application's model ({@code <model>}): the teacher, and the name of the output
 * @param input the student ({@code <distillInput>}), or empty for the newest earlier pipeline output (the pruned
 *        model)
 * @param trainingImages a folder of unlabelled images ({@code <trainingImages>})
 * @param maxTrainingImages train on at most this many, spread evenly over the folder; 0 for all
 * @param settings how to train; its image size may be {@link DistillationSettings#MODEL_SIZE}
 * @param unreadableImages what an image that cannot be decoded does
 */
public record DistillRequest(Path model, Optional<Path> input, Path trainingImages, int maxTrainingImages,
        DistillationSettings settings, UnreadableImagePolicy unreadableImages, Path outputDirectory) {

    public DistillRequest {
        if (maxTrainingImages < 0) {
            throw new InvalidInputException("<maxTrainingImages>" + maxTrainingImages + "</maxTrainingImages> is out "
                    + "of range: use 0 for all images or a positive count, e.g. 600.");
        }
    }
}
