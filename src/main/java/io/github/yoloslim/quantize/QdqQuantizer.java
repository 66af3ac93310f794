package io.github.yoloslim.quantize;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes the explicitly quantized (QDQ) model that a {@link QdqPlacement} describes: one
 * QuantizeLinear→DequantizeLinear pair per quantized activation, placed right after its producer and read by
 * every quantized consumer (the others keep reading the float tensor); Conv weights as 8-bit initializers behind a
 * per-channel DequantizeLinear (axis 0), stored as the plan's {@link Int8Encoding} says; in the {@link QdqFormat#ORT}
 * layout Conv biases as INT32 behind one too.
 *
 * <p>Names derive from the tensor names ({@code <tensor>_QuantizeLinear}, {@code <tensor>_quantized},
 * {@code <tensor>_scale}, ...) and the node order from the input's, so the same inputs give byte-identical
 * models.
 */
public final class QdqQuantizer {

    /**
     * Symmetric 8-bit activations: scale = amax / 127, so ±amax maps to ±127 (TensorRT leaves -128 unused). Weights
     * map their channel's max |w| to {@link Int8Encoding#weightMax()}.
     */
    private static final int QMAX = 127;
    /**
     * The zero point of activations in the ONNX Runtime layout: UINT8 128 is the symmetric INT8 grid shifted by 128.
     * ONNX Runtime's x86 kernels take UINT8 activations; its own INT8→UINT8 rewrite gives up on a quantized tensor
     * read by several nodes (most of YOLOv8's), which would leave those convolutions unfused.
     */
    private static final byte UINT8_ZERO = (byte) 128;
    /** The largest |INT32 bias| the weight scale is chosen for. */
    private static final double BIAS_LIMIT = 1 << 30;
    /** The scale of an all-zero weight channel: any positive scale represents it exactly. */
    private static final float ZERO_CHANNEL_SCALE = 1e-12f;

    private QdqQuantizer() {
    }

    /**
     * Quantizes {@code model} as {@code plan} says, with activation ranges {@code amaxByTensor} (max |x| or a
     * clipped range, per tensor; scale groups take their largest). The input model is not modified.
     *
     * @param plan a plan made for this very model
     * @param amaxByTensor an amax for every tensor of {@link QdqPlacement#calibratedTensors()}; others are ignored
     * @throws IllegalArgumentException when the plan is for another model, or an amax is missing, not positive or
     *     not finite
     */
    public static OnnxModel quantize(OnnxModel model, QdqPlacement plan, Map<String, Double> amaxByTensor) {
        GraphProto graph = model.graph();
        if (!graph.getNodeList().equals(plan.nodes())) {
            throw new IllegalArgumentException("the plan was made for another model than " + model.source());
        }
        Map<String, Double> measured = new HashMap<>();
        for (String tensor : plan.calibratedTensors()) {
            Double amax = amaxByTensor.get(tensor);
            if (amax == null) {
                throw new IllegalArgumentException("no amax for activation '" + tensor + "', which the plan calibrates");
            }
            if (!(amax > 0) || amax.isInfinite()) {
                throw new IllegalArgumentException("amax " + amax + " of activation '" + tensor
                        + "' is not a positive finite number");
            }
            measured.put(tensor, amax);
        }
        Map<String, Double> amax = plan.groupAmax(measured);
        return new Writer(model, plan, amax).write();
    }

    /** One quantization run: the names taken so far and the nodes and initializers written. */
    private static final class Writer {
        private final OnnxModel model;
        private final QdqPlacement plan;
        private final Map<String, Double> amax;
        private final GraphView view;
        private final Set<String> taken = new HashSet<>();
        private final List<TensorProto> initializers = new ArrayList<>();
        private final Map<String, String> dequantized = new HashMap<>();
        private final Map<String, Float> activationScale = new HashMap<>();
        private final Set<String> replaced = new HashSet<>();
        private final GraphProto.Builder out;

        Writer(OnnxModel model, QdqPlacement plan, Map<String, Double> amax) {
            this.model = model;
            this.plan = plan;
            this.amax = amax;
            this.view = model.graphView();
            GraphProto graph = model.graph();
            graph.getInputList().forEach(v -> taken.add(v.getName()));
            graph.getOutputList().forEach(v -> taken.add(v.getName()));
            graph.getValueInfoList().forEach(v -> taken.add(v.getName()));
            graph.getInitializerList().forEach(t -> taken.add(t.getName()));
            for (NodeProto node : graph.getNodeList()) {
                taken.add(node.getName());
                taken.addAll(node.getOutputList());
            }
            this.out = graph.toBuilder().clearNode();
        }

