package io.github.yoloslim.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.onnx.DetectHeadDecode;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.train.OnnxOperators.Node;
import io.github.yoloslim.train.OnnxOperators.UnsupportedOperatorException;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collection;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * An ONNX graph run on libtorch with autograd: chosen FLOAT initializers become trainable parameters, every
 * other initializer and whatever is computed from initializers alone (shape arithmetic, anchor grids) is folded
 * into constants once, and the remaining nodes run as NDArray operations in topological order. A run computes
 * only the nodes the requested tensors depend on, so a caller that needs the Detect head's inputs skips the
 * decode. {@link #toOnnx} writes the trained parameters back into the original graph.
 *
 * <p>Not thread-safe: one run at a time.
 */
public final class TrainableGraph implements AutoCloseable {

    private final OnnxModel model;
    private final NDManager manager;
    private final String input;
    private final Map<String, NDArray> parameters;
    private final Map<String, NDArray> constants;
    private final List<Node> nodes;
    private final Map<String, Integer> producers = new HashMap<>();
    private final Map<List<String>, Plan> plans = new HashMap<>();
    private ChannelScales scales;

    /** The nodes one set of requested tensors needs, and how many of them read each tensor. */
    private record Plan(List<Node> nodes, Map<String, Integer> reads) {
    }

    private TrainableGraph(OnnxModel model, NDManager manager, String input, Map<String, NDArray> parameters,
            Map<String, NDArray> constants, List<Node> nodes) {
        this.model = model;
        this.manager = manager;
        this.input = input;
        this.parameters = parameters;
        this.constants = constants;
        this.nodes = nodes;
        for (int i = 0; i < nodes.size(); i++) {
            for (String output : nodes.get(i).proto().getOutputList()) {
                producers.put(output, i);
            }
        }
    }

    /**
     * The initializers that training changes by default: the FLOAT weights and biases of every Conv outside the
     * Detect head's decode (the decode's DFL Conv holds the fixed bin values 0…15, not learned weights).
     */
    public static Set<String> convParameters(OnnxModel model) {
        GraphView view = model.graphView();
        BitSet decode = DetectHeadDecode.nodes(view, DetectHeadDecode.activations(view));
        Set<String> trainable = new TreeSet<>();
        List<NodeProto> graphNodes = model.graph().getNodeList();
        for (int i = 0; i < graphNodes.size(); i++) {
            NodeProto node = graphNodes.get(i);
            if (!node.getOpType().equals("Conv") || decode.get(i)) {
                continue;
            }
            for (String name : node.getInputList().subList(1, node.getInputCount())) {
                view.initializer(name).filter(t -> t.getDataType() == TensorProto.DataType.FLOAT_VALUE)
                        .ifPresent(t -> trainable.add(name));
            }
        }
        return trainable;
    }

    /**
     * Loads {@code model}.
     *
     * @param trainable FLOAT initializers to train (gradients attached); the rest are constants. Empty for a
     *        fixed network such as a distillation teacher
     * @param parent the manager (and so the device) the graph's arrays live under; closing the graph frees them
     * @param parameter the setting the model came from ({@code <model>}), for messages
     * @throws InvalidInputException when the graph uses an operator or form the runtime lacks, or a listed
     *         initializer is not FLOAT
     */
    public static TrainableGraph load(OnnxModel model, Set<String> trainable, NDManager parent, String parameter) {
        GraphView view = model.graphView();
        String what = parameter + " " + model.source();
        checkSupported(model, what);
        if (view.realInputs().size() != 1) {
            throw new InvalidInputException(what + " has " + view.realInputs().size() + " inputs; the training "
                    + "runtime runs single-input detectors (one image tensor).");
        }
        NDManager manager = parent.newSubManager();
        try {
            Map<String, NDArray> parameters = new LinkedHashMap<>();
            Map<String, NDArray> constants = new HashMap<>();
            for (TensorProto initializer : view.initializers().values()) {
                boolean train = trainable.contains(initializer.getName());
                if (train && initializer.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
                    throw new InvalidInputException(what + ": initializer " + initializer.getName() + " is "
                            + TensorProto.DataType.forNumber(initializer.getDataType()) + ", only FLOAT ones train.");
                }
                NDArray array;
                try {
                    array = OnnxOperators.tensor(manager, initializer);
                } catch (IllegalArgumentException e) {
                    throw new InvalidInputException(what + ": initializer " + initializer.getName() + " "
                            + e.getMessage() + ", which the training runtime cannot read. Re-export the model "
                            + "with FLOAT weights stored in the file.");
                }
                if (train) {
                    array.setRequiresGradient(true);
                    parameters.put(initializer.getName(), array);
                } else {
                    constants.put(initializer.getName(), array);
                }
            }
            List<Node> runtime = new ArrayList<>();
            for (NodeProto proto : topologicalOrder(model.graph(), what)) {
                Node node = new Node(proto, model.opsetVersion(), manager);
                boolean constant = proto.getInputList().stream().allMatch(i -> i.isEmpty() || constants.containsKey(i));
                if (!constant) {
                    runtime.add(node);
                    continue;
                }
                NDArray[] outputs = execute(node, inputs(proto, constants::get), what);
                for (int o = 0; o < outputs.length; o++) {
                    constants.put(proto.getOutput(o), outputs[o]);
                }
            }
            return new TrainableGraph(model, manager, view.realInputs().get(0).getName(), parameters, constants,
                    runtime);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** Refuses the first node whose operator the runtime lacks, counting any others. */
    private static void checkSupported(OnnxModel model, String what) {
        List<NodeProto> unsupported = model.graph().getNodeList().stream()
                .filter(node -> !OnnxOperators.supports(node.getDomain(), node.getOpType())).toList();
        if (unsupported.isEmpty()) {
            return;
        }
        NodeProto first = unsupported.get(0);
        String op = first.getDomain().isEmpty() ? first.getOpType() : first.getDomain() + "." + first.getOpType();
        Set<String> others = unsupported.stream().map(NodeProto::getOpType).collect(Collectors.toCollection(
                TreeSet::new));
        others.remove(first.getOpType());
        String more = unsupported.size() == 1 ? "" : " (" + (unsupported.size() - 1) + " more unsupported nodes"
                + (others.isEmpty() ? "" : ", also " + String.join(", ", others)) + ")";
        throw new InvalidInputException(what + " uses operator " + op + " at node '" + name(first)
                + "', which the training runtime does not support" + more + ". Train the float model as Ultralytics "
                + "exports it (`yolo export format=onnx`, before any quantization), whose operators are all "
                + "supported: " + OnnxOperators.supported() + ".");
    }

    private static String name(NodeProto node) {
        return node.getName().isEmpty() ? node.getOutput(0) : node.getName();
    }

    /** The nodes so that each comes after the producers of its inputs (graph order where it already is so). */
    private static List<NodeProto> topologicalOrder(GraphProto graph, String what) {
        Set<String> available = new HashSet<>();
        graph.getInputList().forEach(i -> available.add(i.getName()));
        graph.getInitializerList().forEach(i -> available.add(i.getName()));
        List<NodeProto> ordered = new ArrayList<>();
        Deque<NodeProto> pending = new ArrayDeque<>(graph.getNodeList());
        int stalled = 0;
        while (!pending.isEmpty()) {
            NodeProto node = pending.poll();
            if (node.getInputList().stream().allMatch(i -> i.isEmpty() || available.contains(i))) {
                ordered.add(node);
                available.addAll(node.getOutputList());
                stalled = 0;
            } else if (++stalled > pending.size()) {
                throw new InvalidInputException(what + ": node '" + name(node) + "' reads a tensor that no node, "
                        + "input or initializer provides (or the graph has a cycle). Re-export the model.");
            } else {
                pending.add(node);
            }
        }
        return ordered;
    }

    /** The trainable parameters by initializer name, in graph order; their gradients fill on backward. */
    public Map<String, NDArray> parameters() {
        return Collections.unmodifiableMap(parameters);
    }

    /**
     * Puts trainable channel scales on the Convs of {@code scaling}'s groups (see {@link ChannelScaling}): from now
     * on every run uses {@code W·s} and {@code b·s}, and {@link #toOnnx} writes them folded.
     *
     * @return the scales by group name, each of the group's size, starting at 1, gradients attached
     * @throws IllegalStateException when the graph is scaled already
     */
    public Map<String, NDArray> scaleChannels(ChannelScaling scaling) {
        if (scales != null) {
            throw new IllegalStateException("the channels of " + model.source() + " are scaled already");
        }
        scales = new ChannelScales(scaling, name -> {
            NDArray value = parameters.get(name);
            return value != null ? value : constants.get(name);
        }, manager);
        return scales.factors();
    }

    /**
     * Sets every channel scale whose magnitude is below {@code threshold} to exactly zero, so that the written model
     * has all-zero weights in those channels.
     *
     * @throws IllegalStateException when the channels are not scaled
     */
    public void zeroScalesBelow(float threshold) {
        if (scales == null) {
            throw new IllegalStateException("the channels of " + model.source() + " are not scaled");
        }
        scales.zeroBelow(threshold);
    }

    /**
     * Sets every channel scale to exactly one, so that the written model has the weights as they were loaded, or as
     * trained when they were.
     *
     * @throws IllegalStateException when the channels are not scaled
     */
    public void resetScales() {
        if (scales == null) {
            throw new IllegalStateException("the channels of " + model.source() + " are not scaled");
        }
        scales.reset();
    }

    /** The model this graph was loaded from. */
    public OnnxModel model() {
        return model;
    }

    /** The image input's name. */
    public String inputName() {
        return input;
    }

    /**
     * Runs the graph on {@code images} and returns the requested tensors. Every array the run creates belongs
     * to {@code runManager}; closing it frees the run (and, after a backward pass, its autograd graph).
     *
     * @param tensors names of graph tensors (outputs or intermediates) to return
     * @throws IllegalArgumentException for a name the graph does not compute
     */
    public Map<String, NDArray> run(NDManager runManager, NDArray images, Collection<String> tensors) {
        Plan plan = plans.computeIfAbsent(List.copyOf(tensors), this::plan);
        Map<String, NDArray> values = new HashMap<>();
        if (scales != null) {
            scales.scaledInitializers(runManager).forEach(values::put);
        }
        values.put(input, images);
        Set<String> requested = new HashSet<>(tensors);
        Map<String, Integer> remaining = new HashMap<>(plan.reads());
        String what = model.source();
        for (Node node : plan.nodes()) {
            NodeProto proto = node.proto();
            NDArray[] inputs = inputs(proto, name -> lookup(values, name));
            NDArray[] outputs = execute(node, inputs, what);
            for (int o = 0; o < outputs.length; o++) {
                NDArray output = outputs[o];
                // An operator may hand back its input unchanged (Identity, a no-op Cast): give it its own handle
                // so that releasing the input later does not free the output.
                if (Arrays.asList(inputs).contains(output)) {
                    output = output.reshape(output.getShape());
                }
                output.attach(runManager);
                values.put(proto.getOutput(o), output);
            }
            for (String name : proto.getInputList()) {
                if (!name.isEmpty() && remaining.merge(name, -1, Integer::sum) == 0 && !requested.contains(name)
                        && !name.equals(input)) {
                    NDArray released = values.remove(name);
                    if (released != null) {
                        released.close();
                    }
                }
            }
        }
        Map<String, NDArray> result = new LinkedHashMap<>();
        for (String tensor : tensors) {
            NDArray value = lookup(values, tensor);
            result.put(tensor, value);
        }
        return result;
    }

    private NDArray lookup(Map<String, NDArray> values, String name) {
        NDArray value = values.get(name);
        if (value == null) {
            value = parameters.get(name);
        }
        if (value == null) {
            value = constants.get(name);
        }
        return value;
    }

    private Plan plan(List<String> tensors) {
        BitSet needed = new BitSet();
        Deque<String> pending = new ArrayDeque<>(tensors);
        Set<String> seen = new HashSet<>();
        while (!pending.isEmpty()) {
            String tensor = pending.pop();
            if (!seen.add(tensor)) {
                continue;
            }
            Integer producer = producers.get(tensor);
            if (producer != null) {
                needed.set(producer);
                pending.addAll(nodes.get(producer).proto().getInputList());
            } else if (!tensor.isEmpty() && !tensor.equals(input) && !parameters.containsKey(tensor)
                    && !constants.containsKey(tensor)) {
                throw new IllegalArgumentException(model.source() + " has no tensor called '" + tensor + "'");
            }
        }
        List<Node> planned = needed.stream().mapToObj(nodes::get).toList();
        Map<String, Integer> reads = new HashMap<>();
        for (Node node : planned) {
            node.proto().getInputList().forEach(name -> reads.merge(name, 1, Integer::sum));
        }
        return new Plan(planned, reads);
    }

    private static NDArray[] inputs(NodeProto node, Function<String, NDArray> lookup) {
        NDArray[] inputs = new NDArray[node.getInputCount()];
        for (int i = 0; i < inputs.length; i++) {
            String name = node.getInput(i);
            inputs[i] = name.isEmpty() ? null : lookup.apply(name);
        }
        return inputs;
    }

    private static NDArray[] execute(Node node, NDArray[] inputs, String what) {
        try {
            return OnnxOperators.apply(node, inputs);
        } catch (UnsupportedOperatorException e) {
            throw new InvalidInputException(what + " uses " + e.getMessage() + " at node '" + e.node + "' ("
                    + e.opType + "), which the training runtime does not support. Train the float model as "
                    + "Ultralytics exports it (`yolo export format=onnx`).");
        } catch (RuntimeException e) {
            String shapes = Arrays.stream(inputs).map(a -> a == null ? "none" : a.getShape().toString())
                    .collect(Collectors.joining(", "));
            throw new IllegalStateException(what + ": node '" + node.name() + "' (" + node.proto().getOpType()
                    + ") failed on inputs " + shapes + ": " + e.getMessage(), e);
        }
    }

    /**
     * The model with the parameters' current values written into their initializers (same names, element type
     * and dims), channel scales folded into their Convs; every other part of the model is unchanged.
     */
    public OnnxModel toOnnx() {
        GraphProto.Builder graph = model.graph().toBuilder();
        try (NDManager folding = manager.newSubManager()) {
            Map<String, NDArray> folded = scales == null ? Map.of() : scales.scaledInitializers(folding);
            for (int i = 0; i < graph.getInitializerCount(); i++) {
                TensorProto initializer = graph.getInitializer(i);
                NDArray value = folded.get(initializer.getName());
                if (value == null) {
                    value = parameters.get(initializer.getName());
                }
                if (value == null) {
                    continue;
                }
                float[] values = value.toFloatArray();
                ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                raw.asFloatBuffer().put(values);
                graph.setInitializer(i, initializer.toBuilder().clearFloatData()
                        .setRawData(ByteString.copyFrom(raw.array())));
            }
        }
        return OnnxModel.of(model.proto().toBuilder().setGraph(graph).build());
    }

    @Override
    public void close() {
        manager.close();
    }
}
