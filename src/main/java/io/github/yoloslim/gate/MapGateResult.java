package io.github.yoloslim.gate;

import io.github.yoloslim.eval.ModelEvaluation;

import java.nio.file.Path;

/**
 * What the gate found.
 *
 * @param mapDrop baseline mAP50-95 minus candidate mAP50-95 (negative when the candidate is better)
 * @param message one sentence with the numbers and, on failure, the setting to change
 */
public record MapGateResult(ModelEvaluation baseline, ModelEvaluation candidate, double mapDrop, Verdict verdict,
        String message, Path report) {
}
