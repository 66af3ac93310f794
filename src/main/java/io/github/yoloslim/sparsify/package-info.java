/**
 * {@code sparsify}: network slimming's sparsity training on an ONNX export. Trainable scales on every prunable
 * channel group, an L1 penalty that drives the unneeded ones to zero, distillation from the original model as the
 * task loss. The learned scales travel in the model's metadata; {@code prune} removes the channels whose scale
 * fell below the threshold and repairs the rest towards the original model by least squares.
 */
package io.github.yoloslim.sparsify;
