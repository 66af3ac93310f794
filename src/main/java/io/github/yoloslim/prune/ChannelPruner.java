package io.github.yoloslim.prune;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.OperatorSemantics;
import io.github.yoloslim.onnx.OperatorSemantics.ChannelCondition;
import io.github.yoloslim.onnx.OperatorSemantics.Channels;
import io.github.yoloslim.onnx.OperatorSemantics.Constant;
import io.github.yoloslim.prune.ChannelDependencyAnalysis.Piece;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.IntStream;

/**
 * Removes chosen channels of a {@link ChannelDependencyAnalysis}'s groups from the model: each member Conv loses
 * those output channels (weight rows, bias, and the parameters of a BatchNormalization on them), every Conv that
 * read them loses those input channels (weight columns), Split sizes follow, and declared shapes of the changed
 * activations are rewritten. The input model is not modified; the same inputs give the same bytes.
 *
 * <h2>Bias absorption</h2>
 * A removed input channel {@code c} of a consumer Conv is not simply dropped: its expected value {@code v_c} times
 * the consumer's kernel goes into the consumer's bias, {@code bias[o] += v_c · Σ_{kh,kw} W[o, c, kh, kw]} (network
 * slimming's β absorption; a Conv without bias gets one). {@code v_c} is, in this order:
 * <ol>
 *   <li>the caller's measured mean of that channel of the consumer's input tensor ({@code channelMeans});</li>
 *   <li>else, when the channel is provably constant, that constant: a producer Conv whose weights for the channel
 *       are all zero outputs its bias, a BatchNormalization with γ = 0 outputs β (and maps a constant input
 *       affinely), SiLU maps it to {@code x·σ(x)}, MaxPool, Resize, Identity, Concat and Split pass it through
 *       unchanged, and a residual Add sums its operands' constants;</li>
 *   <li>else nothing: plain deletion, the channel's contribution is lost.</li>
 * </ol>
 * For a constant channel this is exact for 1×1 consumers, also through Concat, Split, MaxPool and Resize. A k×k
 * consumer with zero padding sees the padding, not {@code v_c}, where its kernel overlaps the border; the full
 * kernel sum is absorbed anyway, so outputs are exact wherever the kernel lies inside the input and off by
 * {@code v_c} times the outside taps' weights at the border (the outer one-pixel frame of a 3×3, pad-1 Conv). A
 * bias cannot vary with position, and the interior is nearly all of a feature map.
 */
public final class ChannelPruner {

    private ChannelPruner() {
    }

    /**
     * Prunes {@code model}.
     *
     * @param analysis the analysis of {@code model}
     * @param removed group name → sorted distinct channel indices in {@code [0, size)} to remove; a group may be
     *     absent (nothing removed)
     * @param channelMeans activation tensor name → mean value of each of its channels (as measured on calibration
     *     images by the caller), used for bias absorption; may be empty. See {@link #absorptionTensors}.
     * @throws IllegalArgumentException when {@code removed} names a group the analysis does not have, holds indices
     *     that are not sorted, distinct and in range, or would remove every channel of a group; when a mean
     *     vector's length is not its tensor's channel count; or when {@code analysis} is of another model
     */
    public static PruneOutcome prune(OnnxModel model, ChannelDependencyAnalysis analysis, Map<String, int[]> removed,
            Map<String, double[]> channelMeans) {
        return new Rewrite(model, analysis, Removal.of(model, analysis, removed), channelMeans).run();
    }

    /**
     * The activation tensors whose per-channel means would be used for absorption when {@code removed} is pruned:
     * the input tensors of every Conv that loses input channels, in graph order, so that the caller measures only
     * those.
     *
     * @throws IllegalArgumentException as {@link #prune} does for {@code removed}
     */
    public static Set<String> absorptionTensors(OnnxModel model, ChannelDependencyAnalysis analysis,
            Map<String, int[]> removed) {
        Removal removal = Removal.of(model, analysis, removed);
        Set<String> tensors = new LinkedHashSet<>();
        for (NodeProto node : model.graph().getNodeList()) {
            if (producer(node) && !removal.at(node.getInput(0)).isEmpty()) {
                tensors.add(node.getInput(0));
            }
        }
        return Collections.unmodifiableSet(tensors);
    }

