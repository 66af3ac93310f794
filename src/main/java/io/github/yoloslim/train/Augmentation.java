package io.github.yoloslim.train;

import io.github.yoloslim.InvalidInputException;

/**
 * Label-free augmentation of the training inputs (teacher and student see the same result).
 *
 * @param flip the probability of a horizontal flip
 * @param scaleJitter the input is scaled by a factor drawn uniformly from {@code [1 − j, 1 + j]} and placed at a
 *        random offset (0 for none)
 * @param mosaic the probability that an input is a 2×2 mosaic of half-size images
 */
public record Augmentation(double flip, double scaleJitter, double mosaic) {

    /** No augmentation: every input is the image letterboxed as evaluation sees it. */
    public static final Augmentation NONE = new Augmentation(0, 0, 0);

    public Augmentation {
        probability("flip", flip);
        probability("mosaic", mosaic);
        if (!(scaleJitter >= 0 && scaleJitter < 1)) {
            throw new InvalidInputException("<scaleJitter>" + scaleJitter + "</scaleJitter> is out of range: use a "
                    + "fraction in [0, 1), e.g. 0.25 for scales from 0.75 to 1.25, or 0 for none.");
        }
    }

    private static void probability(String element, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new InvalidInputException("<" + element + ">" + value + "</" + element + "> is out of range: use "
                    + "a probability in [0, 1].");
        }
    }
}
