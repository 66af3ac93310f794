package io.github.yoloslim.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Map;

/**
 * A worst-case bound on |quantized output − float output|, derived from the quantized model itself by walking its
 * graph with two numbers per tensor: {@code e}, a bound on the error of every element, and {@code a}, the largest
 * |x| of the float tensor on the test input. The rules:
 * <ul>
 *   <li>QuantizeLinear with scale s: {@code e + s/2} (rounding; clipping to ±amax only moves a value towards the
 *       float one, since amax ≥ |x|);</li>
 *   <li>Conv, per output channel c with K taps: {@code Σ|w| e_in + K (s_w[c]/2) (a_in + e_in) + s_b[c]/2}
 *       (input error through the float weights, plus weight rounding against the perturbed input, plus INT32 bias
 *       rounding);</li>
 *   <li>Sigmoid {@code e/4} (its slope is at most 1/4); Mul {@code a_x e_y + (a_y + e_y) e_x}; Add
 *       {@code e_x + e_y}; Concat the largest; MaxPool, nearest Resize and the like pass {@code e} through.</li>
 * </ul>
 * ONNX Runtime's fused INT8 kernels compute the same values up to float rounding in their requantization, which
 * a caller covers with a small slack.
 */
final class QuantizationErrorBound {

    private final Map<String, Double> error = new HashMap<>();
    private final Map<String, Double> maxAbs = new HashMap<>();
    private final Map<String, NodeProto> producers = new HashMap<>();
    private final GraphView quantized;
    private final Map<String, NodeProto> floatNodes = new HashMap<>();
    private final GraphView floatView;

    private QuantizationErrorBound(OnnxModel floatModel, OnnxModel quantizedModel, Map<String, Double> floatMaxAbs) {
        this.quantized = quantizedModel.graphView();
        this.floatView = floatModel.graphView();
        floatModel.graph().getNodeList().forEach(n -> floatNodes.put(n.getName(), n));
        maxAbs.putAll(floatMaxAbs);
    }

    /**
     * The bound for the first output of {@code quantizedModel}.
     *
     * @param floatMaxAbs max |x| of every tensor of the float model (graph input included) on the test input
     */
    static double of(OnnxModel floatModel, OnnxModel quantizedModel, Map<String, Double> floatMaxAbs) {
        QuantizationErrorBound bound = new QuantizationErrorBound(floatModel, quantizedModel, floatMaxAbs);
        quantizedModel.graphView().realInputs().forEach(input -> bound.error.put(input.getName(), 0.0));
        for (NodeProto node : quantizedModel.graph().getNodeList()) {
            node.getOutputList().forEach(output -> bound.producers.put(output, node));
            bound.visit(node);
        }
        return bound.error.get(quantizedModel.graph().getOutput(0).getName());
    }

    private void visit(NodeProto node) {
        String out = node.getOutput(0);
        switch (node.getOpType()) {
            case "QuantizeLinear" -> set(out, e(node.getInput(0)) + scalar(node.getInput(1)) / 2, a(node.getInput(0)));
            case "DequantizeLinear" -> {
                if (quantized.initializer(node.getInput(0)).isEmpty()) {
                    set(out, e(node.getInput(0)), a(node.getInput(0)));
                }
            }
            case "Conv" -> set(out, conv(node), maxAbs.get(out));
            case "Sigmoid" -> set(out, e(node.getInput(0)) / 4, maxAbs.get(out));
            case "Mul" -> {
                String x = node.getInput(0);
                String y = node.getInput(1);
                set(out, a(x) * e(y) + (a(y) + e(y)) * e(x), maxAbs.get(out));
            }
            case "Add" -> set(out, e(node.getInput(0)) + e(node.getInput(1)), maxAbs.get(out));
            case "Concat" -> set(out, node.getInputList().stream().mapToDouble(this::e).max().orElseThrow(),
                    maxAbs.get(out));
            case "MaxPool", "Resize", "Identity", "Split", "Reshape", "Transpose" ->
                    node.getOutputList().forEach(o -> set(o, e(node.getInput(0)), maxAbs.get(o)));
            default -> throw new IllegalArgumentException("no error rule for " + node.getOpType());
        }
    }

    private double conv(NodeProto node) {
        NodeProto floatConv = floatNodes.get(node.getName());
        float[] w = GraphView.floats(floatView.initializer(floatConv.getInput(1)).orElseThrow());
        int channels = (int) floatView.initializer(floatConv.getInput(1)).orElseThrow().getDims(0);
        int taps = w.length / channels;
        float[] weightScales = dequantizeScales(node.getInput(1), channels);
        float[] biasScales = node.getInputCount() > 2 ? dequantizeScales(node.getInput(2), channels) : new float[channels];
        double in = e(node.getInput(0));
        double inMax = a(node.getInput(0));
        double worst = 0;
        for (int c = 0; c < channels; c++) {
            double l1 = 0;
            for (int k = c * taps; k < (c + 1) * taps; k++) {
                l1 += Math.abs(w[k]);
            }
            worst = Math.max(worst, l1 * in + taps * weightScales[c] / 2 * (inMax + in) + biasScales[c] / 2.0);
        }
        return worst;
    }

    /** The per-channel scales of the DequantizeLinear that produces {@code tensor}, or zeros for a float one. */
    private float[] dequantizeScales(String tensor, int channels) {
        NodeProto producer = producers.get(tensor);
        if (producer == null || !producer.getOpType().equals("DequantizeLinear")) {
            return new float[channels];
        }
        return GraphView.floats(quantized.initializer(producer.getInput(1)).orElseThrow());
    }

    private double scalar(String initializer) {
        TensorProto tensor = quantized.initializer(initializer).orElseThrow();
        return ByteBuffer.wrap(tensor.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN).getFloat();
    }

    private void set(String tensor, double e, double a) {
        error.put(tensor, e);
        maxAbs.put(tensor, a);
    }

    private double e(String tensor) {
        Double e = error.get(tensor);
        if (e == null) {
            throw new IllegalStateException("no error bound for " + tensor);
        }
        return e;
    }

    private double a(String tensor) {
        return maxAbs.get(tensor);
    }
}