    /**
     * How each Conv's channels change when {@code removed} is pruned: its kept input and output channels, as
     * indices into the unpruned Conv's. Only Convs that lose channels are listed, in graph order, keyed by the
     * Conv's output tensor (the same in both models).
     *
     * @throws IllegalArgumentException as {@link #prune} does for {@code removed}
     */
    public static Map<String, ConvChannels> convChannels(OnnxModel model, ChannelDependencyAnalysis analysis,
            Map<String, int[]> removed) {
        Removal removal = Removal.of(model, analysis, removed);
        GraphView view = model.graphView();
        Map<String, ConvChannels> changes = new LinkedHashMap<>();
        List<NodeProto> nodes = model.graph().getNodeList();
        for (int i = 0; i < nodes.size(); i++) {
            NodeProto conv = nodes.get(i);
            if (!producer(conv)) {
                continue;
            }
            BitSet inputs = removal.at(conv.getInput(0));
            BitSet outputs = removal.outputsOf(analysis, i);
            if (inputs.isEmpty() && outputs.isEmpty()) {
                continue;
            }
            TensorProto weight = view.initializer(conv.getInput(1)).orElseThrow();
            changes.put(conv.getOutput(0), new ConvChannels(conv.getOutput(0), conv.getInput(0),
                    Rewrite.kept((int) weight.getDims(1), inputs), (int) weight.getDims(1),
                    Rewrite.kept((int) weight.getDims(0), outputs), (int) weight.getDims(0)));
        }
        return Collections.unmodifiableMap(changes);
    }

    private static boolean producer(NodeProto node) {
        return OperatorSemantics.of(node.getOpType()).channels() == Channels.PRODUCER;
    }

    /**
     * One Conv's channels after pruning.
     *
     * @param output the Conv's output tensor
     * @param input the Conv's activation input tensor
     * @param keptInputs the unpruned Conv's input channels that remain, ascending
     * @param inputChannels the unpruned Conv's input channel count
     * @param keptOutputs the unpruned Conv's output channels that remain, ascending
     * @param outputChannels the unpruned Conv's output channel count
     */
    public record ConvChannels(String output, String input, int[] keptInputs, int inputChannels, int[] keptOutputs,
            int outputChannels) {

        /** Whether the Conv reads fewer channels than before (it is a consumer of removed channels). */
        public boolean losesInputs() {
            return keptInputs.length < inputChannels;
        }
    }

    /** Which channels go: per source Conv (output channels) and per followed activation (its channel positions). */
    private record Removal(BitSet[] bySource, Map<String, BitSet> byTensor, int channels, int groups) {

