package io.github.yoloslim.onnx;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.InvalidProtocolBufferException;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.FileSnapshot;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX model held as its protobuf, with the facts the pipeline needs: opset, IR version, metadata. Unknown
 * fields survive a load/save round trip, so models from newer exporters are written back intact.
 */
public final class OnnxModel {

    private final ModelProto proto;
    private final String source;

    private OnnxModel(ModelProto proto, String source) {
        this.proto = proto;
        this.source = source;
    }

    /** Wraps a model built or edited in memory. */
    public static OnnxModel of(ModelProto proto) {
        return new OnnxModel(proto, "<in memory>");
    }

    /**
     * Loads an ONNX file.
     *
     * @param parameter the name of the setting the path came from, for messages (e.g. {@code <model>})
     * @throws InvalidInputException when the file is missing or is not an ONNX model
     */
    public static OnnxModel load(Path file, String parameter) throws IOException {
        return parse(read(file, parameter), parameter);
    }

    /**
     * Reads an ONNX file's bytes once, for a caller that must hash exactly what it runs.
     *
     * @throws InvalidInputException when the file is missing
     */
    public static FileSnapshot read(Path file, String parameter) throws IOException {
        try {
            return FileSnapshot.read(file);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(parameter + " " + file + " does not exist. Point " + parameter
                    + " at an ONNX file exported from YOLOv8 (e.g. `yolo export model=yolov8n.pt format=onnx`).");
        }
    }

    /**
     * Parses the bytes of an ONNX file.
     *
     * @throws InvalidInputException when they are not an ONNX model
     */
    public static OnnxModel parse(FileSnapshot snapshot, String parameter) {
        Path file = snapshot.file();
        ModelProto proto;
        try {
            proto = ModelProto.parseFrom(snapshot.bytes());
        } catch (InvalidProtocolBufferException e) {
            throw notOnnx(file, parameter, "it does not parse as an ONNX protobuf (" + e.getMessage().replaceAll("\\.$", "")
                    + ")");
        }
        if (proto.getIrVersion() <= 0 || !proto.hasGraph() || proto.getGraph().getNodeCount() == 0) {
            throw notOnnx(file, parameter, "it has no IR version or no graph nodes");
        }
        return new OnnxModel(proto, file.toString());
    }

    private static InvalidInputException notOnnx(Path file, String parameter, String why) {
        return new InvalidInputException(parameter + " " + file + " is not a valid ONNX model: " + why
                + ". Re-export the model, or check that the file is not truncated or a Git LFS pointer.");
    }

    /** The protobuf, for reading and for building edited copies. */
    public ModelProto proto() {
        return proto;
    }

    /** The main graph. */
    public GraphProto graph() {
        return proto.getGraph();
    }

    /** Where the model came from, for messages. */
    public String source() {
        return source;
    }

    /** The ONNX IR version. */
    public long irVersion() {
        return proto.getIrVersion();
    }

    /** The opset of the default ONNX domain, or 0 when the model imports none. */
    public long opsetVersion() {
        for (OperatorSetIdProto opset : proto.getOpsetImportList()) {
            if (opset.getDomain().isEmpty() || opset.getDomain().equals("ai.onnx")) {
                return opset.getVersion();
            }
        }
        return 0;
    }

    /** The metadata properties in file order (Ultralytics writes {@code names}, {@code imgsz}, ...). */
    public Map<String, String> metadata() {
        Map<String, String> metadata = new LinkedHashMap<>();
        for (StringStringEntryProto entry : proto.getMetadataPropsList()) {
            metadata.put(entry.getKey(), entry.getValue());
        }
        return Collections.unmodifiableMap(metadata);
    }

    /**
     * This model with metadata property {@code key} set to {@code value} (replacing any), or removed for a null
     * value; the other properties keep their order.
     */
    public OnnxModel withMetadata(String key, String value) {
        ModelProto.Builder builder = proto.toBuilder().clearMetadataProps();
        proto.getMetadataPropsList().stream().filter(entry -> !entry.getKey().equals(key))
                .forEach(builder::addMetadataProps);
        if (value != null) {
            builder.addMetadataProps(StringStringEntryProto.newBuilder().setKey(key).setValue(value));
        }
        return of(builder.build());
    }

    /** A fresh index of the graph's producers, consumers and initializers. */
    public GraphView graphView() {
        return new GraphView(proto.getGraph());
    }

    /**
     * The part of the model that computes {@code tensors}: only the nodes they depend on, their initializers, and
     * {@code tensors} as the float outputs. Running it costs only that prefix of the network.
     */
    public OnnxModel truncatedTo(List<String> tensors) {
        GraphProto graph = proto.getGraph();
        Map<String, Integer> producers = new HashMap<>();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            for (String output : graph.getNode(i).getOutputList()) {
                producers.put(output, i);
            }
        }
        boolean[] needed = new boolean[graph.getNodeCount()];
        Deque<String> pending = new ArrayDeque<>(tensors);
        Set<String> read = new HashSet<>();
        while (!pending.isEmpty()) {
            String tensor = pending.pop();
            if (!read.add(tensor)) {
                continue;
            }
            Integer node = producers.get(tensor);
            if (node != null && !needed[node]) {
                needed[node] = true;
                pending.addAll(graph.getNode(node).getInputList());
            }
        }
        GraphProto.Builder truncated = graph.toBuilder().clearNode().clearInitializer().clearOutput();
        for (int i = 0; i < needed.length; i++) {
            if (needed[i]) {
                truncated.addNode(graph.getNode(i));
            }
        }
        graph.getInitializerList().stream().filter(initializer -> read.contains(initializer.getName()))
                .forEach(truncated::addInitializer);
        for (String tensor : tensors) {
            truncated.addOutput(ValueInfoProto.newBuilder().setName(tensor).setType(TypeProto.newBuilder()
                    .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
        }
        return new OnnxModel(proto.toBuilder().setGraph(truncated).build(), source);
    }


    /** The serialized model. */
    public byte[] toBytes() {
        return proto.toByteArray();
    }

    /** Writes the model atomically. */
    public void save(Path file) throws IOException {
        AtomicFiles.write(file, proto::writeTo);
    }
}
