/**
 * Network-slimming channel pruning of YOLOv8 ONNX graphs: which output channels are coupled and must go together
 * ({@link io.github.yoloslim.prune.ChannelDependencyAnalysis}), and the rewrite that removes them with bias
 * absorption ({@link io.github.yoloslim.prune.ChannelPruner}).
 */
package io.github.yoloslim.prune;
