/**
 * ONNX model I/O, a graph view with producers and consumers, recognition of YOLOv8 detection models, and the table
 * of what each operator does to channels, scales and constants ({@link io.github.yoloslim.onnx.OperatorSemantics}).
 */
package io.github.yoloslim.onnx;
