package io.github.yoloslim.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.prune.YoloGraphs;
import io.github.yoloslim.testing.GraphBuilder;
import io.github.yoloslim.testing.OrtRuns;
import io.github.yoloslim.testing.TinyDetectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.function.Function;

import static io.github.yoloslim.testing.GraphBuilder.floatAttribute;
import static io.github.yoloslim.testing.GraphBuilder.integer;
import static io.github.yoloslim.testing.GraphBuilder.ints;
import static io.github.yoloslim.testing.GraphBuilder.string;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Operator forms that differ between opsets and exporters, each against ONNX Runtime on the same graph: the
 * output of libtorch's run must match within float rounding.
 */
class OperatorFormsTest {

    private static final int SIZE = 8;
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = TorchEngine.newManager(TorchEngine.resolve(TrainingDevice.CPU));
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void splitByAttributeAndTwoDimensionalSoftmaxBeforeOpset13() throws Exception {
        matchesOnnxRuntime(11, g -> {
            String x = g.conv("a", "images", 3, 4, 3);
            g.node(NodeProto.newBuilder().setName("s").setOpType("Split").addInput(x).addOutput("s0").addOutput("s1")
                    .addAttribute(integer("axis", 1)).addAttribute(ints("split", 1, 3)).build());
            String joined = g.node("j", "Concat", List.of("s1", "s0"), integer("axis", 1));
            String squeezed = g.node("u", "Unsqueeze", List.of(joined), ints("axes", 0));
            squeezed = g.node("q", "Squeeze", List.of(squeezed), ints("axes", 0));
            return g.node("sm", "Softmax", List.of(squeezed), integer("axis", 1));
        });
    }

    @Test
    void splitIntoEqualPartsAndByNumOutputs() throws Exception {
        matchesOnnxRuntime(13, g -> {
            String x = g.conv("a", "images", 3, 4, 3);
            g.node(NodeProto.newBuilder().setName("s").setOpType("Split").addInput(x).addOutput("s0").addOutput("s1")
                    .addAttribute(integer("axis", 1)).build());
            return g.node("m", "Mul", List.of("s0", "s1"));
        });
        matchesOnnxRuntime(18, g -> {
            String x = g.conv("a", "images", 3, 5, 3);
            g.node(NodeProto.newBuilder().setName("s").setOpType("Split").addInput(x).addOutput("s0").addOutput("s1")
                    .addOutput("s2").addAttribute(integer("axis", 1)).addAttribute(integer("num_outputs", 3)).build());
            return g.node("j", "Concat", List.of("s2", "s0", "s1"), integer("axis", 1));
        });
    }

    @Test
    void nearestResizeCoordinateModesScalesAndSizes() throws Exception {
        String[][] modes = {{"half_pixel", "round_prefer_floor"}, {"align_corners", "round_prefer_ceil"},
                {"asymmetric", "ceil"}, {"pytorch_half_pixel", "floor"}};
        for (String[] mode : modes) {
            matchesOnnxRuntime(13, g -> {
                String x = g.conv("a", "images", 3, 2, 3);
                String scales = g.initializer(TinyDetectors.floats("scales", new float[] {1, 1, 1.5f, 2.5f}, 4));
                String up = g.node("up", "Resize", List.of(x, "", scales), string("mode", "nearest"),
                        string("coordinate_transformation_mode", mode[0]), string("nearest_mode", mode[1]));
                String sizes = g.int64s("sizes", 1, 2, 7, 5);
                return g.node("down", "Resize", List.of(up, "", "", sizes), string("mode", "nearest"),
                        string("coordinate_transformation_mode", mode[0]), string("nearest_mode", mode[1]));
            });
        }
    }

    @Test
    void poolingAndConvolutionPaddingForms() throws Exception {
        matchesOnnxRuntime(17, g -> {
            String x = g.conv("a", "images", 3, 4, 3);
            String pooled = g.node("p", "MaxPool", List.of(x), ints("kernel_shape", 3, 3), ints("strides", 2, 2),
                    ints("pads", 0, 1, 1, 0), integer("ceil_mode", 1));
            g.initializer(TinyDetectors.floats("w", new float[] {0.5f, -1, 2, 0.25f, 1, -0.5f, 1, 1, -2}, 1, 1, 3, 3));
            String first = g.node("first", "Slice", List.of(pooled, g.int64s("zero", 0), g.int64s("one", 1),
                    g.int64s("axis", 1)));
            return g.node("same", "Conv", List.of(first, "w"), string("auto_pad", "SAME_UPPER"), ints("strides", 2, 2));
        });
    }

