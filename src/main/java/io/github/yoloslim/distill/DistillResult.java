package io.github.yoloslim.distill;

import java.nio.file.Path;

/**
 * What {@code distill} produced.
 *
 * @param outcome whether it trained, found its outputs up to date, or had nothing to distil
 * @param distilledModel {@code <name>.distilled.onnx} (absent for {@link Outcome#NOTHING_TO_DISTILL})
 * @param report {@code distill-report.json}
 * @param finalLoss the last epoch's mean loss, NaN when nothing was trained in this run
 */
public record DistillResult(Outcome outcome, Path distilledModel, Path report, double finalLoss) {

    /** Whether work was done. */
    public enum Outcome {
        /** The student was trained and every output written. */
        DISTILLED,
        /** Models, images, settings and plugin version match the last run and its outputs are intact. */
        UP_TO_DATE,
        /** The input is {@code <model>} itself: nothing was pruned, so there is nothing to recover. */
        NOTHING_TO_DISTILL
    }
}