        static Removal of(OnnxModel model, ChannelDependencyAnalysis analysis, Map<String, int[]> removed) {
            if (analysis.model() != model && !analysis.model().proto().equals(model.proto())) {
                throw new IllegalArgumentException("the analysis is of another model than " + model.source()
                        + "; analyse the model being pruned");
            }
            Map<String, Integer> groupIndex = new HashMap<>();
            List<ChannelGroup> groups = analysis.groups();
            for (int g = 0; g < groups.size(); g++) {
                groupIndex.put(groups.get(g).name(), g);
            }
            BitSet[] byGroup = new BitSet[groups.size()];
            int channels = 0;
            for (Map.Entry<String, int[]> entry : removed.entrySet()) {
                Integer g = groupIndex.get(entry.getKey());
                if (g == null) {
                    throw new IllegalArgumentException("removed channels of '" + entry.getKey()
                            + "', which is not a prunable group of " + model.source() + (groups.isEmpty()
                                    ? " (it has none)"
                                    : " (its groups are named like '" + groups.get(0).name() + "')"));
                }
                byGroup[g] = indices(groups.get(g), entry.getValue());
                channels += byGroup[g].cardinality();
            }
            BitSet[] bySource = new BitSet[analysis.sourceCount()];
            Arrays.setAll(bySource, s -> new BitSet());
            for (int g = 0; g < byGroup.length; g++) {
                if (byGroup[g] != null) {
                    for (Piece piece : analysis.pieces(g)) {
                        byGroup[g].stream().forEach(j -> bySource[piece.source()].set(piece.start() + j));
                    }
                }
            }
            Map<String, BitSet> byTensor = new HashMap<>();
            analysis.layouts().forEach((tensor, layout) -> {
                BitSet positions = new BitSet();
                int offset = 0;
                for (Piece piece : layout) {
                    if (piece.group() >= 0 && byGroup[piece.group()] != null) {
                        int base = offset;
                        byGroup[piece.group()].stream().forEach(j -> positions.set(base + j));
                    }
                    offset += piece.length();
                }
                if (!positions.isEmpty()) {
                    byTensor.put(tensor, positions);
                }
            });
            return new Removal(bySource, byTensor, channels, (int) Arrays.stream(byGroup).filter(b -> b != null
                    && !b.isEmpty()).count());
        }

        private static BitSet indices(ChannelGroup group, int[] channels) {
            if (channels == null) {
                throw new IllegalArgumentException("removed channels of '" + group.name() + "' are null");
            }
            BitSet set = new BitSet();
            for (int k = 0; k < channels.length; k++) {
                if (channels[k] < 0 || channels[k] >= group.size() || (k > 0 && channels[k] <= channels[k - 1])) {
                    throw new IllegalArgumentException("removed channels of '" + group.name() + "' must be sorted, "
                            + "distinct and in [0, " + group.size() + "), got " + Arrays.toString(channels));
                }
                set.set(channels[k]);
            }
            if (set.cardinality() == group.size()) {
                throw new IllegalArgumentException("removing all " + group.size() + " channels of '" + group.name()
                        + "' would disconnect the network; keep at least one");
            }
            return set;
        }

        /** The removed output channels of node {@code node} (empty unless it is a source Conv). */
        BitSet outputsOf(ChannelDependencyAnalysis analysis, int node) {
            int source = analysis.sourceOfNode(node);
            return source >= 0 ? bySource[source] : new BitSet();
        }

        /** The removed channel positions of {@code tensor} (empty for tensors the analysis does not follow). */
        BitSet at(String tensor) {
            return byTensor.getOrDefault(tensor, new BitSet());
        }
    }

    /** One rewrite of one model. */
    private static final class Rewrite {

        private final OnnxModel model;
        private final ChannelDependencyAnalysis analysis;
        private final Removal removal;
        private final Map<String, double[]> channelMeans;
        private final GraphView view;
        private final List<NodeProto> nodes;
        private final GraphProto.Builder graph;
        private final Map<String, TensorProto> replaced = new HashMap<>();
        private final List<TensorProto> added = new ArrayList<>();
        /** Initializers that a rewritten node stopped reading, removed when nothing else reads them. */
        private final Set<String> released = new LinkedHashSet<>();
        private final Set<String> names = new HashSet<>();
        private Map<String, double[]> constants;
        private int measured;
        private int exact;
        private int deleted;
        private int outputConvs;
        private int inputConvs;

        Rewrite(OnnxModel model, ChannelDependencyAnalysis analysis, Removal removal,
                Map<String, double[]> channelMeans) {
            this.model = model;
            this.analysis = analysis;
            this.removal = removal;
            this.channelMeans = channelMeans;
            this.view = model.graphView();
            this.nodes = model.graph().getNodeList();
            this.graph = model.graph().toBuilder();
            view.initializers().keySet().forEach(names::add);
            model.graph().getInputList().forEach(input -> names.add(input.getName()));
            nodes.forEach(node -> names.addAll(node.getOutputList()));
        }

