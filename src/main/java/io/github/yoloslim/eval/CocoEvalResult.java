package io.github.yoloslim.eval;

import java.util.List;

/**
 * The outcome of a COCO box evaluation: the twelve summary numbers, per-category AP by category id, and the
 * precision–recall curves at IoU 0.5 and 0.75.
 */
public record CocoEvalResult(CocoStats stats, List<CategoryAp> perCategory, List<PrecisionRecallCurve> curves) {

    public CocoEvalResult {
        perCategory = List.copyOf(perCategory);
        curves = List.copyOf(curves);
    }
}
