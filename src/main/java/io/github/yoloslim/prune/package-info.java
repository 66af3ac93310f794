/**
 * Channel pruning of YOLOv8 ONNX graphs without retraining: which output channels are coupled and must go together
 * ({@link io.github.yoloslim.prune.ChannelDependencyAnalysis}), how they are scored (from weights, or measured on
 * calibration images by {@link io.github.yoloslim.prune.ActivationImportance} and weighed by
 * {@link io.github.yoloslim.prune.SensitivityProbe}), the rewrite that removes them with bias absorption
 * ({@link io.github.yoloslim.prune.ChannelPruner}), the layer-by-layer least-squares repair
 * ({@link io.github.yoloslim.prune.LeastSquaresRecovery}) and the search for the largest prune within a mAP budget
 * ({@link io.github.yoloslim.prune.PruneSearch}).
 */
package io.github.yoloslim.prune;