    @Test
    void slicingGatheringAndReshaping() throws Exception {
        matchesOnnxRuntime(17, g -> {
            String x = g.conv("a", "images", 3, 6, 3);
            String sliced = g.node("sl", "Slice", List.of(x, g.int64s("starts", -7, 1), g.int64s("ends", 100, 5),
                    g.int64s("axes", 2, 1), g.int64s("steps", 2, 1)));
            String gathered = g.node("g", "Gather", List.of(sliced, g.int64s("indices", 3, 0, 2)), integer("axis", 1));
            String flat = g.node("f", "Flatten", List.of(gathered), integer("axis", 2));
            String expanded = g.node("e", "Expand", List.of(flat, g.int64s("shape", 2, 1, 1)));
            String transposed = g.node("t", "Transpose", List.of(expanded));
            return g.node("scaled", "Div", List.of(transposed, g.initializer(TinyDetectors.floats("two",
                    new float[] {2}))));
        });
    }

    @Test
    void constantsAndShapeArithmetic() throws Exception {
        matchesOnnxRuntime(17, g -> {
            String x = g.conv("a", "images", 3, 4, 3);
            String shape = g.node("shape", "Shape", List.of(x));
            String channels = g.node("c", "Gather", List.of(shape, g.int64s("one", 1)), integer("axis", 0));
            String range = g.node("r", "Range", List.of(g.initializer(TinyDetectors.floats("start", new float[] {0})),
                    g.initializer(TinyDetectors.floats("limit", new float[] {4})),
                    g.initializer(TinyDetectors.floats("delta", new float[] {1}))));
            String ramp = g.node("ramp", "Reshape", List.of(range, g.node("rs", "Concat", List.of(g.int64s("n", 1),
                    channels, g.int64s("hw", 1, 1)), integer("axis", 0))));
            g.node(NodeProto.newBuilder().setName("k").setOpType("Constant").addOutput("k_out")
                    .addAttribute(floatAttribute("value_float", 0.25f)).build());
            String fill = g.node("fill", "ConstantOfShape", List.of(g.int64s("fill_shape", 1, 4, 1, 1)));
            String offset = g.node("o", "Add", List.of(fill, "k_out"));
            String shifted = g.node("sh", "Add", List.of(g.node("m", "Mul", List.of(x, ramp)), offset));
            return g.node("relu", "Relu", List.of(g.node("n", "Neg", List.of(shifted))));
        });
    }

    /** Builds {@code images [1, 3, 8, 8] → body → output} at {@code opset} and compares libtorch with ONNX Runtime. */
    private static void matchesOnnxRuntime(int opset, Function<GraphBuilder, String> body) throws Exception {
        GraphBuilder builder = new GraphBuilder(5);
        builder.input("images", 3, SIZE);
        String output = body.apply(builder);
        OnnxModel model = builder.output(output).build(opset);
        long[] shape = {1, 3, SIZE, SIZE};
        float[] image = YoloGraphs.input(shape, 9);
        float[] expected = OrtRuns.run(model, image, shape);
        float[] actual;
        try (TrainableGraph graph = TrainableGraph.load(model, TrainableGraph.convParameters(model), manager,
                "<model>"); NDManager run = manager.newSubManager()) {
            NDArray input = run.create(FloatBuffer.wrap(image), new Shape(shape));
            actual = graph.run(run, input, List.of(output)).get(output).toFloatArray();
        }
        assertThat(actual).as("opset %d", opset).hasSameSizeAs(expected);
        for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("opset %d, element %d", opset, i)
                    .isCloseTo(expected[i], org.assertj.core.api.Assertions.within(1e-5f * (1 + Math.abs(expected[i]))));
        }
    }
}
