package io.github.yoloslim.prune;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.github.yoloslim.onnx.DetectHeadDecode;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.OperatorSemantics;
import io.github.yoloslim.onnx.OperatorSemantics.Channels;
import io.github.yoloslim.onnx.TensorShape;
import io.github.yoloslim.onnx.UnionFind;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * Which output channels of an ONNX YOLOv8 graph can be removed, and which must be removed together: a
 * channel-dependency analysis in the spirit of Torch-Pruning's DepGraph, for both export forms (Conv →
 * BatchNormalization → SiLU, and BN folded into the Conv).
 *
 * <h2>How channels are followed</h2>
 * Every Conv (group 1, float32 weight and bias initializers of its own) is a source of channels. From there the
 * analysis follows, in graph order, what each activation's channels are: runs of some Convs' output channels. The
 * operators it follows, and what they do to channels:
 * <ul>
 *   <li>BatchNormalization, Sigmoid, SiLU's {@code Mul(x, Sigmoid(x))}, MaxPool, Resize (by scales that keep the
 *       batch and channel axes) and Identity work per channel: the output's channels are the input's.</li>
 *   <li>Concat along the channel axis lays its inputs' channels end to end: channel {@code c} of input {@code k}
 *       is channel {@code c + (channels of inputs before k)} of the output.</li>
 *   <li>Split along the channel axis cuts its input into pieces; each output's channels are its piece's. The
 *       pieces are separate coupling domains: a C2f block's {@code cv1} output is two groups, the half that only
 *       reaches the Concat and the half that feeds the bottlenecks.</li>
 *   <li>A residual Add of two activations ties channel {@code c} of one operand to channel {@code c} of the other:
 *       they can only go together. Ties are transitive, so a C2f's bottleneck chain (the Split half, {@code m.0}'s
 *       {@code cv2} output, {@code m.1}'s ...) becomes one group whose members sit at different offsets.</li>
 *   <li>A Conv reading an activation drops the input channels that are removed (the pruner absorbs them into its
 *       bias); its own output channels are a new source.</li>
 * </ul>
 * A group is prunable only when every reader of every member's channels is one of the above. Anything else
 * leaves the whole group alone, with a note naming the node and why: an operator the analysis does not follow,
 * a graph output, a grouped Conv, an Add with a constant, parameters shared between nodes, and the Detect head's
 * decode. The decode (as {@link DetectHeadDecode} finds it: everything from a Reshape/Flatten of an activation on)
 * is where channel counts become fixed: the head's last box (4·reg_max) and class Convs and the DFL Conv feed it,
 * so their output channels are left alone, while their input channels shrink with their producers. A Reshape
 * anywhere else starts such a region too, so whatever it reads is left alone as well.
 *
 * <p>The result depends only on the graph, so it is deterministic; instances are immutable.
 */
public final class ChannelDependencyAnalysis {

    /**
     * A run of an activation's channels: channels {@code [start, start + length)} of source Conv {@code source}'s
     * output, which are group {@code group}'s channels {@code [0, length)} (-1 when left alone).
     */
    record Piece(int group, int source, int start, int length) {
    }

    /** A Conv whose output channels the analysis follows. */
    record Source(int node, String name, String batchNorm, int channels) {
    }

    private final OnnxModel model;
    private final List<Source> sources;
    private final Map<Integer, Integer> sourceOfNode;
    private final List<ChannelGroup> groups;
    private final List<List<Piece>> groupPieces;
    private final Map<String, List<Piece>> layouts;
    private final List<String> notes;

    private ChannelDependencyAnalysis(OnnxModel model, List<Source> sources, List<ChannelGroup> groups,
            List<List<Piece>> groupPieces, Map<String, List<Piece>> layouts, List<String> notes) {
        this.model = model;
        this.sources = List.copyOf(sources);
        this.sourceOfNode = new HashMap<>();
        for (int s = 0; s < sources.size(); s++) {
            sourceOfNode.put(sources.get(s).node(), s);
        }
        this.groups = List.copyOf(groups);
        this.groupPieces = groupPieces.stream().map(List::copyOf).toList();
        this.layouts = layouts;
        this.notes = List.copyOf(notes);
    }

    /** Analyses {@code model}; never fails on operators it does not know (they leave their groups alone). */
    public static ChannelDependencyAnalysis analyze(OnnxModel model) {
        return new Tracer(model).analysis();
    }