        PruneOutcome run() {
            for (int i = 0; i < nodes.size(); i++) {
                NodeProto node = nodes.get(i);
                OperatorSemantics semantics = OperatorSemantics.of(node.getOpType());
                switch (semantics.channels()) {
                    case PRODUCER -> conv(i, node);
                    case PER_CHANNEL -> {
                        if (semantics.condition() == ChannelCondition.OWN_PARAMETERS) {
                            batchNorm(node);
                        }
                    }
                    case SPLIT -> split(i, node);
                    default -> {
                    }
                }
            }
            Set<String> read = new HashSet<>();
            graph.getNodeList().forEach(node -> read.addAll(node.getInputList()));
            List<TensorProto> initializers = new ArrayList<>();
            for (TensorProto initializer : graph.getInitializerList()) {
                if (!released.contains(initializer.getName()) || read.contains(initializer.getName())) {
                    initializers.add(replaced.getOrDefault(initializer.getName(), initializer));
                }
            }
            initializers.addAll(added);
            graph.clearInitializer().addAllInitializer(initializers);
            declareInitializerInputs(initializers);
            reshape(graph.getValueInfoBuilderList());

            int prunable = analysis.groups().stream().mapToInt(ChannelGroup::size).sum();
            List<String> notes = List.of(
                    "removed " + removal.channels() + " of " + prunable + " prunable channels, in "
                            + removal.groups() + " of " + analysis.groups().size() + " groups; " + outputConvs
                            + " Convs lost output channels, " + inputConvs + " lost input channels",
                    "removed input channels absorbed into the consumers' biases: " + measured
                            + " with measured means, " + exact + " with exact constants, " + deleted
                            + " plainly deleted (neither measured nor constant)");
            return new PruneOutcome(OnnxModel.of(model.proto().toBuilder().setGraph(graph).build()), notes);
        }

        private void conv(int index, NodeProto conv) {
            BitSet inputs = removal.at(conv.getInput(0));
            BitSet outputs = removal.outputsOf(analysis, index);
            if (inputs.isEmpty() && outputs.isEmpty()) {
                return;
            }
            TensorProto weightTensor = view.initializer(conv.getInput(1)).orElseThrow();
            long[] dims = weightTensor.getDimsList().stream().mapToLong(Long::longValue).toArray();
            int out = (int) dims[0];
            int in = (int) dims[1];
            int kernel = (int) (GraphView.elementCount(weightTensor) / ((long) out * in));
            float[] weight = GraphView.floats(weightTensor);
            boolean hasBias = conv.getInputCount() > 2 && !conv.getInput(2).isEmpty();
            double[] bias = new double[out];
            if (hasBias) {
                float[] values = GraphView.floats(view.initializer(conv.getInput(2)).orElseThrow());
                Arrays.setAll(bias, o -> values[o]);
            }
            boolean absorbed = absorb(conv.getInput(0), inputs, weight, in, kernel, bias);
            inputConvs += inputs.isEmpty() ? 0 : 1;
            outputConvs += outputs.isEmpty() ? 0 : 1;

            int[] keptOut = kept(out, outputs);
            int[] keptIn = kept(in, inputs);
            float[] sliced = new float[keptOut.length * keptIn.length * kernel];
            for (int o = 0; o < keptOut.length; o++) {
                for (int c = 0; c < keptIn.length; c++) {
                    System.arraycopy(weight, (keptOut[o] * in + keptIn[c]) * kernel, sliced,
                            (o * keptIn.length + c) * kernel, kernel);
                }
            }
            dims[0] = keptOut.length;
            dims[1] = keptIn.length;
            replaced.put(weightTensor.getName(), GraphView.floatTensor(weightTensor.getName(), dims, sliced));
            float[] newBias = new float[keptOut.length];
            for (int o = 0; o < keptOut.length; o++) {
                newBias[o] = (float) bias[keptOut[o]];
            }
            if (hasBias) {
                replaced.put(conv.getInput(2), GraphView.floatTensor(conv.getInput(2), new long[] {newBias.length},
                        newBias));
            } else if (absorbed) {
                String weightName = weightTensor.getName();
                String name = fresh(weightName.endsWith(".weight")
                        ? weightName.substring(0, weightName.length() - ".weight".length()) + ".bias"
                        : weightName + "_bias");
                added.add(GraphView.floatTensor(name, new long[] {newBias.length}, newBias));
                NodeProto.Builder withBias = conv.toBuilder();
                if (withBias.getInputCount() > 2) {
                    withBias.setInput(2, name);
                } else {
                    withBias.addInput(name);
                }
                graph.setNode(index, withBias);
            }
        }

