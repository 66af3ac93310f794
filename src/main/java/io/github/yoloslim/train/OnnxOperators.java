package io.github.yoloslim.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.pooling.Pool;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.yoloslim.onnx.GraphView;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.IntStream;

/**
 * ONNX operator semantics as DJL NDArray operations, which libtorch's autograd differentiates. Covers what
 * Ultralytics detection exports use (the convolutional network, the Detect head's DFL and decode) and the shape
 * arithmetic of dynamic-shape exports ({@code Shape → Gather → Unsqueeze → Concat → Reshape}), which
 * {@link TrainableGraph} folds into constants where its inputs are constant.
 */
final class OnnxOperators {

    /** Computes a node's outputs from its inputs (null for an omitted optional input). */
    @FunctionalInterface
    private interface Operator {
        NDArray[] apply(Node node, NDArray[] inputs);
    }

    /** A node as an operator sees it: its proto, the model's opset and the manager for new constants. */
    record Node(NodeProto proto, long opset, NDManager manager) {

        String name() {
            return proto.getName().isEmpty() ? proto.getOutput(0) : proto.getName();
        }

        AttributeProto attribute(String name) {
            for (AttributeProto attribute : proto.getAttributeList()) {
                if (attribute.getName().equals(name)) {
                    return attribute;
                }
            }
            return null;
        }

        long integer(String name, long fallback) {
            AttributeProto attribute = attribute(name);
            return attribute == null ? fallback : attribute.getI();
        }

        float real(String name, float fallback) {
            AttributeProto attribute = attribute(name);
            return attribute == null ? fallback : attribute.getF();
        }

        long[] integers(String name) {
            AttributeProto attribute = attribute(name);
            return attribute == null ? null : attribute.getIntsList().stream().mapToLong(Long::longValue).toArray();
        }

        String text(String name, String fallback) {
            AttributeProto attribute = attribute(name);
            return attribute == null ? fallback : attribute.getS().toStringUtf8();
        }

        UnsupportedOperatorException unsupported(String what) {
            return new UnsupportedOperatorException(proto.getOpType(), name(), what);
        }
    }

    /** A node uses an attribute value or input form that the runtime does not implement. */
    static final class UnsupportedOperatorException extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final String opType;
        final String node;

