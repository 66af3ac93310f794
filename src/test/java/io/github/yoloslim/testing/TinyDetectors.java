package io.github.yoloslim.testing;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.StringStringEntryProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Small real ONNX models built in code for tests: detectors whose output does not depend on the image, so a
 * test knows exactly which boxes the pipeline must decode, and a few non-detectors to be refused.
 */
public final class TinyDetectors {

    /** A box the constant detector outputs: centre, size (input pixels), the class and its score. */
    public record Box(float cx, float cy, float w, float h, int classIndex, float score) {
    }

    /** One anchor's output: centre, size and a score for every class. */
    public record Anchor(float cx, float cy, float w, float h, float... scores) {
    }

    private TinyDetectors() {
    }

    /**
     * A detector with input {@code images [batch, 3, size, size]} and output {@code output0 [batch, 4+nc, anchors]}
     * that returns {@code boxes} (padded with zero-score anchors) for every image.
     *
     * @param batch the fixed batch size, or 0 for a dynamic batch
     */
    public static ModelProto constant(int size, int batch, List<String> names, int anchors, List<Box> boxes) {
        return constant(size, batch, names, anchors, boxes, false);
    }

    /** As {@link #constant(int, int, List, int, List)}, optionally with the transposed output {@code [batch, anchors, 4+nc]}. */
    public static ModelProto constant(int size, int batch, List<String> names, int anchors, List<Box> boxes,
            boolean anchorsFirst) {
        List<Anchor> outputs = boxes.stream().map(box -> {
            float[] scores = new float[names.size()];
            scores[box.classIndex()] = box.score();
            return new Anchor(box.cx(), box.cy(), box.w(), box.h(), scores);
        }).toList();
        return constantAnchors(size, batch, names, anchors, outputs, anchorsFirst);
    }

    /** A constant detector given per-anchor outputs, so one anchor can score several classes. */
    public static ModelProto constantAnchors(int size, int batch, List<String> names, int anchors,
            List<Anchor> outputs, boolean anchorsFirst) {
        int attributes = 4 + names.size();
        float[] values = new float[attributes * anchors];
        for (int a = 0; a < outputs.size(); a++) {
            Anchor anchor = outputs.get(a);
            values[a] = anchor.cx();
            values[anchors + a] = anchor.cy();
            values[2 * anchors + a] = anchor.w();
            values[3 * anchors + a] = anchor.h();
            for (int c = 0; c < names.size(); c++) {
                values[(4 + c) * anchors + a] = anchor.scores()[c];
            }
        }
        if (anchorsFirst) {
            float[] transposed = new float[values.length];
            for (int a = 0; a < attributes; a++) {
                for (int n = 0; n < anchors; n++) {
                    transposed[n * attributes + a] = values[a * anchors + n];
                }
            }
            values = transposed;
        }
        long[] outputDims = anchorsFirst ? new long[] {1, anchors, attributes} : new long[] {1, attributes, anchors};
        GraphProto graph = GraphProto.newBuilder()
                .setName("tiny-detector")
                .addInput(tensor("images", batch, 3, size, size))
                .addOutput(tensor("output0", batch, outputDims[1], outputDims[2]))
                .addInitializer(floats("predictions", values, outputDims))
                .addInitializer(floats("zero", new float[] {0f}))
                .addInitializer(TensorProto.newBuilder().setName("shape").setDataType(TensorProto.DataType.INT64_VALUE)
                        .addDims(3).addAllInt64Data(List.of(-1L, 1L, 1L)).build())
                // max(images) * 0 + predictions: the output follows the input's batch size but not its pixels.
                .addNode(node("ReduceMax", List.of("images"), "reduced",
                        AttributeProto.newBuilder().setName("axes").setType(AttributeProto.AttributeType.INTS)
                                .addAllInts(List.of(1L, 2L, 3L)).build()))
                .addNode(node("Reshape", List.of("reduced", "shape"), "per_image"))
                .addNode(node("Mul", List.of("per_image", "zero"), "zeros"))
                .addNode(node("Add", List.of("zeros", "predictions"), "output0"))
                .build();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("task", "detect");
        metadata.put("imgsz", "[" + size + ", " + size + "]");
        metadata.put("names", names(names));
        return model(graph, metadata);
    }