        /**
         * Adds each removed input channel's value times its kernel sum to {@code bias}; returns whether any
         * channel had a value (measured or constant).
         */
        private boolean absorb(String input, BitSet removedInputs, float[] weight, int in, int kernel,
                double[] bias) {
            double[] means = channelMeans.get(input);
            if (means != null && means.length != in) {
                throw new IllegalArgumentException("channelMeans of " + input + " has " + means.length
                        + " values, but the tensor has " + in + " channels");
            }
            boolean absorbed = false;
            for (int c = removedInputs.nextSetBit(0); c >= 0; c = removedInputs.nextSetBit(c + 1)) {
                double value;
                if (means != null) {
                    value = means[c];
                    measured++;
                } else if (!Double.isNaN(constants().get(input)[c])) {
                    value = constants().get(input)[c];
                    exact++;
                } else {
                    deleted++;
                    continue;
                }
                absorbed = true;
                for (int o = 0; o < bias.length; o++) {
                    double sum = 0;
                    for (int k = 0; k < kernel; k++) {
                        sum += weight[(o * in + c) * kernel + k];
                    }
                    bias[o] += value * sum;
                }
            }
            return absorbed;
        }

        private void batchNorm(NodeProto batchNorm) {
            BitSet removed = removal.at(batchNorm.getInput(0));
            if (removed.isEmpty()) {
                return;
            }
            for (int k = 1; k <= 4; k++) {
                TensorProto parameter = view.initializer(batchNorm.getInput(k)).orElseThrow();
                float[] values = GraphView.floats(parameter);
                int[] keep = kept(values.length, removed);
                float[] sliced = new float[keep.length];
                for (int c = 0; c < keep.length; c++) {
                    sliced[c] = values[keep[c]];
                }
                replaced.put(parameter.getName(), GraphView.floatTensor(parameter.getName(),
                        new long[] {sliced.length}, sliced));
            }
        }

        /** New split sizes, in the form the opset and the node used: input, attribute or equal parts. */
        private void split(int index, NodeProto split) {
            BitSet removed = removal.at(split.getInput(0));
            if (removed.isEmpty()) {
                return;
            }
            long opset = model.opsetVersion();
            int channels = ChannelDependencyAnalysis.channels(analysis.layouts().get(split.getInput(0)));
            long[] sizes = ChannelDependencyAnalysis.splitSizes(split, view, opset, channels);
            long[] newSizes = new long[sizes.length];
            int from = 0;
            for (int k = 0; k < sizes.length; k++) {
                int to = from + (int) sizes[k];
                newSizes[k] = sizes[k] - removed.get(from, to).cardinality();
                from = to;
            }
            long total = Arrays.stream(newSizes).sum();
            boolean equalParts = Arrays.equals(newSizes, ChannelDependencyAnalysis.equalSplit(total, sizes.length,
                    opset));
            NodeProto.Builder rewritten = split.toBuilder();
            boolean hasInput = opset >= 13 && split.getInputCount() > 1 && !split.getInput(1).isEmpty();
            if (hasInput) {
                String name = split.getInput(1);
                if (view.consumers(name).size() == 1) {
                    replaced.put(name, GraphView.int64Tensor(name, newSizes));
                    return;
                }
                // The sizes are shared with other Splits (exporters reuse one constant): this one gets its own.
                String own = fresh(name + "_" + ChannelDependencyAnalysis.displayName(split));
                added.add(GraphView.int64Tensor(own, newSizes));
                released.add(name);
                rewritten.setInput(1, own);
            } else if (opset < 13) {
                int attribute = indexOfAttribute(split, "split");
                if (attribute < 0 && equalParts) {
                    return;
                }
                AttributeProto sizesAttribute = AttributeProto.newBuilder().setName("split")
                        .setType(AttributeProto.AttributeType.INTS)
                        .addAllInts(Arrays.stream(newSizes).boxed().toList()).build();
                if (attribute < 0) {
                    rewritten.addAttribute(sizesAttribute);
                } else {
                    rewritten.setAttribute(attribute, sizesAttribute);
                }
            } else {
                if (equalParts) {
                    return;
                }
                // Equal parts no longer: state the sizes (opset 18's num_outputs may not come with them).
                int numOutputs = indexOfAttribute(split, "num_outputs");
                if (numOutputs >= 0) {
                    rewritten.removeAttribute(numOutputs);
                }
                String own = fresh(ChannelDependencyAnalysis.displayName(split) + "_split");
                added.add(GraphView.int64Tensor(own, newSizes));
                if (rewritten.getInputCount() > 1) {
                    rewritten.setInput(1, own);
                } else {
                    rewritten.addInput(own);
                }
            }
            graph.setNode(index, rewritten);
        }

