/** Q/DQ placement for YOLOv8 (TensorRT and ONNX Runtime layouts), quantized model writing, and the TensorRT calibration-cache format. */
package io.github.yoloslim.quantize;
