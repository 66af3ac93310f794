package io.github.yoloslim.prune;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.DatasetSpec;
import io.github.yoloslim.eval.EvaluationSettings;

import java.util.Optional;

/**
 * A search for the largest prune whose recovered model stays within a mAP budget ({@link RatioSearch}).
 *
 * @param targetMapDrop the largest allowed mAP50-95 drop from the unpruned model, e.g. 0.02
 * @param maxRatio the largest channel ratio tried
 * @param steps evaluations at most, after the unpruned model's
 * @param resolution the search stops once the smallest failing ratio is at most {@code 1 + resolution} times the
 *     largest passing one (0: only when the rounding distinguishes no model between them)
 * @param dataset the evaluation dataset (as {@code verify-map} reads it)
 * @param evaluation decoding and runtime settings for the evaluations
 * @param failWhenNoReduction whether "no reduction within the target" fails the build rather than keeping the
 *     model unpruned
 * @param distillation when present, every candidate is distilled before it is evaluated
 */
public record SearchSettings(double targetMapDrop, double maxRatio, int steps, double resolution,
        DatasetSpec dataset, EvaluationSettings evaluation, boolean failWhenNoReduction,
        Optional<SearchDistillation> distillation) {

    public SearchSettings {
        if (!(targetMapDrop > 0 && targetMapDrop < 1)) {
            throw new InvalidInputException("<targetMapDrop>" + targetMapDrop + "</targetMapDrop> is out of range: "
                    + "give the mAP50-95 drop the search may spend, in (0, 1), e.g. 0.02.");
        }
        if (!(maxRatio > 0 && maxRatio < 1)) {
            throw new InvalidInputException("<maxRatio>" + maxRatio + "</maxRatio> is out of range: give the largest "
                    + "channel ratio to try, in (0, 1), e.g. 0.5.");
        }
        if (steps < 1 || steps > 20) {
            throw new InvalidInputException("<searchSteps>" + steps + "</searchSteps> is out of range: use 1 to 20 "
                    + "evaluations, e.g. 6.");
        }
        if (!(resolution >= 0 && resolution <= 1)) {
            throw new InvalidInputException("<searchResolution>" + resolution + "</searchResolution> is out of range: "
                    + "give the relative gap between a passing and a failing ratio that ends the search, in [0, 1], "
                    + "e.g. 0.1.");
        }
    }
}
