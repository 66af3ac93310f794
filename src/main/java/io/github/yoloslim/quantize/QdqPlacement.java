package io.github.yoloslim.quantize;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.onnx.DetectHeadDecode;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.OperatorSemantics;
import io.github.yoloslim.onnx.OperatorSemantics.Scales;
import io.github.yoloslim.onnx.UnionFind;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * Decides, for one float YOLOv8 model, which tensors get a QuantizeLinear→DequantizeLinear pair, which Conv
 * weights become per-channel INT8, and which activations must therefore be calibrated. The plan is pure graph
 * analysis; {@link QdqQuantizer} writes the model from it once the activations' ranges are known.
 *
 * <h2>Rules</h2>
 * What each operator is to the placement comes from {@link OperatorSemantics#scales()}.
 * <ul>
 *   <li><b>Conv</b>: the activation input of every Conv in the quantized part gets a Q/DQ pair and its weight is
 *       quantized per output channel (axis 0), symmetric INT8. In the {@link QdqFormat#TENSORRT TensorRT} layout
 *       the bias stays float (TensorRT folds it into the INT8 kernel itself).</li>
 *   <li><b>Residual Add</b>: an Add whose two inputs are both activations gets a Q/DQ pair on <em>both</em>
 *       inputs, the skip branch and the convolution branch, as NVIDIA's own YOLO QAT recipes do
 *       ({@code QuantAdd} in yolo_deepstream): with both inputs INT8 TensorRT fuses the add into the producing
 *       convolution's kernel instead of running it in float.</li>
 *   <li><b>Scale groups</b>: the inputs and the output of a Concat share one scale, so the concatenation needs
 *       no requantization; MaxPool, Resize, Split, Slice, Reshape, Transpose, Flatten, Squeeze, Unsqueeze and
 *       Identity pass their input's scale to their outputs. Tensors linked this way form a group (union-find);
 *       every member is quantized with the group's amax, the largest of its members' ({@link #groupAmax}).</li>
 *   <li><b>Head decode in float</b>: the Detect head's decode, as {@link DetectHeadDecode} finds it from the
 *       graph's structure (everything from where each scale's box and class maps are flattened: DFL, anchor
 *       arithmetic, class Sigmoid, final Concat), stays float; the head's last box/class Convs keep INT8 inputs
 *       and weights, and their outputs stay float.</li>
 *   <li><b>Exclusions</b>: nodes named in {@code excludeNodes} or of a type in {@code excludeOpTypes} run in
 *       float: no Q/DQ on their inputs, float weights, and they break scale groups.</li>
 *   <li><b>ONNX Runtime layout</b> ({@link QdqFormat#ORT}): additionally every activation read by the quantized
 *       part gets a Q/DQ pair (Conv outputs, SiLU's Sigmoid and Mul, Split, Concat, MaxPool, Resize), and Conv
 *       biases are INT32 with scale {@code input scale × weight scale}. ONNX Runtime then fuses every DQ→op→Q
 *       into an INT8 kernel (QLinearConv, QLinearSigmoid, QLinearMul, QLinearAdd, QLinearConcat) and runs
 *       MaxPool, Resize and Split directly on 8-bit data. Quantizing SiLU too measured faster than leaving it in
 *       float between the Convs (about 10% on yolov8n), and was no less accurate on 80 COCO images.</li>
 * </ul>
 * Activations are symmetric per tensor: scale = amax / 127, zero point 0 (INT8; in the ONNX Runtime layout the
 * same grid as UINT8 with zero point 128, see {@link QdqQuantizer}). Instances are immutable.
 */
public final class QdqPlacement {

    /** A node the plan keeps in float, and why. */
    public record FloatNode(String name, String opType, String reason) {
    }

    /** Per-axis DequantizeLinear (per-channel weights) needs opset 13. */
    static final int MIN_OPSET = 13;

    private final QdqFormat format;
    private final Int8Encoding encoding;
    private final List<NodeProto> nodes;
    private final Map<Integer, SortedSet<Integer>> quantizedInputs;
    private final BitSet quantizedConvs;
    private final SortedSet<String> quantizedTensors;
    private final SortedSet<String> calibratedTensors;
    private final Map<String, String> groupOf;
    private final List<FloatNode> floatNodes;
    private final List<String> notes;
    private final boolean opsetBump;

    private QdqPlacement(QdqFormat format, Int8Encoding encoding, List<NodeProto> nodes, Map<Integer, SortedSet<Integer>> quantizedInputs,
            BitSet quantizedConvs, SortedSet<String> quantizedTensors, SortedSet<String> calibratedTensors,
            Map<String, String> groupOf, List<FloatNode> floatNodes,
            List<String> notes, boolean opsetBump) {
        this.format = format;
        this.encoding = encoding;
        this.nodes = nodes;
        this.quantizedInputs = quantizedInputs;
        this.quantizedConvs = quantizedConvs;
        this.quantizedTensors = Collections.unmodifiableSortedSet(quantizedTensors);
        this.calibratedTensors = Collections.unmodifiableSortedSet(calibratedTensors);
        this.groupOf = Collections.unmodifiableMap(groupOf);
        this.floatNodes = List.copyOf(floatNodes);
        this.notes = List.copyOf(notes);
        this.opsetBump = opsetBump;
    }

    /**
     * Plans the quantization of {@code model}.
     *
     * @throws InvalidInputException when the model is quantized already, its opset is too old to carry per-channel
     *     weights, or an exclusion names something the model does not have
     */
    public static QdqPlacement plan(OnnxModel model, QdqOptions options) {
        List<NodeProto> nodes = model.graph().getNodeList();
        refuseQuantized(model, "<model>", "give the float model (the plain `yolo export format=onnx` export)");
        boolean opsetBump = checkOpset(model, nodes);
        checkExclusions(model, nodes, options);
        GraphView view = model.graphView();
        Set<String> features = DetectHeadDecode.activations(view);
        BitSet decode = DetectHeadDecode.nodes(view, features);

        String[] floatReason = new String[nodes.size()];
        BitSet region = new BitSet();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto node = nodes.get(i);
            if (decode.get(i)) {
                floatReason[i] = "head decode";
            } else if (options.excludeNodes().contains(node.getName())) {
                floatReason[i] = "excludeNodes";
            } else if (options.excludeOpTypes().contains(node.getOpType())) {
                floatReason[i] = "excludeOpTypes";
            } else {
                region.set(i);
            }
        }

        BitSet convs = new BitSet();
        for (int i = region.nextSetBit(0); i >= 0; i = region.nextSetBit(i + 1)) {
            NodeProto node = nodes.get(i);
            if (scales(node) == Scales.INT8_WEIGHTS) {
                if (node.getInputCount() >= 2 && features.contains(node.getInput(0))
                        && isFloatInitializer(view, node.getInput(1))
                        && (node.getInputCount() < 3 || node.getInput(2).isEmpty()
                                || isFloatInitializer(view, node.getInput(2)))) {
                    convs.set(i);
                } else {
                    region.clear(i);
                    floatReason[i] = "its input is not an activation or its weight/bias is not a float initializer";
                }
            }
        }
        List<FloatNode> floatNodes = new ArrayList<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (floatReason[i] != null) {
                floatNodes.add(new FloatNode(nodes.get(i).getName(), nodes.get(i).getOpType(), floatReason[i]));
            }
        }

        Map<Integer, SortedSet<Integer>> edges = new TreeMap<>();
        int residualAdds = 0;
        for (int i = region.nextSetBit(0); i >= 0; i = region.nextSetBit(i + 1)) {
            NodeProto node = nodes.get(i);
            boolean residualAdd = scales(node) == Scales.INT8_OPERANDS && node.getInputCount() == 2
                    && features.contains(node.getInput(0)) && features.contains(node.getInput(1));
            residualAdds += residualAdd ? 1 : 0;
            for (int j = 0; j < node.getInputCount(); j++) {
                String input = node.getInput(j);
                if (!features.contains(input)) {
                    continue;
                }
                boolean quantize = switch (options.format()) {
                    case TENSORRT -> (convs.get(i) && j == 0) || residualAdd;
                    case ORT -> true;
                };
                if (quantize) {
                    edges.computeIfAbsent(i, k -> new TreeSet<>()).add(j);
                }
            }
        }

        Map<String, Integer> order = tensorOrder(model, nodes);
        UnionFind<String> groups = new UnionFind<>();
        SortedSet<String> readActivations = new TreeSet<>();
        for (int i = region.nextSetBit(0); i >= 0; i = region.nextSetBit(i + 1)) {
            NodeProto node = nodes.get(i);
            node.getInputList().stream().filter(features::contains).forEach(readActivations::add);
            if (scales(node) == Scales.SHARED) {
                for (String input : node.getInputList()) {
                    if (features.contains(input)) {
                        groups.union(input, node.getOutput(0));
                    }
                }
            } else if (scales(node) == Scales.PASS_THROUGH && features.contains(node.getInput(0))) {
                node.getOutputList().forEach(output -> groups.union(node.getInput(0), output));
            }
        }
        SortedSet<String> quantizedTensors = new TreeSet<>();
        edges.forEach((i, inputs) -> inputs.forEach(j -> quantizedTensors.add(nodes.get(i).getInput(j))));

        Map<String, String> groupOf = new TreeMap<>();
        for (List<String> group : groups.classes(readActivations).values()) {
            String name = group.stream().min((a, b) -> Integer.compare(order.get(a), order.get(b))).orElseThrow();
            group.forEach(tensor -> groupOf.put(tensor, name));
        }
        Set<String> quantizedGroups = quantizedTensors.stream().map(groupOf::get).collect(Collectors.toSet());
        SortedSet<String> calibrated = new TreeSet<>(quantizedTensors);
        groupOf.forEach((tensor, group) -> {
            if (quantizedGroups.contains(group)) {
                calibrated.add(tensor);
            }
        });

        List<String> notes = notes(options.format(), options.encoding(), nodes, convs, quantizedTensors, calibrated, groupOf, floatNodes,
                residualAdds, opsetBump, model.opsetVersion());
        return new QdqPlacement(options.format(), options.encoding(), nodes, edges, convs, quantizedTensors, calibrated, groupOf,
                floatNodes, notes, opsetBump);
    }

    /** The quantization operators in {@code model} by type, e.g. {@code {QuantizeLinear=64, ...}}; empty for a float model. */
    public static Map<String, Integer> quantizationNodes(OnnxModel model) {
        Map<String, Integer> counts = new TreeMap<>();
        for (NodeProto node : model.graph().getNodeList()) {
            if (scales(node) == Scales.QUANTIZATION) {
                counts.merge(node.getOpType(), 1, Integer::sum);
            }
        }
        return counts;
    }

    /**
     * Refuses a model that holds quantization operators, which the float-model stages cannot handle.
     *
     * @param parameter the setting the model came from, e.g. {@code <model>}
     * @param fix what to give instead, for the message
     */
    public static void refuseQuantized(OnnxModel model, String parameter, String fix) {
        Map<String, Integer> counts = quantizationNodes(model);
        if (!counts.isEmpty()) {
            String found = counts.entrySet().stream().map(e -> e.getValue() + " " + e.getKey())
                    .collect(Collectors.joining(", "));
            throw new InvalidInputException(parameter + " " + model.source() + " is already quantized (" + found
                    + " nodes); " + fix + ".");
        }
    }

    /** Whether the opset must be raised to 13; refuses when that would change what some node computes. */
    private static boolean checkOpset(OnnxModel model, List<NodeProto> nodes) {
        long opset = model.opsetVersion();
        if (opset >= MIN_OPSET) {
            return false;
        }
        Set<String> changed = nodes.stream().map(NodeProto::getOpType)
                .filter(op -> OperatorSemantics.of(op).changedInOpset13())
                .collect(Collectors.toCollection(TreeSet::new));
        if (opset < 11 || !changed.isEmpty()) {
            throw new InvalidInputException("<model> " + model.source() + " uses ONNX opset " + opset
                    + "; per-channel INT8 weights need opset " + MIN_OPSET + (changed.isEmpty()
                            ? ", and opsets before 11 differ too much to upgrade in place"
                            : ", and its " + String.join(", ", changed) + " nodes changed meaning in opset 13")
                    + ". Re-export the model with a newer opset (`yolo export format=onnx opset=17`).");
        }
        return true;
    }

    private static void checkExclusions(OnnxModel model, List<NodeProto> nodes, QdqOptions options) {
        Set<String> names = nodes.stream().map(NodeProto::getName).collect(Collectors.toSet());
        Set<String> types = nodes.stream().map(NodeProto::getOpType).collect(Collectors.toCollection(TreeSet::new));
        SortedSet<String> unknownNodes = new TreeSet<>(options.excludeNodes());
        unknownNodes.removeAll(names);
        if (!unknownNodes.isEmpty()) {
            throw new InvalidInputException("<excludeNodes> names " + unknownNodes + ", which <model> "
                    + model.source() + " has no node called. Use node names as the ONNX file spells them (e.g. "
                    + nodes.get(0).getName() + ").");
        }
        SortedSet<String> unknownTypes = new TreeSet<>(options.excludeOpTypes());
        unknownTypes.removeAll(types);
        if (!unknownTypes.isEmpty()) {
            throw new InvalidInputException("<excludeOpTypes> names " + unknownTypes + ", which no node of <model> "
                    + model.source() + " has. Its operator types are " + types + " (case matters).");
        }
    }

    private static Scales scales(NodeProto node) {
        return OperatorSemantics.of(node.getOpType()).scales();
    }

    private static boolean isFloatInitializer(GraphView view, String name) {
        return view.initializer(name).filter(t -> t.getDataType() == TensorProto.DataType.FLOAT_VALUE
                && t.getDataLocation() != TensorProto.DataLocation.EXTERNAL).isPresent();
    }

    /** Graph inputs first, then node outputs in graph order: the order that names a group by its first member. */
    private static Map<String, Integer> tensorOrder(OnnxModel model, List<NodeProto> nodes) {
        Map<String, Integer> order = new HashMap<>();
        model.graph().getInputList().forEach(input -> order.putIfAbsent(input.getName(), order.size()));
        nodes.forEach(node -> node.getOutputList().forEach(output -> order.putIfAbsent(output, order.size())));
        return order;
    }

    private static List<String> notes(QdqFormat format, Int8Encoding encoding, List<NodeProto> nodes, BitSet convs,
            Set<String> quantizedTensors, Set<String> calibrated, Map<String, String> groupOf,
            List<FloatNode> floatNodes, int residualAdds, boolean opsetBump, long opset) {
        long allConvs = nodes.stream().filter(n -> n.getOpType().equals("Conv")).count();
        long groups = calibrated.stream().map(groupOf::get).distinct().count();
        List<String> notes = new ArrayList<>();
        notes.add(format + " layout, " + encoding.id() + ": " + convs.cardinality() + " of " + allConvs
                + " Convs with per-channel 8-bit weights, Q/DQ on " + quantizedTensors.size() + " activations; " + calibrated.size()
                + " activations calibrated in " + groups + " scale groups");
        if (residualAdds > 0) {
            notes.add(residualAdds + " residual Adds: Q/DQ on both inputs (skip and branch)");
        }
        Map<String, List<FloatNode>> byReason = new LinkedHashMap<>();
        floatNodes.forEach(node -> byReason.computeIfAbsent(node.reason(), k -> new ArrayList<>()).add(node));
        byReason.forEach((reason, list) -> notes.add("kept in float (" + reason + "): " + list.size() + " nodes ("
                + list.stream().collect(Collectors.groupingBy(FloatNode::opType, TreeMap::new, Collectors.counting()))
                        .entrySet().stream().map(e -> e.getValue() + " " + e.getKey())
                        .collect(Collectors.joining(", ")) + ")"));
        if (byReason.get("head decode") == null) {
            notes.add("no head decode found (no Reshape/Flatten of an activation): nothing kept in float for it");
        }
        if (opsetBump) {
            notes.add("opset " + opset + " raised to " + MIN_OPSET + " for per-channel DequantizeLinear");
        }
        return notes;
    }

    /** The layout. */
    public QdqFormat format() {
        return format;
    }

    /** How the quantized activations and weights are stored. */
    public Int8Encoding encoding() {
        return encoding;
    }

    /**
     * The activations whose amax the quantizer needs: those that get a Q/DQ pair, and the other members of their
     * scale groups (a group's scale is the largest amax of its members). Sorted.
     */
    public SortedSet<String> calibratedTensors() {
        return calibratedTensors;
    }

    /** The activations that get a Q/DQ pair. Sorted. */
    public SortedSet<String> quantizedTensors() {
        return quantizedTensors;
    }

    /**
     * The scale group of every activation the quantized part of the model reads: the name of the group's first
     * member in graph order. A tensor that shares its scale with no other is its own group.
     */
    public Map<String, String> groupOf() {
        return groupOf;
    }

    /**
     * The amax each tensor is quantized with: for every tensor of {@code measured}, the largest measured amax in
     * its scale group. Sorted by tensor name; use it for the quantized model and the calibration cache alike.
     */
    public Map<String, Double> groupAmax(Map<String, Double> measured) {
        Map<String, Double> groupMax = new HashMap<>();
        measured.forEach((tensor, amax) -> groupMax.merge(groupOf.getOrDefault(tensor, tensor), amax, Math::max));
        Map<String, Double> result = new TreeMap<>();
        measured.keySet().forEach(tensor -> result.put(tensor, groupMax.get(groupOf.getOrDefault(tensor, tensor))));
        return result;
    }

    /** The names of the Convs whose weights become per-channel INT8, in graph order. */
    public List<String> quantizedConvs() {
        return quantizedConvs.stream().mapToObj(i -> nodes.get(i).getName()).toList();
    }

    /** The nodes kept in float on purpose (head decode, exclusions, Convs that cannot be quantized), in graph order. */
    public List<FloatNode> floatNodes() {
        return floatNodes;
    }

    /** What was quantized and what was kept in float, one line each, for the build log. */
    public List<String> notes() {
        return notes;
    }

    List<NodeProto> nodes() {
        return nodes;
    }

    /** The inputs of node {@code index} that read the dequantized tensor instead of the float one. */
    SortedSet<Integer> quantizedInputs(int index) {
        return quantizedInputs.getOrDefault(index, Collections.emptySortedSet());
    }

    boolean isQuantizedConv(int index) {
        return quantizedConvs.get(index);
    }

    boolean opsetBump() {
        return opsetBump;
    }
}
