/**
 * Training on the ONNX graph itself, on libtorch through DJL (the only package that imports {@code ai.djl}):
 * {@link io.github.yoloslim.train.TrainableGraph} runs an ONNX graph with autograd and writes trained weights back
 * into it, {@link io.github.yoloslim.train.Distiller} fine-tunes a student (a pruned model) on unlabelled images
 * against its teacher (the original model).
 */
package io.github.yoloslim.train;
