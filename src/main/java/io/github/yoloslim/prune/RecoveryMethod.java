package io.github.yoloslim.prune;

import io.github.yoloslim.Choices;

import java.util.Locale;

/** How the pruned network makes up for the removed channels, without retraining. */
public enum RecoveryMethod {
    /** {@link #LEAST_SQUARES} when calibration images are given, else {@link #CONSTANTS}. */
    AUTO,
    /** Only provably constant channels are absorbed into the consumers' biases; the rest are deleted. */
    CONSTANTS,
    /** Removed channels' measured means go into the consumers' biases (network slimming's β absorption). */
    MEANS,
    /**
     * Means, then every Conv that reads pruned activations is re-solved by least squares to reproduce the original
     * network's output on the calibration images, layer by layer.
     */
    LEAST_SQUARES;

    /** Parses a configuration value: {@code auto}, {@code constants}, {@code means} or {@code least-squares}. */
    public static RecoveryMethod parse(String value, String element) {
        return Choices.parse(RecoveryMethod.class, value, element, "auto (least-squares with calibration images, "
                + "else constants), constants, means or least-squares");
    }

    /** The method used: {@link #AUTO} resolved by whether calibration images are given. */
    public RecoveryMethod resolve(boolean haveImages) {
        return this == AUTO ? haveImages ? LEAST_SQUARES : CONSTANTS : this;
    }

    /** The configuration spelling, e.g. {@code least-squares}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
