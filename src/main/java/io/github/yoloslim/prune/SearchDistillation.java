package io.github.yoloslim.prune;

import io.github.yoloslim.train.DistillationSettings;

import java.nio.file.Path;

/**
 * Distillation of every search candidate before it is evaluated ({@code <searchDistillEpochs>}), so that the
 * search finds the largest prune that passes after recovery, not before it; the chosen candidate is written
 * distilled.
 *
 * @param trainingImages a folder of unlabelled images ({@code <trainingImages>})
 * @param maxTrainingImages train on at most this many, spread evenly over the folder; 0 for all
 * @param settings how each candidate is trained
 */
public record SearchDistillation(Path trainingImages, int maxTrainingImages, DistillationSettings settings) {
}
