package io.github.yoloslim.quantize;

import io.github.yoloslim.Choices;

/** Where the quantized model puts its QuantizeLinear/DequantizeLinear pairs, by the runtime it is meant for. */
public enum QdqFormat {
    /**
     * TensorRT's explicit-quantization layout: Q/DQ on the inputs of Convs and residual Adds only; TensorRT
     * fuses the rest. ONNX Runtime runs it too, but as float convolutions behind dequantize steps (slower than FP32).
     */
    TENSORRT,
    /**
     * ONNX Runtime's layout: every activation of the quantized part carries a Q/DQ pair (UINT8, zero point 128,
     * which x86 kernels want) and Conv biases are INT32, so ONNX Runtime fuses each DQ→op→Q into an 8-bit kernel
     * (QLinearConv and friends) on the CPU: about 1.8× faster than FP32 for yolov8n.
     */
    ORT;

    /** Parses a configuration value ({@code tensorrt} or {@code ort}). */
    public static QdqFormat parse(String value, String element) {
        return Choices.parse(QdqFormat.class, value, element,
                "tensorrt (Q/DQ for TensorRT engines) or ort (INT8 kernels in ONNX Runtime on the CPU)");
    }
}