    /** The prunable groups, in graph order of their first member. */
    public List<ChannelGroup> groups() {
        return groups;
    }

    /** What was left alone and why, one line each, after a summary line. */
    public List<String> notes() {
        return notes;
    }

    OnnxModel model() {
        return model;
    }

    /** How many Convs are sources of channels. */
    int sourceCount() {
        return sources.size();
    }

    /** The source that node {@code node} (a Conv) is, or -1. */
    int sourceOfNode(int node) {
        return sourceOfNode.getOrDefault(node, -1);
    }

    /** Group {@code group}'s members as pieces, in the order of {@link ChannelGroup#members()}. */
    List<Piece> pieces(int group) {
        return groupPieces.get(group);
    }

    /** The channels of every activation the analysis follows, in order; other tensors are absent. */
    Map<String, List<Piece>> layouts() {
        return layouts;
    }

    /** The channel count of a layout. */
    static int channels(List<Piece> layout) {
        return layout.stream().mapToInt(Piece::length).sum();
    }

    /**
     * A Split's output sizes along its axis: from its {@code split} input (opset 13 and later) or attribute
     * (before), else equal parts; null when they cannot be read or do not add up to {@code channels}.
     */
    static long[] splitSizes(NodeProto split, GraphView view, long opset, long channels) {
        long[] sizes;
        if (opset >= 13 && split.getInputCount() > 1 && !split.getInput(1).isEmpty()) {
            Optional<TensorProto> tensor = view.initializer(split.getInput(1))
                    .filter(t -> t.getDataType() == TensorProto.DataType.INT64_VALUE
                            && t.getDataLocation() != TensorProto.DataLocation.EXTERNAL);
            if (tensor.isEmpty()) {
                return null;
            }
            sizes = GraphView.longs(tensor.get());
        } else if (opset < 13 && attribute(split, "split").isPresent()) {
            sizes = attribute(split, "split").get().getIntsList().stream().mapToLong(Long::longValue).toArray();
        } else {
            sizes = equalSplit(channels, split.getOutputCount(), opset);
        }
        return sizes != null && sizes.length == split.getOutputCount() && Arrays.stream(sizes).sum() == channels
                && Arrays.stream(sizes).allMatch(size -> size >= 0) ? sizes : null;
    }

    /**
     * The sizes a Split without explicit sizes produces: equal parts (opset 18 and later: parts of
     * ⌈channels / outputs⌉, the last one smaller); null when that is not defined.
     */
    static long[] equalSplit(long channels, int outputs, long opset) {
        long part = opset >= 18 ? (channels + outputs - 1) / outputs : channels / outputs;
        long last = channels - part * (outputs - 1);
        if (outputs == 0 || last < 0 || (opset < 18 && last != part)) {
            return null;
        }
        long[] sizes = new long[outputs];
        Arrays.fill(sizes, part);
        sizes[outputs - 1] = last;
        return sizes;
    }

    static Optional<AttributeProto> attribute(NodeProto node, String name) {
        return node.getAttributeList().stream().filter(a -> a.getName().equals(name)).findFirst();
    }

    /** A node's name for messages and members: its name, else its first output. */
    public static String displayName(NodeProto node) {
        if (!node.getName().isEmpty()) {
            return node.getName();
        }
        return node.getOutputCount() > 0 ? node.getOutput(0) : node.getOpType();
    }

    /** One pass over the graph in order, then the ties and cuts resolved into groups. */
    private static final class Tracer {

        /** Channels {@code [start, start + length)} of source {@code source}, before cuts are known. */
        private record Segment(int source, int start, int length) {
        }

        /** Two layouts whose channels are tied one to one by a residual Add. */
        private record Tie(List<Segment> a, List<Segment> b) {
        }

        /** A layout whose groups are left alone, and why. */
        private record Block(List<Segment> layout, String reason) {
        }

        private final OnnxModel model;
        private final GraphView view;
        private final List<NodeProto> nodes;
        private final BitSet decode;
        private final long opset;
        private final Map<String, Integer> initializerUses = new HashMap<>();
        private final List<Source> sources = new ArrayList<>();
        private final Map<String, List<Segment>> layouts = new LinkedHashMap<>();
        private final List<Tie> ties = new ArrayList<>();
        private final List<Block> blocks = new ArrayList<>();
        /** Per source, the positions where its output is cut into pieces (always 0 and its channel count). */
        private final List<TreeSet<Integer>> cuts = new ArrayList<>();
        private final List<String> convNotes = new ArrayList<>();

