package io.github.yoloslim.testing;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import io.github.yoloslim.onnx.OnnxModel;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Builds small convolutional graphs in code, YOLOv8-style (Conv → SiLU blocks, residual Adds, Concats, pooling,
 * upsampling), with seeded random weights. Every method returns the name of the tensor it produced.
 */
public final class GraphBuilder {

    private final GraphProto.Builder graph = GraphProto.newBuilder().setName("tiny");
    private final Random random;

    public GraphBuilder(long seed) {
        this.random = new Random(seed);
    }

    /** A float graph input {@code [1, channels, size, size]}. */
    public String input(String name, int channels, int size) {
        graph.addInput(TinyDetectors.tensor(name, 1, channels, size, size));
        return name;
    }

    /** Declares {@code tensor} a graph output of the given dims. */
    public GraphBuilder output(String tensor, long... dims) {
        graph.addOutput(TinyDetectors.tensor(tensor, dims));
        return this;
    }

    /** A {@code kernel × kernel} Conv (stride 1, same padding) with random weights in ±1/√fan-in and bias. */
    public String conv(String name, String input, int in, int out, int kernel) {
        return conv(name, input, in, out, kernel, 1, true);
    }

    /**
     * A {@code kernel × kernel} Conv with padding {@code kernel / 2}, random weights in ±1/√fan-in and, when
     * {@code bias}, a random bias in ±0.5 ({@code <name>.weight}, {@code <name>.bias}).
     */
    public String conv(String name, String input, int in, int out, int kernel, int stride, boolean bias) {
        int fanIn = in * kernel * kernel;
        float[] weights = new float[out * fanIn];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = (float) ((random.nextDouble() * 2 - 1) / Math.sqrt(fanIn));
        }
        graph.addInitializer(TinyDetectors.floats(name + ".weight", weights, out, in, kernel, kernel));
        List<String> inputs = new ArrayList<>(List.of(input, name + ".weight"));
        if (bias) {
            float[] values = new float[out];
            for (int i = 0; i < out; i++) {
                values[i] = (float) (random.nextDouble() - 0.5);
            }
            graph.addInitializer(TinyDetectors.floats(name + ".bias", values, out));
            inputs.add(name + ".bias");
        }
        long pad = kernel / 2;
        return node(name, "Conv", inputs, ints("kernel_shape", kernel, kernel), ints("pads", pad, pad, pad, pad),
                ints("strides", stride, stride));
    }

    /** A Conv followed by SiLU ({@code x · sigmoid(x)}), as YOLOv8's Conv module exports. */
    public String convSilu(String name, String input, int in, int out, int kernel) {
        return convSilu(name, input, in, out, kernel, 1);
    }

    /** A Conv ({@code <name>/conv}) of the given stride followed by SiLU. */
    public String convSilu(String name, String input, int in, int out, int kernel, int stride) {
        return silu(name, conv(name + "/conv", input, in, out, kernel, stride, true));
    }

    /**
     * YOLOv8's Conv module exported without folding: a Conv without bias ({@code <name>/conv}), BatchNormalization
     * ({@code <name>/bn}, random γ, β, mean and variance) and SiLU.
     */
    public String convBnSilu(String name, String input, int in, int out, int kernel, int stride) {
        String x = conv(name + "/conv", input, in, out, kernel, stride, false);
        String[] parameters = {"weight", "bias", "running_mean", "running_var"};
        for (String parameter : parameters) {
            float[] values = new float[out];
            for (int i = 0; i < out; i++) {
                double u = random.nextDouble();
                values[i] = (float) switch (parameter) {
                    case "weight" -> 0.5 + u;
                    case "running_var" -> 0.25 + u;
                    default -> u - 0.5;
                };
            }
            graph.addInitializer(TinyDetectors.floats(name + "/bn." + parameter, values, out));
        }
        List<String> inputs = new ArrayList<>(List.of(x));
        for (String parameter : parameters) {
            inputs.add(name + "/bn." + parameter);
        }
        String bn = node(name + "/bn", "BatchNormalization", inputs, floatAttribute("epsilon", 1e-3f));
        return silu(name, bn);
    }

    private String silu(String name, String x) {
        String sigmoid = node(name + "/act/Sigmoid", "Sigmoid", List.of(x));
        return node(name + "/act/Mul", "Mul", List.of(x, sigmoid));
    }

    /** A node with one output called {@code <name>_output_0}. */
    public String node(String name, String op, List<String> inputs, AttributeProto... attributes) {
        String output = name + "_output_0";
        graph.addNode(NodeProto.newBuilder().setName(name).setOpType(op).addAllInput(inputs).addOutput(output)
                .addAllAttribute(List.of(attributes)));
        return output;
    }

    /** Adds a raw node (several outputs, no naming convention). */
    public GraphBuilder node(NodeProto node) {
        graph.addNode(node);
        return this;
    }

    /** Adds an initializer. */
    public String initializer(TensorProto tensor) {
        graph.addInitializer(tensor);
        return tensor.getName();
    }

    /** An INT64 vector initializer (shapes, split sizes). */
    public String int64s(String name, long... values) {
        TensorProto.Builder tensor = TensorProto.newBuilder().setName(name)
                .setDataType(TensorProto.DataType.INT64_VALUE).addDims(values.length);
        for (long value : values) {
            tensor.addInt64Data(value);
        }
        return initializer(tensor.build());
    }

    /** An INTS attribute. */
    public static AttributeProto ints(String name, long... values) {
        AttributeProto.Builder attribute = AttributeProto.newBuilder().setName(name)
                .setType(AttributeProto.AttributeType.INTS);
        for (long value : values) {
            attribute.addInts(value);
        }
        return attribute.build();
    }

    /** An INT attribute. */
    public static AttributeProto integer(String name, long value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.INT).setI(value).build();
    }

    /** A FLOAT attribute. */
    public static AttributeProto floatAttribute(String name, float value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.FLOAT).setF(value)
                .build();
    }

    /** A STRING attribute. */
    public static AttributeProto string(String name, String value) {
        return AttributeProto.newBuilder().setName(name).setType(AttributeProto.AttributeType.STRING)
                .setS(ByteString.copyFromUtf8(value)).build();
    }

    /** The model, importing the default ONNX domain at {@code opset}. */
    public OnnxModel build(int opset) {
        return OnnxModel.of(ModelProto.newBuilder().setIrVersion(opset >= 13 ? 8 : 6).setProducerName("yolo-slim-tests")
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(opset))
                .setGraph(graph).build());
    }
}