        OnnxModel write() {
            GraphProto graph = model.graph();
            for (ValueInfoProto input : graph.getInputList()) {
                quantizeActivation(input.getName());
            }
            List<NodeProto> nodes = graph.getNodeList();
            for (int i = 0; i < nodes.size(); i++) {
                NodeProto node = nodes.get(i);
                NodeProto.Builder rewritten = node.toBuilder();
                for (int input : plan.quantizedInputs(i)) {
                    rewritten.setInput(input, dequantized.get(node.getInput(input)));
                }
                if (plan.isQuantizedConv(i)) {
                    quantizeConvParameters(node, rewritten);
                }
                out.addNode(rewritten);
                node.getOutputList().forEach(this::quantizeActivation);
            }
            // The float weights and biases that were replaced are dropped, unless something else still reads them.
            Set<String> read = new HashSet<>();
            out.getNodeList().forEach(n -> read.addAll(n.getInputList()));
            List<TensorProto> kept = out.getInitializerList().stream()
                    .filter(t -> !replaced.contains(t.getName()) || read.contains(t.getName())).toList();
            List<ValueInfoProto> inputs = out.getInputList().stream()
                    .filter(v -> !replaced.contains(v.getName()) || read.contains(v.getName())).toList();
            out.clearInitializer().addAllInitializer(kept).addAllInitializer(initializers);
            out.clearInput().addAllInput(inputs);

            ModelProto.Builder result = model.proto().toBuilder().setGraph(out);
            if (plan.opsetBump()) {
                for (OperatorSetIdProto.Builder opset : result.getOpsetImportBuilderList()) {
                    if (opset.getDomain().isEmpty() || opset.getDomain().equals("ai.onnx")) {
                        opset.setVersion(QdqPlacement.MIN_OPSET);
                    }
                }
                // IR version 7 is the first that may import opset 13.
                result.setIrVersion(Math.max(result.getIrVersion(), 7));
            }
            return OnnxModel.of(result.build());
        }

        /** Adds Q→DQ after {@code tensor} when the plan quantizes it. */
        private void quantizeActivation(String tensor) {
            if (!plan.quantizedTensors().contains(tensor)) {
                return;
            }
            float scale = (float) (amax.get(tensor) / QMAX);
            activationScale.put(tensor, scale);
            String scaleName = initializer(scalar(name(tensor + "_scale"), scale));
            String zeroName = initializer(plan.format() == QdqFormat.ORT
                    ? uint8(name(tensor + "_zero_point"), UINT8_ZERO)
                    : int8(name(tensor + "_zero_point"), new long[0], new byte[1]));
            String quantized = name(tensor + "_quantized");
            String dq = name(tensor + "_dequantized");
            out.addNode(node("QuantizeLinear", name(tensor + "_QuantizeLinear"), List.of(tensor, scaleName, zeroName),
                    quantized, null));
            out.addNode(node("DequantizeLinear", name(tensor + "_DequantizeLinear"),
                    List.of(quantized, scaleName, zeroName), dq, null));
            dequantized.put(tensor, dq);
        }

