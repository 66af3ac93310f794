package io.github.yoloslim.eval;

/** A decoded box in model-input pixels ({@code x1, y1, x2, y2}) with its class index and score. */
public record BoxCandidate(float x1, float y1, float x2, float y2, float score, int classIndex) {
}
