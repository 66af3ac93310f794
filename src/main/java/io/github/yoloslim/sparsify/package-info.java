/**
 * {@code sparsify}: network slimming's sparsity training on an ONNX export. Trainable scales on every prunable
 * channel group, an L1 penalty that drives the unneeded ones to zero, distillation from the original model as the
 * task loss, and the scales folded back into the Convs, so that {@code prune} then removes channels that carry
 * (almost) nothing.
 */
package io.github.yoloslim.sparsify;