        /**
         * Graphs that list initializers as inputs too (IR version 3 requires it, some exporters still do it) must
         * declare their new shapes, drop the ones removed and, for IR version 3, list the new ones.
         */
        private void declareInitializerInputs(List<TensorProto> initializers) {
            Map<String, TensorProto> byName = new HashMap<>();
            initializers.forEach(initializer -> byName.put(initializer.getName(), initializer));
            List<ValueInfoProto> inputs = new ArrayList<>();
            for (ValueInfoProto input : graph.getInputList()) {
                String name = input.getName();
                if (view.initializer(name).isEmpty()) {
                    inputs.add(input);
                } else if (byName.containsKey(name)) {
                    inputs.add(replaced.containsKey(name) ? declaration(byName.get(name)) : input);
                }
            }
            if (model.irVersion() < 4) {
                added.forEach(initializer -> inputs.add(declaration(initializer)));
            }
            graph.clearInput().addAllInput(inputs);
        }

        private static ValueInfoProto declaration(TensorProto initializer) {
            TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
            initializer.getDimsList().forEach(dim -> shape.addDimBuilder().setDimValue(dim));
            return ValueInfoProto.newBuilder().setName(initializer.getName()).setType(TypeProto.newBuilder()
                    .setTensorType(TypeProto.Tensor.newBuilder().setElemType(initializer.getDataType())
                            .setShape(shape))).build();
        }

        /** Declared shapes of the changed activations get their new channel count. */
        private void reshape(List<ValueInfoProto.Builder> infos) {
            for (ValueInfoProto.Builder info : infos) {
                BitSet removed = removal.at(info.getName());
                if (removed.isEmpty() || !info.getType().hasTensorType()
                        || !info.getType().getTensorType().hasShape()
                        || info.getType().getTensorType().getShape().getDimCount() < 2) {
                    continue;
                }
                TensorShapeProto.Dimension.Builder channels = info.getTypeBuilder().getTensorTypeBuilder()
                        .getShapeBuilder().getDimBuilder(1);
                if (channels.hasDimValue()) {
                    channels.setDimValue(channels.getDimValue() - removed.cardinality());
                }
            }
        }

