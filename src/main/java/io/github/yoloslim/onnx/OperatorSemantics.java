package io.github.yoloslim.onnx;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * What each ONNX operator does to channels (for pruning), to scales (for the Q/DQ placement and calibration) and
 * to a channel that holds one constant value (for the pruner's bias absorption), and whether its definition
 * changed in opset 13: the one list of the operators the float-model stages know. An operator not listed is
 * {@linkplain #of opaque}: the groups of channels it reads are not pruned, it has a scale of its own, and nothing
 * is known of its outputs' values.
 *
 * <p>Adding an operator means adding its entry here. The checks that need a node's attributes or the graph
 * around it (a Resize's scales, SiLU's shape) stay with the stage that makes them; an entry names which one
 * applies ({@link ChannelCondition}).
 *
 * @param opType the operator type of the default ONNX domain
 * @param channels what it does to the channels of the activations it reads
 * @param condition what a {@link Channels#PER_CHANNEL} node must also satisfy for its channels to be followed;
 *     {@link ChannelCondition#NONE} for the other kinds
 * @param scales what the Q/DQ placement does with it
 * @param constant what it outputs on a channel whose inputs are constant
 * @param changedInOpset13 whether its definition changed in opset 13, so an older model cannot simply be
 *     relabelled
 */
public record OperatorSemantics(String opType, Channels channels, ChannelCondition condition, Scales scales,
        Constant constant, boolean changedInOpset13) {

    /** What an operator does to the channels of the activations it reads. */
    public enum Channels {
        /** Reads channels through a weight (removed input channels are absorbed) and outputs channels of its own. */
        PRODUCER,
        /** Output channel {@code c} is computed from channel {@code c} of its inputs alone. */
        PER_CHANNEL,
        /** Elementwise over two activations: channel {@code c} of one is tied to channel {@code c} of the other. */
        TIE,
        /** Lays its inputs' channels end to end (along the channel axis). */
        CONCAT,
        /** Cuts its input's channels into consecutive pieces, one per output (along the channel axis). */
        SPLIT,
        /** Not followed: the groups of channels it reads are left alone. */
        OPAQUE
    }

    /** What a {@link Channels#PER_CHANNEL} node must also satisfy for its channels to be followed. */
    public enum ChannelCondition {
        /** Nothing. */
        NONE,
        /** Its parameters (inputs 1 to 4) are per-channel float32 initializers of its own; inference mode. */
        OWN_PARAMETERS,
        /** It does not also output argmax indices. */
        NO_INDICES,
        /** It resizes by constant scales that keep the batch and channel axes. */
        SCALES_KEEP_CHANNELS,
        /** It is SiLU's {@code Mul(x, Sigmoid(x))}. */
        SILU_GATE
    }

    /** What the Q/DQ placement does with an operator. */
    public enum Scales {
        /** Its activation input gets a Q/DQ pair and its weight becomes per-channel INT8. */
        INT8_WEIGHTS,
        /** When both its inputs are activations, both get a Q/DQ pair (a residual Add). */
        INT8_OPERANDS,
        /** Its inputs and its output share one scale; the output holds every input value. */
        SHARED,
        /** Its outputs have the scale of its (first) input. */
        PASS_THROUGH,
        /** It is a quantization operator: the model is quantized already. */
        QUANTIZATION,
        /** Its output has a scale of its own. */
        OWN
    }

    /** What an operator outputs on a channel whose inputs hold one constant value each. */
    public enum Constant {
        /** The constant (MaxPool, Resize and Identity of a constant map are that map). */
        UNCHANGED(1),
        /** {@code σ(x)}. */
        SIGMOID(1),
        /** The product of its two operands. */
        PRODUCT(2),
        /** The sum of its two operands. */
        SUM(2),
        /** Its bias on a channel whose weights are all zero, whatever the input; else not constant. */
        BIAS_OF_ZERO_WEIGHTS(0),
        /** β where γ = 0, else the normalization's affine map of the constant. */
        NORMALIZED(0),
        /** Its inputs' constants end to end. */
        CONCATENATED(0),
        /** Its input's constants, cut as its outputs' channels are. */
        SPLIT(0),
        /** Not known. */
        UNKNOWN(0);

        private final int operands;

        Constant(int operands) {
            this.operands = operands;
        }

        /** How many inputs an elementwise rule reads (1 or 2); 0 for the rules that need the node itself. */
        public int operands() {
            return operands;
        }

        /**
         * An elementwise rule's value: of {@code a} (and {@code b}, for two operands).
         *
         * @throws IllegalStateException for a rule that is not elementwise
         */
        public double apply(double a, double b) {
            return switch (this) {
                case UNCHANGED -> a;
                case SIGMOID -> 1 / (1 + Math.exp(-a));
                case PRODUCT -> a * b;
                case SUM -> a + b;
                default -> throw new IllegalStateException(this + " is not an elementwise rule");
            };
        }
    }

    private static final Map<String, OperatorSemantics> TABLE = List.of(
            entry("Conv", Channels.PRODUCER, Scales.INT8_WEIGHTS, Constant.BIAS_OF_ZERO_WEIGHTS),
            perChannel("BatchNormalization", ChannelCondition.OWN_PARAMETERS, Scales.OWN, Constant.NORMALIZED),
            perChannel("Sigmoid", ChannelCondition.NONE, Scales.OWN, Constant.SIGMOID),
            perChannel("Mul", ChannelCondition.SILU_GATE, Scales.OWN, Constant.PRODUCT),
            perChannel("MaxPool", ChannelCondition.NO_INDICES, Scales.PASS_THROUGH, Constant.UNCHANGED),
            perChannel("Resize", ChannelCondition.SCALES_KEEP_CHANNELS, Scales.PASS_THROUGH, Constant.UNCHANGED),
            perChannel("Identity", ChannelCondition.NONE, Scales.PASS_THROUGH, Constant.UNCHANGED),
            entry("Add", Channels.TIE, Scales.INT8_OPERANDS, Constant.SUM),
            entry("Concat", Channels.CONCAT, Scales.SHARED, Constant.CONCATENATED),
            changedInOpset13(entry("Split", Channels.SPLIT, Scales.PASS_THROUGH, Constant.SPLIT)),
            opaque("Slice", Scales.PASS_THROUGH),
            opaque("Reshape", Scales.PASS_THROUGH),
            opaque("Transpose", Scales.PASS_THROUGH),
            opaque("Flatten", Scales.PASS_THROUGH),
            changedInOpset13(opaque("Squeeze", Scales.PASS_THROUGH)),
            changedInOpset13(opaque("Unsqueeze", Scales.PASS_THROUGH)),
            changedInOpset13(opaque("ReduceSum", Scales.OWN)),
            changedInOpset13(opaque("Softmax", Scales.OWN)),
            changedInOpset13(opaque("LogSoftmax", Scales.OWN)),
            changedInOpset13(opaque("Hardmax", Scales.OWN)),
            opaque("QuantizeLinear", Scales.QUANTIZATION),
            opaque("DequantizeLinear", Scales.QUANTIZATION),
            opaque("DynamicQuantizeLinear", Scales.QUANTIZATION),
            opaque("ConvInteger", Scales.QUANTIZATION),
            opaque("MatMulInteger", Scales.QUANTIZATION))
            .stream().collect(Collectors.toUnmodifiableMap(OperatorSemantics::opType, Function.identity()));

    /** ONNX's quantized operators ({@code QLinearConv}, {@code QLinearMatMul} ...) share this prefix. */
    private static final String QLINEAR = "QLinear";

    /** The entry of {@code opType}; an opaque one with a scale of its own when it is not listed. */
    public static OperatorSemantics of(String opType) {
        OperatorSemantics known = TABLE.get(opType);
        if (known != null) {
            return known;
        }
        return opaque(opType, opType.startsWith(QLINEAR) ? Scales.QUANTIZATION : Scales.OWN);
    }

    /** The listed operator types. */
    public static Set<String> listed() {
        return TABLE.keySet();
    }

    private static OperatorSemantics entry(String opType, Channels channels, Scales scales, Constant constant) {
        return new OperatorSemantics(opType, channels, ChannelCondition.NONE, scales, constant, false);
    }

    private static OperatorSemantics perChannel(String opType, ChannelCondition condition, Scales scales,
            Constant constant) {
        return new OperatorSemantics(opType, Channels.PER_CHANNEL, condition, scales, constant, false);
    }

    private static OperatorSemantics opaque(String opType, Scales scales) {
        return entry(opType, Channels.OPAQUE, scales, Constant.UNKNOWN);
    }

    private static OperatorSemantics changedInOpset13(OperatorSemantics semantics) {
        return new OperatorSemantics(semantics.opType(), semantics.channels(), semantics.condition(),
                semantics.scales(), semantics.constant(), true);
    }
}