        Tracer(OnnxModel model) {
            this.model = model;
            this.view = model.graphView();
            this.nodes = model.graph().getNodeList();
            this.decode = DetectHeadDecode.nodes(view, DetectHeadDecode.activations(view));
            this.opset = model.opsetVersion();
            for (NodeProto node : nodes) {
                for (String input : node.getInputList()) {
                    if (view.initializer(input).isPresent()) {
                        initializerUses.merge(input, 1, Integer::sum);
                    }
                }
            }
        }

        ChannelDependencyAnalysis analysis() {
            for (int i = 0; i < nodes.size(); i++) {
                NodeProto node = nodes.get(i);
                boolean readsTracked = node.getInputList().stream().anyMatch(layouts::containsKey);
                String refusal = readsTracked ? refusal(i, node) : null;
                if (refusal != null) {
                    node.getInputList().stream().filter(layouts::containsKey).distinct().forEach(input -> blocks.add(
                            new Block(layouts.get(input), displayName(node) + " (" + node.getOpType() + ") "
                                    + refusal)));
                }
                if (OperatorSemantics.of(node.getOpType()).channels() == Channels.PRODUCER) {
                    String problem = convProblem(node);
                    if (problem == null) {
                        addSource(i, node);
                    } else {
                        convNotes.add("left alone: " + displayName(node) + " " + problem
                                + "; its output channels are not pruned");
                    }
                } else if (readsTracked && refusal == null) {
                    propagate(node);
                }
            }
            for (ValueInfoProto output : model.graph().getOutputList()) {
                if (layouts.containsKey(output.getName())) {
                    blocks.add(new Block(layouts.get(output.getName()), "graph output " + output.getName()
                            + " carries these channels"));
                }
            }
            resolveTies();
            return groupsAndNotes();
        }

        private void addSource(int node, NodeProto conv) {
            int channels = (int) view.initializer(conv.getInput(1)).orElseThrow().getDims(0);
            List<NodeProto> readers = view.consumers(conv.getOutput(0));
            String batchNorm = readers.size() == 1 && readers.get(0).getOpType().equals("BatchNormalization")
                    && readers.get(0).getInput(0).equals(conv.getOutput(0)) ? displayName(readers.get(0)) : null;
            int source = sources.size();
            sources.add(new Source(node, displayName(conv), batchNorm, channels));
            cuts.add(new TreeSet<>(List.of(0, channels)));
            layouts.put(conv.getOutput(0), List.of(new Segment(source, 0, channels)));
        }

        /** Why {@code node} cannot be followed as a reader of the activations it reads, or null when it can. */
        private String refusal(int index, NodeProto node) {
            if (decode.get(index)) {
                return "is part of the Detect head's decode (from a Reshape/Flatten of an activation on), whose "
                        + "channel counts are fixed";
            }
            OperatorSemantics semantics = OperatorSemantics.of(node.getOpType());
            return switch (semantics.channels()) {
                case PRODUCER -> convReaderProblem(node);
                case PER_CHANNEL -> switch (semantics.condition()) {
                    case NONE -> null;
                    case OWN_PARAMETERS -> batchNormProblem(node);
                    case NO_INDICES -> node.getOutputCount() > 1 && !node.getOutput(1).isEmpty()
                            ? "also outputs argmax indices" : null;
                    case SCALES_KEEP_CHANNELS -> onlyFirstTracked(node) ? resizeProblem(node)
                            : "reads an activation as its roi or scales";
                    case SILU_GATE -> isSilu(node) ? null : "is not SiLU's Mul(x, Sigmoid(x))";
                };
                case TIE -> addProblem(node);
                case CONCAT -> concatProblem(node);
                case SPLIT -> splitProblem(node);
                case OPAQUE -> "is an operator the channel analysis does not follow";
            };
        }

        private String convReaderProblem(NodeProto conv) {
            String problem = convProblem(conv);
            if (problem != null) {
                return problem;
            }
            long weightInputs = view.initializer(conv.getInput(1)).orElseThrow().getDims(1);
            int channels = length(layouts.get(conv.getInput(0)));
            return weightInputs == channels ? null : "has a weight for " + weightInputs + " input channels but its "
                    + "input has " + channels;
        }

