package io.github.yoloslim.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;

import java.util.Optional;

/**
 * What ONNX Runtime's x86 U8S8 kernels without VNNI can form in a 16-bit lane. {@code vpmaddubsw} multiplies
 * UINT8 activations by INT8 weights and adds two neighbouring products (neighbours along the reduction axis, as
 * the kernel packs the weights) with signed saturation. Which two weights become neighbours depends on the
 * packing, so the bound takes the two largest |w| of each output channel: if 255 × (|w₁| + |w₂|) fits in 16 bits
 * for every channel, no pair the kernel forms can saturate, whatever the CPU. A property of the model's bytes
 * alone, so it holds (or fails) identically on every machine.
 */
final class KernelPairSums {

    static final int INT16_MAX = Short.MAX_VALUE;
    private static final int UINT8_MAX = 255;

    private KernelPairSums() {
    }

    /**
     * The largest pair sum over the Convs that ONNX Runtime runs on U8S8 kernels: a UINT8-quantized activation
     * input and INT8 weights. UINT8 weights run on the U8U8 kernels, which widen to 16 bits before multiplying, and
     * float Convs on no 8-bit kernel at all: neither counts. 0 when there is no such Conv.
     */
    static int largestU8S8PairSum(OnnxModel quantized) {
        GraphView view = quantized.graphView();
        int largest = 0;
        for (NodeProto conv : quantized.graph().getNodeList()) {
            if (!conv.getOpType().equals("Conv")) {
                continue;
            }
            Optional<TensorProto> activation = dequantizedInitializerOrInput(view, conv.getInput(0), true);
            Optional<TensorProto> weight = dequantizedInitializerOrInput(view, conv.getInput(1), false);
            if (activation.isEmpty() || activation.get().getDataType() != TensorProto.DataType.UINT8_VALUE
                    || weight.isEmpty() || weight.get().getDataType() != TensorProto.DataType.INT8_VALUE) {
                continue;
            }
            byte[] q = weight.get().getRawData().toByteArray();
            int channels = (int) weight.get().getDims(0);
            int perChannel = q.length / channels;
            for (int c = 0; c < channels; c++) {
                int first = 0;
                int second = 0;
                for (int k = c * perChannel; k < (c + 1) * perChannel; k++) {
                    int magnitude = Math.abs(q[k]);
                    if (magnitude > first) {
                        second = first;
                        first = magnitude;
                    } else if (magnitude > second) {
                        second = magnitude;
                    }
                }
                largest = Math.max(largest, UINT8_MAX * (first + second));
            }
        }
        return largest;
    }

    /**
     * For a tensor written by a DequantizeLinear: its zero point (an activation's, whose type is the quantized
     * type) or its quantized initializer (a weight's).
     */
    private static Optional<TensorProto> dequantizedInitializerOrInput(GraphView view, String tensor,
            boolean zeroPoint) {
        return view.producer(tensor).filter(node -> node.getOpType().equals("DequantizeLinear"))
                .flatMap(dq -> view.initializer(dq.getInput(zeroPoint ? 2 : 0)));
    }
}
