package io.github.yoloslim.quantize;

import io.github.yoloslim.Choices;
import io.github.yoloslim.InvalidInputException;

import java.util.Locale;

/**
 * How a quantized Conv's activations and weights are stored, which decides which CPU kernels run it correctly.
 *
 * <p>On x86-64 without VNNI (AVX2, and AVX-512 before VNNI), ONNX Runtime multiplies UINT8 activations by INT8
 * weights with {@code vpmaddubsw}, which adds each pair of products into a signed 16-bit lane and saturates: with
 * activations up to 255 (the symmetric grid's zero point alone is 128) and weights up to 127 a pair reaches 64 770,
 * far past 32 767, and the Conv's output is silently wrong. With VNNI ({@code vpdpbusd}) or on ARM the products are
 * summed in 32 bits and nothing saturates. A model is built once and runs on whatever CPUs its users have, so the
 * default encodings are exact on every kernel.
 */
public enum Int8Encoding {
    /** TensorRT's encoding: INT8 activations and weights, symmetric. The {@link QdqFormat#TENSORRT} layout's only one. */
    S8S8("s8s8", 127),
    /**
     * UINT8 activations, INT8 weights on a 7-bit grid ([-64, 64], ONNX Runtime's "reduce range"): a pair of
     * products is at most 2 × 255 × 64 = 32 640, so the 16-bit kernels cannot saturate. Costs one bit of weight
     * resolution (per channel); runs on the fast U8S8 kernels everywhere.
     */
    U8S8_7BIT("u8s8-7bit", 64),
    /**
     * UINT8 activations and UINT8 weights (zero point 128): ONNX Runtime's U8U8 kernels widen both to 16 bits
     * before multiplying ({@code vpmaddwd}), so nothing saturates and weights keep 8 bits; slower than U8S8 where
     * VNNI is present.
     */
    U8U8("u8u8", 127),
    /**
     * UINT8 activations, INT8 weights on the full 8-bit grid. Exact only where the CPU has VNNI (avx512_vnni or
     * avx_vnni) or on ARM; on AVX2-only and pre-VNNI AVX-512 CPUs Conv outputs saturate and accuracy collapses
     * (measured: mAP50-95 0.253 against FP32 0.426 on a COCO subset). An explicit opt-in for fleets known to have
     * VNNI.
     */
    U8S8_VNNI("u8s8-vnni", 127);

    private final String id;
    private final int weightMax;

    Int8Encoding(String id, int weightMax) {
        this.id = id;
        this.weightMax = weightMax;
    }

    /** The configuration value, e.g. {@code u8s8-7bit}. */
    public String id() {
        return id;
    }

    /** The largest |quantized weight|: weights are scaled so that a channel's max |w| maps to it. */
    public int weightMax() {
        return weightMax;
    }

    /** Whether weights are stored as UINT8 around zero point 128 rather than as INT8 around 0. */
    public boolean unsignedWeights() {
        return this == U8U8;
    }

    /** The encoding {@code format} uses unless told otherwise. */
    public static Int8Encoding defaultFor(QdqFormat format) {
        return format == QdqFormat.TENSORRT ? S8S8 : U8S8_7BIT;
    }

    /**
     * The encoding configured as {@code value} ({@code auto} for {@link #defaultFor}) for {@code format}.
     *
     * @throws InvalidInputException when the value is unknown or does not fit the layout
     */
    public static Int8Encoding parse(String value, QdqFormat format, String element) {
        if (value == null || value.isBlank() || value.trim().equalsIgnoreCase("auto")) {
            return defaultFor(format);
        }
        Int8Encoding encoding = Choices.parse(Int8Encoding.class, value, element, "auto, u8s8-7bit (exact on every "
                + "x86-64 CPU; the ort default), u8u8 (exact everywhere, 8-bit weights), u8s8-vnni (only for CPUs "
                + "with VNNI) or s8s8 (the tensorrt layout's)");
        if ((format == QdqFormat.TENSORRT) != (encoding == S8S8)) {
            throw new InvalidInputException("<" + element + ">" + value + "</" + element + "> does not fit "
                    + "<qdqFormat>" + format.name().toLowerCase(Locale.ROOT) + "</qdqFormat>: "
                    + (format == QdqFormat.TENSORRT
                            ? "TensorRT takes s8s8 only; remove <" + element + "> or set it to auto."
                            : "ONNX Runtime's x86 kernels take UINT8 activations; use u8s8-7bit (the default), u8u8, "
                                    + "or u8s8-vnni (VNNI CPUs only)."));
        }
        return encoding;
    }
}