    /**
     * A small convolutional detector shaped like YOLOv8's layers: a stride-2 Conv with SiLU, a 1×1 Conv to
     * {@code 4 + nc} maps, flattened to {@code output0 [1, 4+nc, (size/2)²]}. Weights are seeded random, so
     * the output depends on the pixels and quantizing it changes its numbers a little.
     */
    public static ModelProto convolutional(int size, List<String> names, long seed) {
        int hidden = 8;
        int attributes = 4 + names.size();
        int anchors = (size / 2) * (size / 2);
        java.util.Random random = new java.util.Random(seed);
        float[] w1 = new float[hidden * 3 * 3 * 3];
        float[] b1 = new float[hidden];
        float[] w2 = new float[attributes * hidden];
        float[] b2 = new float[attributes];
        for (int i = 0; i < w1.length; i++) {
            w1[i] = (float) (random.nextGaussian() * 0.5);
        }
        for (int i = 0; i < w2.length; i++) {
            w2[i] = (float) (random.nextGaussian() * 0.3);
        }
        for (int i = 0; i < b1.length; i++) {
            b1[i] = (float) (random.nextGaussian() * 0.1);
        }
        GraphProto graph = GraphProto.newBuilder()
                .setName("tiny-conv-detector")
                .addInput(tensor("images", 1, 3, size, size))
                .addOutput(tensor("output0", 1, attributes, anchors))
                .addInitializer(floats("w1", w1, hidden, 3, 3, 3))
                .addInitializer(floats("b1", b1, hidden))
                .addInitializer(floats("w2", w2, attributes, hidden, 1, 1))
                .addInitializer(floats("b2", b2, attributes))
                .addInitializer(TensorProto.newBuilder().setName("flat").setDataType(TensorProto.DataType.INT64_VALUE)
                        .addDims(3).addAllInt64Data(List.of(1L, (long) attributes, (long) anchors)).build())
                .addNode(NodeProto.newBuilder().setOpType("Conv").setName("/model.0/conv/Conv")
                        .addAllInput(List.of("images", "w1", "b1")).addOutput("conv0")
                        .addAttribute(ints("kernel_shape", 3, 3)).addAttribute(ints("strides", 2, 2))
                        .addAttribute(ints("pads", 1, 1, 1, 1)))
                .addNode(node("Sigmoid", List.of("conv0"), "sig0"))
                .addNode(node("Mul", List.of("conv0", "sig0"), "act0"))
                .addNode(NodeProto.newBuilder().setOpType("Conv").setName("/model.1/conv/Conv")
                        .addAllInput(List.of("act0", "w2", "b2")).addOutput("conv1")
                        .addAttribute(ints("kernel_shape", 1, 1)))
                .addNode(node("Reshape", List.of("conv1", "flat"), "output0"))
                .build();
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("task", "detect");
        metadata.put("names", names(names));
        return model(graph, metadata);
    }

    private static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder attribute = AttributeProto.newBuilder().setName(name)
                .setType(AttributeProto.AttributeType.INTS);
        Arrays.stream(values).forEach(attribute::addInts);
        return attribute.build();
    }

    /** Ultralytics' {@code names} metadata: a Python dict literal. */
    public static String names(List<String> names) {
        List<String> entries = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            entries.add(i + ": '" + names.get(i) + "'");
        }
        return entries.stream().collect(Collectors.joining(", ", "{", "}"));
    }

    /** A classifier-shaped model: {@code images [1,3,s,s] → output0 [1, classes]}. */
    public static ModelProto classifier(int size, int classes) {
        GraphProto graph = GraphProto.newBuilder()
                .setName("tiny-classifier")
                .addInput(tensor("images", 1, 3, size, size))
                .addOutput(tensor("output0", 1, classes))
                .addInitializer(floats("logits", new float[classes], 1, classes))
                .addNode(node("Identity", List.of("logits"), "output0"))
                .build();
        return model(graph, Map.of("task", "classify"));
    }

    /** Sets or replaces metadata entries of a model. */
    public static ModelProto withMetadata(ModelProto model, Map<String, String> entries) {
        Map<String, String> metadata = new LinkedHashMap<>();
        model.getMetadataPropsList().forEach(e -> metadata.put(e.getKey(), e.getValue()));
        metadata.putAll(entries);
        metadata.values().removeIf(v -> v == null);
        ModelProto.Builder builder = model.toBuilder().clearMetadataProps();
        metadata.forEach((k, v) -> builder.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return builder.build();
    }

    private static ModelProto model(GraphProto graph, Map<String, String> metadata) {
        ModelProto.Builder model = ModelProto.newBuilder()
                .setIrVersion(8)
                .setProducerName("yolo-slim-tests")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .setGraph(graph);
        metadata.forEach((k, v) -> model.addMetadataProps(StringStringEntryProto.newBuilder().setKey(k).setValue(v)));
        return model.build();
    }

    /** A float tensor value info; a size of 0 makes that dimension dynamic. */
    public static ValueInfoProto tensor(String name, long... dims) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        for (long dim : dims) {
            shape.addDim(dim > 0 ? TensorShapeProto.Dimension.newBuilder().setDimValue(dim)
                    : TensorShapeProto.Dimension.newBuilder().setDimParam("batch"));
        }
        return ValueInfoProto.newBuilder().setName(name)
                .setType(TypeProto.newBuilder().setTensorType(TypeProto.Tensor.newBuilder()
                        .setElemType(TensorProto.DataType.FLOAT_VALUE).setShape(shape)))
                .build();
    }

    /** A float initializer. */
    public static TensorProto floats(String name, float[] values, long... dims) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name).setDataType(TensorProto.DataType.FLOAT_VALUE);
        Arrays.stream(dims).forEach(tensor::addDims);
        for (float value : values) {
            tensor.addFloatData(value);
        }
        return tensor.build();
    }

    /** A node with one output. */
    public static NodeProto node(String op, List<String> inputs, String output, AttributeProto... attributes) {
        return NodeProto.newBuilder().setOpType(op).setName(op + "_" + output).addAllInput(inputs).addOutput(output)
                .addAllAttribute(List.of(attributes)).build();
    }
}