        /** Per-channel INT8 weight and, in the ONNX Runtime layout, INT32 bias, each behind a DequantizeLinear. */
        private void quantizeConvParameters(NodeProto conv, NodeProto.Builder rewritten) {
            TensorProto weight = view.initializer(conv.getInput(1)).orElseThrow();
            float[] w = GraphView.floats(weight);
            int channels = (int) weight.getDims(0);
            int perChannel = w.length / channels;
            boolean int32Bias = plan.format() == QdqFormat.ORT && conv.getInputCount() > 2
                    && !conv.getInput(2).isEmpty();
            float[] b = int32Bias ? GraphView.floats(view.initializer(conv.getInput(2)).orElseThrow()) : null;
            float inputScale = activationScale.get(conv.getInput(0));

            Int8Encoding encoding = plan.encoding();
            int weightMax = encoding.weightMax();
            int offset = encoding.unsignedWeights() ? UINT8_ZERO & 0xff : 0;
            float[] scales = new float[channels];
            byte[] q = new byte[w.length];
            for (int c = 0; c < channels; c++) {
                float max = 0;
                for (int k = c * perChannel; k < (c + 1) * perChannel; k++) {
                    max = Math.max(max, Math.abs(w[k]));
                }
                float scale = Math.max(max / weightMax, ZERO_CHANNEL_SCALE);
                if (b != null) {
                    // A weight scale so small that bias / (input scale × weight scale) would overflow INT32 (an
                    // all-zero, pruned channel) is raised; half the range leaves room for float rounding.
                    scale = Math.max(scale, (float) (Math.abs(b[c]) / ((double) inputScale * BIAS_LIMIT)));
                }
                scales[c] = scale;
                for (int k = c * perChannel; k < (c + 1) * perChannel; k++) {
                    q[k] = (byte) (clamp(Math.rint(w[k] / scale), weightMax) + offset);
                }
            }
            String weightName = weight.getName();
            TensorProto.DataType weightType = encoding.unsignedWeights() ? TensorProto.DataType.UINT8
                    : TensorProto.DataType.INT8;
            byte[] zeroPoints = new byte[channels];
            if (encoding.unsignedWeights()) {
                Arrays.fill(zeroPoints, UINT8_ZERO);
            }
            rewritten.setInput(1, dequantize(weightName, tensor(name(weightName + "_quantized"), weightType,
                    dims(weight), q), scales, tensor(name(weightName + "_zero_point"), weightType,
                    new long[] {channels}, zeroPoints)));
            replaced.add(weightName);

            if (b != null) {
                String biasName = conv.getInput(2);
                float[] biasScales = new float[channels];
                int[] qb = new int[channels];
                for (int c = 0; c < channels; c++) {
                    biasScales[c] = inputScale * scales[c];
                    qb[c] = (int) clamp(Math.rint(b[c] / biasScales[c]), Integer.MAX_VALUE);
                }
                rewritten.setInput(2, dequantize(biasName, int32(name(biasName + "_quantized"), qb), biasScales,
                        int32(name(biasName + "_zero_point"), new int[channels])));
                replaced.add(biasName);
            }
        }

        /** A per-channel (axis 0) DequantizeLinear of {@code quantized}; returns its output. */
        private String dequantize(String base, TensorProto quantized, float[] scales, TensorProto zeroPoint) {
            String scaleName = initializer(floats(name(base + "_scale"), scales));
            String dq = name(base + "_dequantized");
            out.addNode(node("DequantizeLinear", name(base + "_DequantizeLinear"),
                    List.of(initializer(quantized), scaleName, initializer(zeroPoint)), dq,
                    AttributeProto.newBuilder().setName("axis").setType(AttributeProto.AttributeType.INT).setI(0)
                            .build()));
            return dq;
        }

        /** {@code wanted}, or {@code wanted_2}, {@code wanted_3}, ... when the model already uses that name. */
        private String name(String wanted) {
            String name = wanted;
            for (int n = 2; !taken.add(name); n++) {
                name = wanted + "_" + n;
            }
            return name;
        }

        private String initializer(TensorProto tensor) {
            initializers.add(tensor);
            return tensor.getName();
        }
    }

    private static double clamp(double value, int max) {
        return Math.max(-max, Math.min(max, value));
    }

    private static NodeProto node(String op, String name, List<String> inputs, String output, AttributeProto axis) {
        NodeProto.Builder node = NodeProto.newBuilder().setOpType(op).setName(name).addAllInput(inputs)
                .addOutput(output);
        if (axis != null) {
            node.addAttribute(axis);
        }
        return node.build();
    }

    private static long[] dims(TensorProto tensor) {
        return tensor.getDimsList().stream().mapToLong(Long::longValue).toArray();
    }

    private static TensorProto scalar(String name, float value) {
        return tensor(name, TensorProto.DataType.FLOAT, new long[0],
                ByteBuffer.allocate(Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).putFloat(0, value).array());
    }

    private static TensorProto floats(String name, float[] values) {
        return GraphView.floatTensor(name, new long[] {values.length}, values);
    }

    private static TensorProto int8(String name, long[] dims, byte[] values) {
        return tensor(name, TensorProto.DataType.INT8, dims, values);
    }

    private static TensorProto uint8(String name, byte zeroPoint) {
        return tensor(name, TensorProto.DataType.UINT8, new long[0], new byte[] {zeroPoint});
    }

    private static TensorProto int32(String name, int[] values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asIntBuffer().put(values);
        return tensor(name, TensorProto.DataType.INT32, new long[] {values.length}, raw.array());
    }

    private static TensorProto tensor(String name, TensorProto.DataType type, long[] dims, byte[] raw) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(raw));
        for (long dim : dims) {
            tensor.addDims(dim);
        }
        return tensor.build();
    }
}
