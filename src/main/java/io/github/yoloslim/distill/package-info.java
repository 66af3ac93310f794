/**
 * The {@code distill} stage: fine-tunes the newest pipeline model (the pruned one) towards {@code <model>} on
 * unlabelled images through {@link io.github.yoloslim.train.Distiller}, writes {@code <name>.distilled.onnx} and
 * {@code distill-report.json}, and records them in {@code pipeline.json}.
 */
package io.github.yoloslim.distill;
