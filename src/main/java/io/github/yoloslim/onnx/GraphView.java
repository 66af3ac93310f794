package io.github.yoloslim.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** An index over one graph: which node produces a tensor, which nodes consume it, and the initializers. */
public final class GraphView {

    private final GraphProto graph;
    private final Map<String, NodeProto> producers = new HashMap<>();
    private final Map<String, List<NodeProto>> consumers = new HashMap<>();
    private final Map<String, TensorProto> initializers = new LinkedHashMap<>();
    private final Map<String, ValueInfoProto> valueInfos = new HashMap<>();

    GraphView(GraphProto graph) {
        this.graph = graph;
        for (NodeProto node : graph.getNodeList()) {
            for (String output : node.getOutputList()) {
                producers.put(output, node);
            }
            for (String input : node.getInputList()) {
                if (!input.isEmpty()) {
                    consumers.computeIfAbsent(input, k -> new ArrayList<>()).add(node);
                }
            }
        }
        for (TensorProto initializer : graph.getInitializerList()) {
            initializers.put(initializer.getName(), initializer);
        }
        for (List<ValueInfoProto> infos : List.of(graph.getInputList(), graph.getValueInfoList(),
                graph.getOutputList())) {
            for (ValueInfoProto info : infos) {
                valueInfos.put(info.getName(), info);
            }
        }
    }

    /** The graph this view indexes. */
    public GraphProto graph() {
        return graph;
    }

    /** The node that writes {@code tensor}, if any (graph inputs and initializers have none). */
    public Optional<NodeProto> producer(String tensor) {
        return Optional.ofNullable(producers.get(tensor));
    }

    /** The nodes that read {@code tensor}, in graph order. */
    public List<NodeProto> consumers(String tensor) {
        return Collections.unmodifiableList(consumers.getOrDefault(tensor, List.of()));
    }

    /** The initializer called {@code name}, if any. */
    public Optional<TensorProto> initializer(String name) {
        return Optional.ofNullable(initializers.get(name));
    }

    /** All initializers by name, in graph order. */
    public Map<String, TensorProto> initializers() {
        return Collections.unmodifiableMap(initializers);
    }

    /** The graph inputs that are not initializers (older exporters list initializers as inputs too). */
    public List<ValueInfoProto> realInputs() {
        return graph.getInputList().stream().filter(input -> !initializers.containsKey(input.getName())).toList();
    }

    /** The declared shape of a tensor, when the graph states one. */
    public Optional<TensorShape> shape(String tensor) {
        ValueInfoProto info = valueInfos.get(tensor);
        if (info == null || !info.getType().hasTensorType() || !info.getType().getTensorType().hasShape()) {
            return Optional.empty();
        }
        return Optional.of(TensorShape.of(info.getType().getTensorType().getShape()));
    }

    /**
     * An initializer's values as floats (FLOAT or DOUBLE data, in {@code float_data}/{@code double_data} or
     * little-endian {@code raw_data}).
     *
     * @throws IllegalArgumentException for other element types or externally stored data
     */
    public static float[] floats(TensorProto tensor) {
        if (tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            throw new IllegalArgumentException("initializer " + tensor.getName()
                    + " keeps its data in an external file, which is not supported");
        }
        int count = Math.toIntExact(elementCount(tensor));
        float[] values = new float[count];
        ByteBuffer raw = tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        switch (tensor.getDataType()) {
            case TensorProto.DataType.FLOAT_VALUE -> {
                if (raw.hasRemaining()) {
                    raw.asFloatBuffer().get(values);
                } else {
                    for (int i = 0; i < count; i++) {
                        values[i] = tensor.getFloatData(i);
                    }
                }
            }
            case TensorProto.DataType.DOUBLE_VALUE -> {
                for (int i = 0; i < count; i++) {
                    values[i] = (float) (raw.hasRemaining() ? raw.getDouble(i * Double.BYTES) : tensor.getDoubleData(i));
                }
            }
            default -> throw new IllegalArgumentException("initializer " + tensor.getName() + " has element type "
                    + TensorProto.DataType.forNumber(tensor.getDataType()) + ", not FLOAT or DOUBLE");
        }
        return values;
    }

    /**
     * An initializer's values as longs (INT64 data, in {@code int64_data} or little-endian {@code raw_data}), as
     * shapes, split sizes and axes are stored.
     *
     * @throws IllegalArgumentException for other element types or externally stored data
     */
    public static long[] longs(TensorProto tensor) {
        if (tensor.getDataType() != TensorProto.DataType.INT64_VALUE
                || tensor.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            throw new IllegalArgumentException("initializer " + tensor.getName()
                    + " is not INT64 data stored in the file");
        }
        long[] values = new long[Math.toIntExact(elementCount(tensor))];
        ByteBuffer raw = tensor.getRawData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.length; i++) {
            values[i] = raw.hasRemaining() ? raw.getLong(i * Long.BYTES) : tensor.getInt64Data(i);
        }
        return values;
    }

    /** A FLOAT initializer of the given dims, values in little-endian {@code raw_data} (what {@link #floats} reads). */
    public static TensorProto floatTensor(String name, long[] dims, float[] values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asFloatBuffer().put(values);
        return rawTensor(name, TensorProto.DataType.FLOAT, dims, raw);
    }

    /** A one-dimensional INT64 initializer, values in little-endian {@code raw_data} (what {@link #longs} reads). */
    public static TensorProto int64Tensor(String name, long[] values) {
        ByteBuffer raw = ByteBuffer.allocate(values.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        raw.asLongBuffer().put(values);
        return rawTensor(name, TensorProto.DataType.INT64, new long[] {values.length}, raw);
    }

    private static TensorProto rawTensor(String name, TensorProto.DataType type, long[] dims, ByteBuffer raw) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name).setDataType(type.getNumber())
                .setRawData(ByteString.copyFrom(raw.array()));
        for (long dim : dims) {
            tensor.addDims(dim);
        }
        return tensor.build();
    }

    /** The number of elements of a tensor, from its dims. */
    public static long elementCount(TensorProto tensor) {
        long count = 1;
        for (long dim : tensor.getDimsList()) {
            count *= dim;
        }
        return count;
    }
}
