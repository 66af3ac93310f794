package io.github.yoloslim.train;

import io.github.yoloslim.InvalidInputException;

/**
 * How the distillation terms are mixed.
 *
 * @param box the KL divergence of the student's DFL box distributions from the teacher's (at the temperature),
 *        weighted per anchor by the teacher's best class score so that background anchors count little
 * @param classes the Bernoulli KL divergence of the student's class scores from the teacher's sigmoid scores,
 *        summed and divided by the teacher's total score (as Ultralytics normalises its class loss)
 * @param features the mean squared error between the feature maps feeding the head, relative to the teacher's
 *        mean square; a learned 1×1 adapter maps the student's channels where a prune changed their number
 * @param temperature softens both box distributions before their KL divergence
 */
public record LossWeights(double box, double classes, double features, double temperature) {

    public LossWeights {
        for (double weight : new double[] {box, classes, features}) {
            if (!(weight >= 0 && Double.isFinite(weight))) {
                throw new InvalidInputException("loss weights must be finite and not negative: <boxWeight> " + box
                        + ", <classWeight> " + classes + ", <featureWeight> " + features + ".");
            }
        }
        if (box + classes + features == 0) {
            throw new InvalidInputException("all loss weights are 0: give at least one of <boxWeight>, <classWeight> "
                    + "and <featureWeight> a positive weight, e.g. <boxWeight>1</boxWeight>.");
        }
        if (!(temperature > 0 && Double.isFinite(temperature))) {
            throw new InvalidInputException("<temperature>" + temperature + "</temperature> is out of range: use a "
                    + "positive number, e.g. 1.");
        }
    }
}
