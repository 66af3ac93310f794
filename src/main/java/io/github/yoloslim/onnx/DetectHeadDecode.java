package io.github.yoloslim.onnx;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Finds a YOLOv8 graph's float activations and its Detect head's decode from the graph's structure, not node
 * names, so that it holds for any YOLOv8 size and exporter version.
 *
 * <p>YOLOv8's backbone, neck and head branches are convolutional and never reshape; the decode begins where each
 * scale's box and class maps are flattened to {@code [batch, channels, anchors]}. So the decode is every node
 * downstream of a Reshape/Flatten of an activation (the concatenation of the three scales, DFL
 * Reshape/Transpose/Softmax and its fixed 16→1 Conv, the anchor arithmetic, the class Sigmoid, the final Concat of
 * boxes and scores), plus any non-Conv node whose outputs feed only the decode (e.g. a per-scale Concat of box and
 * class maps in older exports). The head's last box/class Convs are not part of it.
 */
public final class DetectHeadDecode {

    /** Where the decode begins. */
    private static final Set<String> FLATTENING = Set.of("Reshape", "Flatten");
    /** Operators that turn an activation into integers (shapes). */
    private static final Set<String> TO_INTEGERS = Set.of("Shape", "Size");

    private DetectHeadDecode() {
    }

    /**
     * The float activations: the graph's inputs and everything computed from them, except shape arithmetic
     * (the outputs of Shape/Size and what is computed from those alone). Weights and constants are not included.
     */
    public static Set<String> activations(GraphView view) {
        Set<String> activations = new HashSet<>();
        for (ValueInfoProto input : view.realInputs()) {
            int type = input.getType().getTensorType().getElemType();
            if (type == TensorProto.DataType.FLOAT_VALUE || type == TensorProto.DataType.UNDEFINED_VALUE) {
                activations.add(input.getName());
            }
        }
        for (NodeProto node : view.graph().getNodeList()) {
            if (!TO_INTEGERS.contains(node.getOpType())
                    && node.getInputList().stream().anyMatch(activations::contains)) {
                activations.addAll(node.getOutputList());
            }
        }
        return activations;
    }

    /** The indices, in graph order, of the decode's nodes (see the class comment); empty when nothing flattens. */
    public static BitSet nodes(GraphView view, Set<String> activations) {
        List<NodeProto> nodes = view.graph().getNodeList();
        BitSet decode = new BitSet();
        Set<String> decodeTensors = new HashSet<>();
        Map<NodeProto, Integer> index = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto node = nodes.get(i);
            index.put(node, i);
            boolean flattensActivation = FLATTENING.contains(node.getOpType()) && node.getInputCount() > 0
                    && activations.contains(node.getInput(0));
            if (flattensActivation || node.getInputList().stream().anyMatch(decodeTensors::contains)) {
                decode.set(i);
                decodeTensors.addAll(node.getOutputList());
            }
        }
        Set<String> graphOutputs = view.graph().getOutputList().stream().map(ValueInfoProto::getName)
                .collect(Collectors.toSet());
        // Backwards, so that a node's consumers are settled before the node.
        for (int i = nodes.size() - 1; i >= 0; i--) {
            NodeProto node = nodes.get(i);
            if (decode.get(i) || node.getOpType().equals("Conv") || node.getOutputCount() == 0) {
                continue;
            }
            boolean feedsOnlyDecode = node.getOutputList().stream().allMatch(output -> !graphOutputs.contains(output)
                    && !view.consumers(output).isEmpty()
                    && view.consumers(output).stream().allMatch(consumer -> decode.get(index.get(consumer))));
            if (feedsOnlyDecode) {
                decode.set(i);
            }
        }
        return decode;
    }
}
