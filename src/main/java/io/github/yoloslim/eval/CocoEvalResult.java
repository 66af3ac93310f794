package io.github.yoloslim.eval;

import java.util.List;

/** The outcome of a COCO box evaluation: the twelve summary numbers and per-category AP by category id. */
public record CocoEvalResult(CocoStats stats, List<CategoryAp> perCategory) {

    public CocoEvalResult {
        perCategory = List.copyOf(perCategory);
    }
}
