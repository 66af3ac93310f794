package io.github.yoloslim.sparsify;

import java.nio.file.Path;

/**
 * What {@code sparsify} produced.
 *
 * @param outcome whether it trained or found its outputs up to date
 * @param sparseModel {@code <name>.sparse.onnx}
 * @param report {@code sparsify-report.json}
 * @param belowThreshold channels whose scale ended below the threshold (what prune will remove, before its
 *        per-layer minimums)
 * @param channels all scaled channels
 */
public record SparsifyResult(Outcome outcome, Path sparseModel, Path report, int belowThreshold, int channels) {

    /** Whether work was done. */
    public enum Outcome {
        /** The model was trained and every output written. */
        SPARSIFIED,
        /** Models, images, settings and plugin version match the last run and its outputs are intact. */
        UP_TO_DATE
    }
}