        /** Why a Conv's own output channels cannot be pruned, or null. */
        private String convProblem(NodeProto conv) {
            long group = attribute(conv, "group").map(AttributeProto::getI).orElse(1L);
            if (group != 1) {
                return "is a grouped Conv (group=" + group + ")";
            }
            Optional<TensorProto> weight = conv.getInputCount() > 1 ? view.initializer(conv.getInput(1))
                    : Optional.empty();
            if (weight.isEmpty() || !ownFloats(weight.get()) || weight.get().getDimsCount() < 3) {
                return "has a weight that is not a float32 initializer of its own";
            }
            if (conv.getInputCount() > 2 && !conv.getInput(2).isEmpty()) {
                Optional<TensorProto> bias = view.initializer(conv.getInput(2));
                if (bias.isEmpty() || !ownFloats(bias.get()) || bias.get().getDimsCount() != 1
                        || bias.get().getDims(0) != weight.get().getDims(0)) {
                    return "has a bias that is not a float32 initializer of its own";
                }
            }
            return null;
        }

        private String batchNormProblem(NodeProto batchNorm) {
            if (batchNorm.getOutputList().stream().skip(1).anyMatch(output -> !output.isEmpty())
                    || attribute(batchNorm, "training_mode").map(AttributeProto::getI).orElse(0L) != 0) {
                return "runs in training mode (it outputs running statistics)";
            }
            int channels = length(layouts.get(batchNorm.getInput(0)));
            for (int k = 1; k <= 4; k++) {
                Optional<TensorProto> parameter = k < batchNorm.getInputCount()
                        ? view.initializer(batchNorm.getInput(k)) : Optional.empty();
                if (parameter.isEmpty() || !ownFloats(parameter.get()) || parameter.get().getDimsCount() != 1
                        || parameter.get().getDims(0) != channels) {
                    return "has a parameter that is not a float32 initializer of its own with " + channels
                            + " values";
                }
            }
            return null;
        }

        private String resizeProblem(NodeProto resize) {
            if (attribute(resize, "axes").isPresent()) {
                return "resizes chosen axes";
            }
            int scalesInput = opset >= 11 ? 2 : 1;
            if (resize.getInputCount() > 3 && !resize.getInput(3).isEmpty()) {
                return "resizes to given sizes, which state the channel count";
            }
            Optional<float[]> scales = resize.getInputCount() > scalesInput
                    ? view.initializer(resize.getInput(scalesInput)).filter(Tracer::floats32)
                            .map(GraphView::floats)
                    : Optional.empty();
            if (scales.isEmpty() || scales.get().length < 2 || scales.get()[0] != 1 || scales.get()[1] != 1) {
                return "does not resize by constant scales that keep the batch and channel axes";
            }
            return null;
        }

        private boolean isSilu(NodeProto mul) {
            if (mul.getInputCount() != 2) {
                return false;
            }
            for (int k = 0; k < 2; k++) {
                String x = mul.getInput(k);
                Optional<NodeProto> sigmoid = view.producer(mul.getInput(1 - k));
                if (sigmoid.isPresent() && sigmoid.get().getOpType().equals("Sigmoid")
                        && sigmoid.get().getInput(0).equals(x)) {
                    return true;
                }
            }
            return false;
        }

        private String addProblem(NodeProto add) {
            if (add.getInputCount() != 2 || !layouts.containsKey(add.getInput(0))
                    || !layouts.containsKey(add.getInput(1))) {
                return "adds something other than two activations the analysis follows";
            }
            int a = length(layouts.get(add.getInput(0)));
            int b = length(layouts.get(add.getInput(1)));
            return a == b ? null : "adds " + a + " channels to " + b + " (broadcast)";
        }

        private String concatProblem(NodeProto concat) {
            if (channelAxis(concat, Long.MIN_VALUE) != 1) {
                return "concatenates along an axis other than channels";
            }
            return concat.getInputList().stream().allMatch(layouts::containsKey) ? null
                    : "also concatenates a tensor the analysis does not follow";
        }

        private String splitProblem(NodeProto split) {
            if (channelAxis(split, 0) != 1) {
                return "splits along an axis other than channels";
            }
            int channels = length(layouts.get(split.getInput(0)));
            return splitSizes(split, view, opset, channels) == null
                    ? "has split sizes that are not an INT64 initializer adding up to its " + channels
                            + " input channels"
                    : null;
        }