        UnsupportedOperatorException(String opType, String node, String what) {
            super(what);
            this.opType = opType;
            this.node = node;
        }
    }

    private static final Map<String, Operator> OPERATORS = Map.ofEntries(
            Map.entry("Conv", OnnxOperators::conv),
            Map.entry("MaxPool", OnnxOperators::maxPool),
            Map.entry("Resize", OnnxOperators::resize),
            Map.entry("Sigmoid", (n, in) -> one(Activation.sigmoid(in[0]))),
            Map.entry("Relu", (n, in) -> one(in[0].maximum(TorchEngine.scalar(in[0], 0)))),
            Map.entry("Neg", (n, in) -> one(in[0].neg())),
            Map.entry("Exp", (n, in) -> one(in[0].exp())),
            Map.entry("Add", (n, in) -> one(in[0].add(in[1]))),
            Map.entry("Sub", (n, in) -> one(in[0].sub(in[1]))),
            Map.entry("Mul", (n, in) -> one(in[0].mul(in[1]))),
            Map.entry("Div", OnnxOperators::div),
            Map.entry("Equal", (n, in) -> one(in[0].eq(in[1]))),
            Map.entry("Where", (n, in) -> one(NDArrays.where(in[0], in[1], in[2]))),
            Map.entry("Concat", OnnxOperators::concat),
            Map.entry("Split", OnnxOperators::split),
            Map.entry("Slice", OnnxOperators::slice),
            Map.entry("Reshape", OnnxOperators::reshape),
            Map.entry("Flatten", OnnxOperators::flatten),
            Map.entry("Transpose", OnnxOperators::transpose),
            Map.entry("Softmax", OnnxOperators::softmax),
            Map.entry("Squeeze", (n, in) -> one(in[0].squeeze(axes(n, in, in[0].getShape().dimension())))),
            Map.entry("Unsqueeze", OnnxOperators::unsqueeze),
            Map.entry("Expand", OnnxOperators::expand),
            Map.entry("Gather", OnnxOperators::gather),
            Map.entry("Shape", OnnxOperators::shape),
            Map.entry("Cast", (n, in) -> one(in[0].toType(dataType((int) n.integer("to", 0), n), false))),
            Map.entry("Identity", (n, in) -> one(in[0])),
            Map.entry("Range", OnnxOperators::range),
            Map.entry("Constant", (n, in) -> one(constant(n))),
            Map.entry("ConstantOfShape", OnnxOperators::constantOfShape));

    private OnnxOperators() {
    }

    /** Whether the runtime implements {@code opType} of the default ONNX domain. */
    static boolean supports(String domain, String opType) {
        return (domain.isEmpty() || domain.equals("ai.onnx")) && OPERATORS.containsKey(opType);
    }

    /** The implemented operators, sorted, for messages. */
    static String supported() {
        return String.join(", ", new TreeSet<>(OPERATORS.keySet()));
    }

    /** Runs one node. */
    static NDArray[] apply(Node node, NDArray[] inputs) {
        return OPERATORS.get(node.proto().getOpType()).apply(node, inputs);
    }

    private static NDArray[] one(NDArray array) {
        return new NDArray[] {array};
    }

    private static NDArray[] conv(Node node, NDArray[] in) {
        NDArray x = in[0];
        NDArray weight = in[1];
        int spatial = x.getShape().dimension() - 2;
        if (spatial != 2) {
            throw node.unsupported("a " + spatial + "-d Conv (only 2-d convolutions are implemented)");
        }
        long[] kernel = Arrays.copyOfRange(weight.getShape().getShape(), 2, 4);
        long[] strides = orDefault(node.integers("strides"), 1, 2);
        long[] dilations = orDefault(node.integers("dilations"), 1, 2);
        long[] pads = pads(node, x.getShape(), kernel, strides, dilations);
        Shape padding = new Shape(pads[0], pads[1]);
        if (pads[0] != pads[2] || pads[1] != pads[3]) {
            x = x.pad(new Shape(pads[1], pads[3], pads[0], pads[2]), 0);
            padding = new Shape(0, 0);
        }
        NDArray bias = in.length > 2 ? in[2] : null;
        NDList out = Conv2d.conv2d(x, weight, bias, new Shape(strides), padding, new Shape(dilations),
                (int) node.integer("group", 1));
        return one(out.singletonOrThrow());
    }

    private static NDArray[] maxPool(Node node, NDArray[] in) {
        NDArray x = in[0];
        if (x.getShape().dimension() != 4) {
            throw node.unsupported("a MaxPool over " + (x.getShape().dimension() - 2) + " dimensions (only 2-d)");
        }
        long[] kernel = node.integers("kernel_shape");
        long[] strides = orDefault(node.integers("strides"), 1, 2);
        long[] dilations = orDefault(node.integers("dilations"), 1, 2);
        if (dilations[0] != 1 || dilations[1] != 1 || node.proto().getOutputCount() > 1) {
            throw node.unsupported("MaxPool with dilations or an Indices output");
        }
        long[] pads = pads(node, x.getShape(), kernel, strides, dilations);
        Shape padding = new Shape(pads[0], pads[1]);
        if (pads[0] != pads[2] || pads[1] != pads[3]) {
            x = x.pad(new Shape(pads[1], pads[3], pads[0], pads[2]), Double.NEGATIVE_INFINITY);
            padding = new Shape(0, 0);
        }
        return one(Pool.maxPool2d(x, new Shape(kernel), new Shape(strides), padding,
                node.integer("ceil_mode", 0) != 0));
    }

    /** ONNX pads {@code [h_begin, w_begin, h_end, w_end]}, from {@code pads} or {@code auto_pad}. */
    private static long[] pads(Node node, Shape input, long[] kernel, long[] strides, long[] dilations) {
        String autoPad = node.text("auto_pad", "NOTSET");
        switch (autoPad) {
            case "NOTSET" -> {
                return orDefault(node.integers("pads"), 0, 4);
            }
            case "VALID" -> {
                return new long[4];
            }
            case "SAME_UPPER", "SAME_LOWER" -> {
                long[] pads = new long[4];
                for (int i = 0; i < 2; i++) {
                    long size = input.get(2 + i);
                    long out = (size + strides[i] - 1) / strides[i];
                    long total = Math.max(0, (out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - size);
                    long small = total / 2;
                    pads[i] = autoPad.equals("SAME_UPPER") ? small : total - small;
                    pads[i + 2] = total - pads[i];
                }
                return pads;
            }
            default -> throw node.unsupported("auto_pad " + autoPad);
        }
    }

    private static long[] orDefault(long[] values, long fallback, int length) {
        if (values != null && values.length > 0) {
            return values;
        }
        long[] filled = new long[length];
        Arrays.fill(filled, fallback);
        return filled;
    }

    /**
     * Nearest-neighbour Resize. Ultralytics exports {@code nn.Upsample(scale_factor=2)} as scales {@code [1, 1, 2, 2]}
     * with {@code asymmetric} coordinates and {@code floor}: exactly a repeat of every pixel, done as such. Other
     * coordinate modes and sizes pick source pixels by the ONNX formulas.
     */
    private static NDArray[] resize(Node node, NDArray[] in) {
        if (!node.text("mode", "nearest").equals("nearest")) {
            throw node.unsupported("Resize mode " + node.text("mode", "nearest") + " (only nearest)");
        }
        NDArray x = in[0];
        long[] shape = x.getShape().getShape();
        NDArray scalesInput = node.opset() < 11 ? in[1] : in.length > 2 ? in[2] : null;
        NDArray sizesInput = node.opset() >= 11 && in.length > 3 ? in[3] : null;
        double[] scales = new double[shape.length];
        long[] sizes = new long[shape.length];
        if (sizesInput != null && sizesInput.size() > 0) {
            sizes = sizesInput.toLongArray();
            for (int i = 0; i < shape.length; i++) {
                scales[i] = (double) sizes[i] / shape[i];
            }
        } else if (scalesInput != null && scalesInput.size() > 0) {
            float[] given = scalesInput.toType(DataType.FLOAT32, false).toFloatArray();
            for (int i = 0; i < shape.length; i++) {
                scales[i] = given[i];
                sizes[i] = (long) Math.floor(shape[i] * scales[i]);
            }
        } else {
            throw node.unsupported("Resize without scales or sizes");
        }
        if (node.integers("axes") != null) {
            throw node.unsupported("Resize with the axes attribute");
        }
        String coordinates = node.text("coordinate_transformation_mode", node.opset() < 11 ? "asymmetric" : "half_pixel");
        String rounding = node.text("nearest_mode", node.opset() < 11 ? "floor" : "round_prefer_floor");
        for (int axis = 0; axis < shape.length; axis++) {
            if (sizes[axis] == shape[axis]) {
                continue;
            }
            double scale = scales[axis];
            boolean repeat = coordinates.equals("asymmetric") && rounding.equals("floor") && scale == Math.rint(scale)
                    && sizes[axis] == shape[axis] * (long) scale;
            if (repeat) {
                x = x.repeat(axis, (long) scale);
                continue;
            }
            long[] source = new long[(int) sizes[axis]];
            for (int i = 0; i < source.length; i++) {
                double original = switch (coordinates) {
                    case "half_pixel" -> (i + 0.5) / scale - 0.5;
                    case "pytorch_half_pixel" -> sizes[axis] > 1 ? (i + 0.5) / scale - 0.5 : 0;
                    case "align_corners" -> sizes[axis] == 1 ? 0 : i * (shape[axis] - 1.0) / (sizes[axis] - 1.0);
                    case "asymmetric" -> i / scale;
                    default -> throw node.unsupported("Resize coordinate_transformation_mode " + coordinates);
                };
                long nearest = switch (rounding) {
                    case "floor" -> (long) Math.floor(original);
                    case "ceil" -> (long) Math.ceil(original);
                    case "round_prefer_floor" -> original == Math.floor(original) + 0.5 ? (long) Math.floor(original)
                            : Math.round(original);
                    case "round_prefer_ceil" -> (long) Math.floor(original + 0.5);
                    default -> throw node.unsupported("Resize nearest_mode " + rounding);
                };
                source[i] = Math.max(0, Math.min(shape[axis] - 1, nearest));
            }
            // In the run's manager: freed with the run, after the backward pass that reads the indices.
            x = x.get(new NDIndex(":, ".repeat(axis) + "{}", x.getManager().create(source)));
        }
        return one(x);
    }

    /** ONNX Div: integer division truncates (shape arithmetic), float division is IEEE. */
    private static NDArray[] div(Node node, NDArray[] in) {
        NDArray quotient = in[0].div(in[1]);
        DataType type = in[0].getDataType();
        return one(type.isInteger() ? quotient.toType(type, false) : quotient);
    }

    private static NDArray[] concat(Node node, NDArray[] in) {
        int axis = axis(node.integer("axis", 0), in[0].getShape().dimension());
        return one(NDArrays.concat(new NDList(in), axis));
    }

    /**
     * Split sizes come from the second input (opset 13 on), the {@code split} attribute (before 13), or are equal
     * parts: as many as there are outputs, or {@code num_outputs} (opset 18), the last part possibly smaller.
     */
    private static NDArray[] split(Node node, NDArray[] in) {
        NDArray x = in[0];
        int axis = axis(node.integer("axis", 0), x.getShape().dimension());
        long length = x.getShape().get(axis);
        long[] sizes = in.length > 1 && in[1] != null ? in[1].toLongArray() : node.integers("split");
        if (sizes == null || sizes.length == 0) {
            int parts = node.proto().getOutputCount();
            long each = (length + parts - 1) / parts;
            sizes = new long[parts];
            for (int i = 0; i < parts; i++) {
                sizes[i] = Math.min(each, length - i * each);
            }
        }
        long[] boundaries = new long[sizes.length - 1];
        long end = 0;
        for (int i = 0; i < boundaries.length; i++) {
            end += sizes[i];
            boundaries[i] = end;
        }
        return x.split(boundaries, axis).toArray(new NDArray[0]);
    }

    /** Slice with starts/ends/axes/steps as inputs (opset 10 on) or attributes (before 10); positive steps only. */
    private static NDArray[] slice(Node node, NDArray[] in) {
        NDArray x = in[0];
        int rank = x.getShape().dimension();
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (node.opset() < 10) {
            starts = node.integers("starts");
            ends = node.integers("ends");
            axes = node.integers("axes");
        } else {
            starts = in[1].toLongArray();
            ends = in[2].toLongArray();
            axes = in.length > 3 && in[3] != null ? in[3].toLongArray() : null;
            steps = in.length > 4 && in[4] != null ? in[4].toLongArray() : null;
        }
        long[] begin = new long[rank];
        long[] stop = x.getShape().getShape().clone();
        long[] step = new long[rank];
        Arrays.fill(step, 1);
        for (int i = 0; i < starts.length; i++) {
            int axis = axes == null ? i : axis(axes[i], rank);
            long size = x.getShape().get(axis);
            long s = steps == null ? 1 : steps[i];
            if (s <= 0) {
                throw node.unsupported("Slice with step " + s + " (only positive steps)");
            }
            begin[axis] = clamp(starts[i] < 0 ? starts[i] + size : starts[i], size);
            stop[axis] = clamp(ends[i] < 0 ? ends[i] + size : ends[i], size);
            step[axis] = s;
        }
        NDIndex index = new NDIndex();
        for (int axis = 0; axis < rank; axis++) {
            index.addSliceDim(begin[axis], Math.max(begin[axis], stop[axis]), step[axis]);
        }
        return one(x.get(index));
    }

    private static long clamp(long value, long size) {
        return Math.max(0, Math.min(size, value));
    }

    private static NDArray[] reshape(Node node, NDArray[] in) {
        long[] target = in[1].toLongArray();
        long[] shape = in[0].getShape().getShape();
        if (node.integer("allowzero", 0) == 0) {
            for (int i = 0; i < target.length; i++) {
                if (target[i] == 0) {
                    target[i] = shape[i];
                }
            }
        }
        return one(in[0].reshape(new Shape(target)));
    }

    private static NDArray[] flatten(Node node, NDArray[] in) {
        Shape shape = in[0].getShape();
        int axis = axis(node.integer("axis", 1), shape.dimension());
        long outer = shape.slice(0, axis).size();
        return one(in[0].reshape(outer, shape.size() / Math.max(outer, 1)));
    }

    private static NDArray[] transpose(Node node, NDArray[] in) {
        long[] perm = node.integers("perm");
        if (perm == null) {
            return one(in[0].transpose());
        }
        return one(in[0].transpose(Arrays.stream(perm).mapToInt(Math::toIntExact).toArray()));
    }

    /** Softmax over one axis (opset 13 on); before 13 over all axes from {@code axis} on, as a flattened row. */
    private static NDArray[] softmax(Node node, NDArray[] in) {
        Shape shape = in[0].getShape();
        int rank = shape.dimension();
        int axis = axis(node.integer("axis", node.opset() < 13 ? 1 : -1), rank);
        if (node.opset() >= 13 || axis == rank - 1) {
            return one(in[0].softmax(axis));
        }
        long outer = shape.slice(0, axis).size();
        return one(in[0].reshape(outer, shape.size() / outer).softmax(1).reshape(shape));
    }

    /** Squeeze/Unsqueeze axes: the second input from opset 13 on, else the {@code axes} attribute. */
    private static int[] axes(Node node, NDArray[] in, int rank) {
        long[] axes = node.opset() >= 13 ? (in.length > 1 && in[1] != null ? in[1].toLongArray() : null)
                : node.integers("axes");
        if (axes == null) {
            return in[0].getShape().getShape().length == 0 ? new int[0] : singletonAxes(in[0].getShape());
        }
        return Arrays.stream(axes).mapToInt(a -> axis(a, rank)).sorted().toArray();
    }

    private static int[] singletonAxes(Shape shape) {
        return IntStream.range(0, shape.dimension()).filter(i -> shape.get(i) == 1).toArray();
    }

    private static NDArray[] unsqueeze(Node node, NDArray[] in) {
        int outputRank = in[0].getShape().dimension() + (node.opset() >= 13 ? (int) in[1].size()
                : node.integers("axes").length);
        NDArray x = in[0];
        for (int axis : axes(node, in, outputRank)) {
            x = x.expandDims(axis);
        }
        return one(x);
    }

    /** Expand broadcasts both ways: a 1 in the target shape keeps the input's size. */
    private static NDArray[] expand(Node node, NDArray[] in) {
        long[] shape = in[0].getShape().getShape();
        long[] target = in[1].toLongArray();
        int rank = Math.max(shape.length, target.length);
        long[] result = new long[rank];
        for (int i = 0; i < rank; i++) {
            long a = i - (rank - shape.length) >= 0 ? shape[i - (rank - shape.length)] : 1;
            long b = i - (rank - target.length) >= 0 ? target[i - (rank - target.length)] : 1;
            result[i] = a == 1 ? b : a;
        }
        return one(in[0].broadcast(new Shape(result)));
    }

    private static NDArray[] gather(Node node, NDArray[] in) {
        int axis = axis(node.integer("axis", 0), in[0].getShape().dimension());
        return one(in[0].get(new NDIndex(":, ".repeat(axis) + "{}", in[1].toType(DataType.INT64, false))));
    }

    private static NDArray[] shape(Node node, NDArray[] in) {
        long[] shape = in[0].getShape().getShape();
        int rank = shape.length;
        int start = (int) node.integer("start", 0);
        int end = (int) node.integer("end", rank);
        start = Math.max(0, Math.min(rank, start < 0 ? start + rank : start));
        end = Math.max(start, Math.min(rank, end < 0 ? end + rank : end));
        return one(node.manager().create(Arrays.copyOfRange(shape, start, end)));
    }

    private static NDArray[] range(Node node, NDArray[] in) {
        DataType type = in[0].getDataType();
        NDArray range = node.manager().arange(in[0].toType(DataType.FLOAT32, false).getFloat(),
                in[1].toType(DataType.FLOAT32, false).getFloat(), in[2].toType(DataType.FLOAT32, false).getFloat(),
                DataType.FLOAT32);
        return one(range.toType(type, false));
    }

    private static NDArray constant(Node node) {
        for (AttributeProto attribute : node.proto().getAttributeList()) {
            switch (attribute.getName()) {
                case "value" -> {
                    return constantTensor(node, attribute.getT());
                }
                case "value_float" -> {
                    return node.manager().create(attribute.getF());
                }
                case "value_floats" -> {
                    float[] values = new float[attribute.getFloatsCount()];
                    for (int i = 0; i < values.length; i++) {
                        values[i] = attribute.getFloats(i);
                    }
                    return node.manager().create(values);
                }
                case "value_int" -> {
                    return node.manager().create(attribute.getI());
                }
                case "value_ints" -> {
                    return node.manager().create(attribute.getIntsList().stream().mapToLong(Long::longValue).toArray());
                }
                default -> {
                }
            }
        }
        throw node.unsupported("a Constant without a numeric value");
    }

    private static NDArray[] constantOfShape(Node node, NDArray[] in) {
        AttributeProto value = node.attribute("value");
        Shape shape = new Shape(in[0].toLongArray());
        if (value == null) {
            return one(node.manager().zeros(shape, DataType.FLOAT32));
        }
        NDArray fill = constantTensor(node, value.getT());
        return one(fill.reshape(new Shape()).broadcast(shape).duplicate());
    }

    private static NDArray constantTensor(Node node, TensorProto tensor) {
        try {
            return tensor(node.manager(), tensor);
        } catch (IllegalArgumentException e) {
            throw node.unsupported("a constant " + e.getMessage());
        }
    }

    /**
     * An ONNX tensor as an NDArray.
     *
     * @throws IllegalArgumentException for element types other than FLOAT, INT64 and INT32, and external data
     */
    static NDArray tensor(NDManager manager, TensorProto tensor) {
        Shape shape = new Shape(tensor.getDimsList().stream().mapToLong(Long::longValue).toArray());
        return switch (tensor.getDataType()) {
            case TensorProto.DataType.FLOAT_VALUE -> manager.create(GraphView.floats(tensor), shape);
            case TensorProto.DataType.INT64_VALUE -> manager.create(GraphView.longs(tensor), shape);
            case TensorProto.DataType.INT32_VALUE -> {
                int[] values = new int[Math.toIntExact(GraphView.elementCount(tensor))];
                ByteBuffer raw = tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
                for (int i = 0; i < values.length; i++) {
                    values[i] = raw.hasRemaining() ? raw.getInt(i * Integer.BYTES) : tensor.getInt32Data(i);
                }
                yield manager.create(values, shape);
            }
            default -> throw new IllegalArgumentException("of element type "
                    + TensorProto.DataType.forNumber(tensor.getDataType()) + " (FLOAT, INT64 and INT32 are supported)");
        };
    }

    private static DataType dataType(int onnxType, Node node) {
        return switch (onnxType) {
            case TensorProto.DataType.FLOAT_VALUE -> DataType.FLOAT32;
            case TensorProto.DataType.DOUBLE_VALUE -> DataType.FLOAT64;
            case TensorProto.DataType.FLOAT16_VALUE -> DataType.FLOAT16;
            case TensorProto.DataType.INT64_VALUE -> DataType.INT64;
            case TensorProto.DataType.INT32_VALUE -> DataType.INT32;
            case TensorProto.DataType.INT8_VALUE -> DataType.INT8;
            case TensorProto.DataType.UINT8_VALUE -> DataType.UINT8;
            case TensorProto.DataType.BOOL_VALUE -> DataType.BOOLEAN;
            default -> throw node.unsupported("Cast to element type " + TensorProto.DataType.forNumber(onnxType));
        };
    }

    private static int axis(long axis, int rank) {
        return (int) (axis < 0 ? axis + rank : axis);
    }
}
