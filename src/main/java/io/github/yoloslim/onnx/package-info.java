/** ONNX model I/O, a graph view with producers and consumers, and recognition of YOLOv8 detection models. */
package io.github.yoloslim.onnx;