        /** The node's {@code axis} attribute, made non-negative with its first input's rank; -1 when unknown. */
        private long channelAxis(NodeProto node, long defaultAxis) {
            long axis = attribute(node, "axis").map(AttributeProto::getI).orElse(defaultAxis);
            if (axis >= 0) {
                return axis;
            }
            int rank = view.shape(node.getInput(0)).map(TensorShape::rank).orElse(-1);
            return rank < 0 || axis == Long.MIN_VALUE ? -1 : axis + rank;
        }

        private boolean onlyFirstTracked(NodeProto node) {
            return node.getInputList().stream().skip(1).noneMatch(layouts::containsKey);
        }

        private boolean ownFloats(TensorProto tensor) {
            return floats32(tensor) && initializerUses.getOrDefault(tensor.getName(), 0) == 1;
        }

        private static boolean floats32(TensorProto tensor) {
            return tensor.getDataType() == TensorProto.DataType.FLOAT_VALUE
                    && tensor.getDataLocation() != TensorProto.DataLocation.EXTERNAL;
        }

        /** The layouts of an understood node's outputs. */
        private void propagate(NodeProto node) {
            List<Segment> first = layouts.get(node.getInput(0));
            switch (OperatorSemantics.of(node.getOpType()).channels()) {
                case CONCAT -> {
                    List<Segment> joined = new ArrayList<>();
                    node.getInputList().forEach(input -> joined.addAll(layouts.get(input)));
                    layouts.put(node.getOutput(0), List.copyOf(joined));
                }
                case SPLIT -> {
                    long[] sizes = splitSizes(node, view, opset, length(first));
                    int from = 0;
                    for (int k = 0; k < sizes.length; k++) {
                        int to = from + (int) sizes[k];
                        cutAt(first, from);
                        cutAt(first, to);
                        layouts.put(node.getOutput(k), slice(first, from, to));
                        from = to;
                    }
                }
                case TIE -> {
                    ties.add(new Tie(first, layouts.get(node.getInput(1))));
                    layouts.put(node.getOutput(0), first);
                }
                default -> layouts.put(node.getOutput(0), first);
            }
        }

        private static int length(List<Segment> layout) {
            return layout.stream().mapToInt(Segment::length).sum();
        }

        private static List<Segment> slice(List<Segment> layout, int from, int to) {
            List<Segment> sliced = new ArrayList<>();
            int offset = 0;
            for (Segment segment : layout) {
                int start = Math.max(from, offset);
                int end = Math.min(to, offset + segment.length());
                if (start < end) {
                    sliced.add(new Segment(segment.source(), segment.start() + start - offset, end - start));
                }
                offset += segment.length();
            }
            return List.copyOf(sliced);
        }

        /** Cuts the source under channel {@code position} of {@code layout} there; returns whether that was new. */
        private boolean cutAt(List<Segment> layout, int position) {
            int offset = 0;
            for (Segment segment : layout) {
                if (position < offset + segment.length()) {
                    return position > offset && cuts.get(segment.source()).add(segment.start() + position - offset);
                }
                offset += segment.length();
            }
            return false;
        }

        private boolean isCut(List<Segment> layout, int position) {
            int offset = 0;
            for (Segment segment : layout) {
                if (position < offset + segment.length()) {
                    return position == offset
                            || cuts.get(segment.source()).contains(segment.start() + position - offset);
                }
                offset += segment.length();
            }
            return true;
        }

        /** Tied channels must fall into pieces alike: a cut on one side of an Add is a cut on the other. */
        private void resolveTies() {
            boolean changed = true;
            while (changed) {
                changed = false;
                for (Tie tie : ties) {
                    for (int p = 1; p < length(tie.a()); p++) {
                        boolean a = isCut(tie.a(), p);
                        if (a != isCut(tie.b(), p)) {
                            changed |= cutAt(a ? tie.b() : tie.a(), p);
                        }
                    }
                }
            }
        }