        /**
         * The value of every channel of every followed activation in the original model when it is provably
         * constant, else NaN; computed once, in graph order, when first needed.
         */
        private Map<String, double[]> constants() {
            if (constants != null) {
                return constants;
            }
            constants = new HashMap<>();
            Map<String, List<Piece>> layouts = analysis.layouts();
            for (int i = 0; i < nodes.size(); i++) {
                NodeProto node = nodes.get(i);
                if (node.getOutputCount() == 0 || !layouts.containsKey(node.getOutput(0))) {
                    continue;
                }
                Function<Integer, double[]> in = k -> constants.get(node.getInput(k));
                Constant rule = OperatorSemantics.of(node.getOpType()).constant();
                switch (rule) {
                    case BIAS_OF_ZERO_WEIGHTS -> constants.put(node.getOutput(0), convConstants(node));
                    case NORMALIZED -> constants.put(node.getOutput(0), batchNormConstants(node, in.apply(0)));
                    case CONCATENATED -> constants.put(node.getOutput(0), node.getInputList().stream()
                            .flatMapToDouble(input -> Arrays.stream(constants.get(input))).toArray());
                    case SPLIT -> {
                        int from = 0;
                        for (String output : node.getOutputList()) {
                            int to = from + ChannelDependencyAnalysis.channels(layouts.get(output));
                            constants.put(output, Arrays.copyOfRange(in.apply(0), from, to));
                            from = to;
                        }
                    }
                    case UNKNOWN -> throw new IllegalStateException(node.getOpType() + " " + node.getOutput(0)
                            + " is followed by the analysis but has no rule for constants");
                    default -> {
                        double[] a = in.apply(0);
                        double[] b = rule.operands() > 1 ? in.apply(1) : null;
                        double[] result = new double[a.length];
                        Arrays.setAll(result, c -> rule.apply(a[c], b == null ? Double.NaN : b[c]));
                        constants.put(node.getOutput(0), result);
                    }
                }
            }
            return constants;
        }

        /** A Conv outputs its bias on a channel whose weights are all zero. */
        private double[] convConstants(NodeProto conv) {
            TensorProto weightTensor = view.initializer(conv.getInput(1)).orElseThrow();
            float[] weight = GraphView.floats(weightTensor);
            int out = (int) weightTensor.getDims(0);
            int perOutput = weight.length / out;
            float[] bias = conv.getInputCount() > 2 && !conv.getInput(2).isEmpty()
                    ? GraphView.floats(view.initializer(conv.getInput(2)).orElseThrow()) : new float[out];
            double[] values = new double[out];
            for (int o = 0; o < out; o++) {
                boolean zero = true;
                for (int k = o * perOutput; k < (o + 1) * perOutput && zero; k++) {
                    zero = weight[k] == 0;
                }
                values[o] = zero ? bias[o] : Double.NaN;
            }
            return values;
        }

        /** BN outputs β where γ = 0, and maps a constant input affinely. */
        private double[] batchNormConstants(NodeProto batchNorm, double[] input) {
            float[][] p = new float[4][];
            for (int k = 0; k < 4; k++) {
                p[k] = GraphView.floats(view.initializer(batchNorm.getInput(k + 1)).orElseThrow());
            }
            double epsilon = ChannelDependencyAnalysis.attribute(batchNorm, "epsilon").map(AttributeProto::getF)
                    .orElse(1e-5f);
            double[] values = new double[input.length];
            for (int c = 0; c < values.length; c++) {
                values[c] = p[0][c] == 0 ? p[1][c]
                        : p[0][c] * (input[c] - p[2][c]) / Math.sqrt(p[3][c] + epsilon) + p[1][c];
            }
            return values;
        }

        private static int[] kept(int size, BitSet removed) {
            return IntStream.range(0, size).filter(i -> !removed.get(i)).toArray();
        }

        private static int indexOfAttribute(NodeProto node, String name) {
            for (int k = 0; k < node.getAttributeCount(); k++) {
                if (node.getAttribute(k).getName().equals(name)) {
                    return k;
                }
            }
            return -1;
        }

        /** {@code base}, or {@code base_2}, {@code base_3} ... whichever no tensor of the graph is called yet. */
        private String fresh(String base) {
            String name = base;
            for (int k = 2; !names.add(name); k++) {
                name = base + "_" + k;
            }
            return name;
        }
    }
}
