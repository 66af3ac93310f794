package io.github.yoloslim.prune;

import io.github.yoloslim.InvalidInputException;

/**
 * Which channels go.
 *
 * @param ratio the fraction of all prunable channels to remove, ranked globally by per-group normalised score;
 *        ignored when {@code threshold} is set
 * @param threshold remove every channel whose score (in the criterion's units, e.g. |γ|) is below this; a
 *        negative value means "use {@code ratio}"
 * @param minChannels every group keeps at least this many channels
 * @param minKeptFraction every group keeps at least this fraction of its channels
 * @param roundTo kept channel counts are multiples of this (TensorRT kernels prefer aligned counts); 1 to not round
 */
public record SelectionSettings(double ratio, double threshold, int minChannels, double minKeptFraction,
        int roundTo) {

    public SelectionSettings {
        if (!(ratio >= 0 && ratio < 1)) {
            throw new InvalidInputException("<ratio>" + ratio + "</ratio> is out of range: give the fraction of "
                    + "prunable channels to remove, in [0, 1), e.g. 0.1.");
        }
        if (minChannels < 1) {
            throw new InvalidInputException("<minChannels>" + minChannels + "</minChannels> is out of range: every "
                    + "layer keeps at least one channel; use 1 or more, e.g. 8.");
        }
        if (!(minKeptFraction >= 0 && minKeptFraction <= 1)) {
            throw new InvalidInputException("<minKeptFraction>" + minKeptFraction + "</minKeptFraction> is out of "
                    + "range: use a fraction in [0, 1], e.g. 0.25.");
        }
        if (roundTo < 1) {
            throw new InvalidInputException("<roundTo>" + roundTo + "</roundTo> is out of range: use 1 (no "
                    + "rounding) or a channel multiple such as 8.");
        }
        if (Double.isNaN(threshold)) {
            throw new InvalidInputException("<threshold> is not a number: give a score, or a negative value to "
                    + "prune by <ratio>.");
        }
    }

    /** These settings with another ratio (and no threshold). */
    public SelectionSettings withRatio(double newRatio) {
        return new SelectionSettings(newRatio, -1, minChannels, minKeptFraction, roundTo);
    }

    /** These settings with a threshold (which takes the place of the ratio). */
    public SelectionSettings withThreshold(double newThreshold) {
        return new SelectionSettings(ratio, newThreshold, minChannels, minKeptFraction, roundTo);
    }

    /** Whether channels are chosen by {@link #threshold} rather than {@link #ratio}. */
    public boolean byThreshold() {
        return threshold >= 0;
    }
}