        private ChannelDependencyAnalysis groupsAndNotes() {
            // Pieces: the runs between consecutive cuts of each source, numbered in graph order.
            Map<Long, Integer> pieceIds = new HashMap<>();
            List<int[]> pieces = new ArrayList<>();
            for (int s = 0; s < sources.size(); s++) {
                Integer from = null;
                for (int cut : cuts.get(s)) {
                    if (from != null) {
                        pieceIds.put(key(s, from), pieces.size());
                        pieces.add(new int[] {s, from, cut - from});
                    }
                    from = cut;
                }
            }
            UnionFind<Integer> tied = new UnionFind<>();
            for (Tie tie : ties) {
                List<Integer> a = refine(tie.a(), pieceIds);
                List<Integer> b = refine(tie.b(), pieceIds);
                for (int k = 0; k < a.size(); k++) {
                    if (pieces.get(a.get(k))[2] != pieces.get(b.get(k))[2]) {
                        throw new IllegalStateException("tied pieces of unequal length");
                    }
                    tied.union(a.get(k), b.get(k));
                }
            }
            Map<Integer, String> blocked = new HashMap<>();
            for (Block block : blocks) {
                refine(block.layout(), pieceIds).forEach(p -> blocked.putIfAbsent(tied.find(p), block.reason()));
            }
            Map<Integer, List<Integer>> classes = tied.classes(IntStream.range(0, pieces.size()).boxed().toList());

            List<ChannelGroup> groups = new ArrayList<>();
            List<List<Piece>> groupPieces = new ArrayList<>();
            int[] groupOfPiece = new int[pieces.size()];
            List<String> leftAlone = new ArrayList<>();
            int leftAloneChannels = 0;
            for (Map.Entry<Integer, List<Integer>> entry : classes.entrySet()) {
                List<Integer> members = entry.getValue();
                int[] first = pieces.get(members.get(0));
                Source firstSource = sources.get(first[0]);
                String name = firstSource.name() + (first[2] == firstSource.channels() ? ""
                        : "[" + first[1] + ":" + (first[1] + first[2]) + "]");
                String reason = blocked.get(entry.getKey());
                int group = reason == null ? groups.size() : -1;
                members.forEach(p -> groupOfPiece[p] = group);
                if (reason != null) {
                    leftAlone.add("left alone: " + name + " (" + first[2] + " channels"
                            + (members.size() > 1 ? ", " + members.size() + " Convs" : "") + "): " + reason);
                    leftAloneChannels += first[2];
                    continue;
                }
                List<Piece> asPieces = members.stream().map(p -> pieces.get(p))
                        .map(p -> new Piece(group, p[0], p[1], p[2])).toList();
                groupPieces.add(asPieces);
                groups.add(new ChannelGroup(name, first[2], asPieces.stream()
                        .map(p -> new ChannelGroup.Member(sources.get(p.source()).name(),
                                sources.get(p.source()).batchNorm(), p.start()))
                        .toList()));
            }

            Map<String, List<Piece>> refined = new LinkedHashMap<>();
            layouts.forEach((tensor, layout) -> refined.put(tensor, refine(layout, pieceIds).stream().map(p -> {
                int[] piece = pieces.get(p);
                return new Piece(groupOfPiece[p], piece[0], piece[1], piece[2]);
            }).toList()));

            int channels = groups.stream().mapToInt(ChannelGroup::size).sum();
            long convs = groups.stream().flatMap(g -> g.members().stream()).map(ChannelGroup.Member::conv).distinct()
                    .count();
            List<String> notes = new ArrayList<>();
            notes.add(groups.size() + " prunable channel groups (" + channels + " channels, over the outputs of "
                    + convs + " of " + nodes.stream().filter(n -> n.getOpType().equals("Conv")).count()
                    + " Convs); " + leftAlone.size() + " groups (" + leftAloneChannels + " channels) and "
                    + convNotes.size() + " Convs left alone");
            notes.addAll(leftAlone);
            notes.addAll(convNotes);
            return new ChannelDependencyAnalysis(model, sources, groups, groupPieces,
                    Collections.unmodifiableMap(refined), notes);
        }

        /** The piece ids of a layout, in channel order. */
        private List<Integer> refine(List<Segment> layout, Map<Long, Integer> pieceIds) {
            List<Integer> ids = new ArrayList<>();
            for (Segment segment : layout) {
                int end = segment.start() + segment.length();
                for (int cut = segment.start(); cut < end; cut = cuts.get(segment.source()).higher(cut)) {
                    ids.add(pieceIds.get(key(segment.source(), cut)));
                }
            }
            return ids;
        }

        private static long key(int source, int start) {
            return ((long) source << 32) | start;
        }
    }

}
