package io.github.yoloslim.prune;

import io.github.yoloslim.onnx.OnnxModel;

import java.util.List;

/**
 * A pruned model and what the rewrite did.
 *
 * @param model the pruned model (a new model; the input is untouched)
 * @param notes one line each: channels removed, and how the removed input channels were absorbed (measured
 *     means, exact constants, plain deletions)
 */
public record PruneOutcome(OnnxModel model, List<String> notes) {

    public PruneOutcome {
        notes = List.copyOf(notes);
    }
}
