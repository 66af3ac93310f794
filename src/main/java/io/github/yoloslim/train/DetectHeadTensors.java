package io.github.yoloslim.train;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.onnx.DetectHeadDecode;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * The tensors of a YOLOv8 Detect head that distillation compares, per scale (stride 8, 16, 32 in that order):
 * the feature map both branches read, the box branch's DFL logits ({@code 4 · regMax} channels) and the class
 * branch's logits, the last two before the decode flattens them. Found from the graph's structure (see
 * {@link DetectHeadDecode}), so names and the number of scales may differ between exports.
 *
 * @param regMax the DFL bins per box side (16 in Ultralytics)
 */
public record DetectHeadTensors(List<Scale> scales, int regMax) {

    /**
     * One scale of the head.
     *
     * @param featureChannels channels of {@code feature} (differ between a pruned student and its teacher)
     */
    public record Scale(String feature, String box, String classes, long featureChannels, long classChannels) {
    }

    public DetectHeadTensors {
        scales = List.copyOf(scales);
    }

    /** Every tensor listed, feature, box and classes per scale, for a graph run. */
    public List<String> all() {
        return scales.stream().flatMap(s -> Stream.of(s.feature(), s.box(), s.classes())).toList();
    }

    /**
     * Locates the head of {@code model}.
     *
     * @param parameter the setting the model came from, for messages
     * @throws InvalidInputException when the graph has no YOLOv8 Detect head with a DFL decode
     */
    public static DetectHeadTensors locate(OnnxModel model, String parameter) {
        GraphView view = model.graphView();
        List<NodeProto> nodes = model.graph().getNodeList();
        BitSet decode = DetectHeadDecode.nodes(view, DetectHeadDecode.activations(view));
        String what = parameter + " " + model.source();
        int regMax = 0;
        for (int i = decode.nextSetBit(0); i >= 0; i = decode.nextSetBit(i + 1)) {
            if (nodes.get(i).getOpType().equals("Conv")) {
                regMax = Math.toIntExact(weightDims(view, nodes.get(i)).map(d -> d[1]).orElse(0L));
            }
        }
        if (regMax == 0) {
            throw new InvalidInputException(what + " has no YOLOv8 Detect head with a DFL decode (a fixed 1×1 Conv "
                    + "over the box bins after a Softmax); distillation compares the head's box distributions and "
                    + "class scores. Use a YOLOv8 detection export.");
        }
        Set<String> roots = new LinkedHashSet<>();
        Map<String, String> boxOf = new LinkedHashMap<>();
        Map<String, String> classesOf = new LinkedHashMap<>();
        Map<String, Long> classChannels = new LinkedHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto node = nodes.get(i);
            boolean feedsDecode = node.getOpType().equals("Conv") && !decode.get(i)
                    && view.consumers(node.getOutput(0)).stream().anyMatch(c -> decode.get(nodes.indexOf(c)));
            if (!feedsDecode) {
                continue;
            }
            long channels = weightDims(view, node).map(d -> d[0]).orElse(0L);
            String root = branchRoot(view, node.getOutput(0));
            roots.add(root);
            if (channels == 4L * regMax) {
                boxOf.put(root, node.getOutput(0));
            } else {
                classesOf.put(root, node.getOutput(0));
                classChannels.put(root, channels);
            }
        }
        List<Scale> scales = new ArrayList<>();
        List<String> ordered = roots.stream()
                .sorted(Comparator.comparingInt(root -> view.producer(root).map(nodes::indexOf).orElse(-1))).toList();
        for (String root : ordered) {
            if (!boxOf.containsKey(root) || !classesOf.containsKey(root)) {
                throw new InvalidInputException(what + ": the Detect head branch reading " + root
                        + " lacks its box or class output. Use a YOLOv8 detection export.");
            }
            scales.add(new Scale(root, boxOf.get(root), classesOf.get(root), channelsOf(view, root),
                    classChannels.get(root)));
        }
        if (scales.isEmpty()) {
            throw new InvalidInputException(what + " has a DFL decode but no Convs feeding it. Use a YOLOv8 "
                    + "detection export.");
        }
        return new DetectHeadTensors(scales, regMax);
    }

    /**
     * Walks up a head branch (Conv → SiLU → Conv → …) to the feature map it starts from: the first tensor that
     * more than one Conv reads (the box branch, the class branch, and the next stage of the neck).
     */
    private static String branchRoot(GraphView view, String tensor) {
        String current = tensor;
        while (true) {
            NodeProto producer = view.producer(current).orElse(null);
            if (producer == null) {
                return current;
            }
            String previous = switch (producer.getOpType()) {
                case "Conv", "Sigmoid", "Relu" -> producer.getInput(0);
                // SiLU is x · sigmoid(x): continue at x.
                case "Mul" -> view.producer(producer.getInput(1)).filter(p -> p.getOpType().equals("Sigmoid"))
                        .map(p -> producer.getInput(0)).orElse(null);
                default -> null;
            };
            if (previous == null) {
                return current;
            }
            long convReaders = view.consumers(previous).stream().filter(n -> n.getOpType().equals("Conv")).count();
            if (convReaders > 1) {
                return previous;
            }
            current = previous;
        }
    }

    private static Optional<long[]> weightDims(GraphView view, NodeProto conv) {
        return view.initializer(conv.getInput(1)).map(TensorProto::getDimsList)
                .map(dims -> dims.stream().mapToLong(Long::longValue).toArray());
    }

    /** A feature map's channels: the output channels of the Conv that ends the block producing it. */
    private static long channelsOf(GraphView view, String tensor) {
        for (NodeProto reader : view.consumers(tensor)) {
            if (reader.getOpType().equals("Conv")) {
                Optional<long[]> dims = weightDims(view, reader);
                if (dims.isPresent()) {
                    long group = reader.getAttributeList().stream().filter(a -> a.getName().equals("group"))
                            .mapToLong(a -> a.getI()).findFirst().orElse(1);
                    return dims.get()[1] * group;
                }
            }
        }
        return 0;
    }
}
