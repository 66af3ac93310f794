package io.github.yoloslim.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.prune.YoloGraphs;
import io.github.yoloslim.testing.GraphBuilder;
import io.github.yoloslim.testing.TinyDetectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static io.github.yoloslim.testing.GraphBuilder.integer;
import static io.github.yoloslim.testing.GraphBuilder.ints;
import static io.github.yoloslim.testing.GraphBuilder.string;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Gradients of small graphs through libtorch's autograd against central finite differences of the same graph
 * with one weight moved, loaded as constants. The loss is {@code Σ output · r} with fixed random {@code r}.
 */
class GradientCheckTest {

    private static final double STEP = 3e-3;
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
    void convWithSiluStridesGroupsDilationAndUnevenPads() {
        check(g -> {
            String x = g.convSilu("a", "images", 3, 4, 3, 2);
            g.initializer(TinyDetectors.floats("dw.weight", random(4 * 3 * 3, 1), 4, 1, 3, 3));
            x = g.node("dw", "Conv", List.of(x, "dw.weight"), integer("group", 4), ints("dilations", 2, 2),
                    ints("pads", 1, 2, 2, 1));
            return g.conv("b", x, 4, 2, 1);
        });
    }

    @Test
    void splitAndConcat() {
        check(g -> {
            String x = g.convSilu("a", "images", 3, 4, 1);
            String split = g.int64s("split", 1, 3);
            g.node(NodeProto.newBuilder().setName("s").setOpType("Split").addInput(x).addInput(split).addOutput("s0")
                    .addOutput("s1").addAttribute(integer("axis", 1)).build());
            String right = g.conv("c", "s1", 3, 3, 3);
            String joined = g.node("j", "Concat", List.of("s0", right, "s0"), integer("axis", 1));
            return g.conv("b", joined, 5, 2, 1);
        });
    }

    @Test
    void residualAdd() {
        check(g -> {
            String x = g.convSilu("a", "images", 3, 4, 3);
            String y = g.convSilu("c", x, 4, 4, 3);
            return g.conv("b", g.node("add", "Add", List.of(x, y)), 4, 2, 1);
        });
    }

    @Test
    void maxPoolAsSppfAndStrided() {
        check(g -> {
            String x = g.convSilu("a", "images", 3, 4, 3);
            String pooled = g.node("p", "MaxPool", List.of(x), ints("kernel_shape", 5, 5), ints("pads", 2, 2, 2, 2),
                    ints("strides", 1, 1));
            pooled = g.node("q", "MaxPool", List.of(pooled), ints("kernel_shape", 2, 2), ints("strides", 2, 2));
            return g.conv("b", pooled, 4, 2, 1);
        });
    }

    @Test
    void nearestResizeAsUltralyticsAndByHalfPixelSizes() {
        check(g -> {
            String x = g.convSilu("a", "images", 3, 4, 3, 2);
            String scales = g.initializer(TinyDetectors.floats("scales", new float[] {1, 1, 2, 2}, 4));
            String up = g.node("up", "Resize", List.of(x, "", scales), string("mode", "nearest"),
                    string("coordinate_transformation_mode", "asymmetric"), string("nearest_mode", "floor"));
            String sizes = g.int64s("sizes", 1, 4, 12, 12);
            String up2 = g.node("up2", "Resize", List.of(up, "", "", sizes), string("mode", "nearest"));
            return g.conv("b", up2, 4, 2, 1);
        });
    }

    @Test
    void dflLikeReshapeTransposeSoftmax() {
        check(g -> {
            String x = g.conv("a", "images", 3, 8, 3, 1, true);
            x = g.node("r", "Reshape", List.of(x, g.int64s("shape", 1, 4, 2, -1)));
            x = g.node("t", "Transpose", List.of(x), ints("perm", 0, 2, 1, 3));
            x = g.node("sm", "Softmax", List.of(x), integer("axis", 1));
            String bins = g.initializer(TinyDetectors.floats("bins", new float[] {0, 1}, 1, 2, 1, 1));
            return g.node("dfl", "Conv", List.of(x, bins));
        });
    }

    /**
     * Builds {@code images [1, 3, 8, 8] → body → output}, and compares the gradient of every trainable
     * initializer at a few seeded positions with central differences.
     */
    private static void check(java.util.function.Function<GraphBuilder, String> body) {
        GraphBuilder builder = new GraphBuilder(7);
        builder.input("images", 3, SIZE);
        String output = body.apply(builder);
        OnnxModel model = builder.output(output).build(17);
        float[] image = random(3 * SIZE * SIZE, 2);
        Set<String> trainable = TrainableGraph.convParameters(model);
        assertThat(trainable).isNotEmpty();

        Map<String, float[]> analytic = new java.util.HashMap<>();
        float[] weights;
        try (TrainableGraph graph = TrainableGraph.load(model, trainable, manager, "<model>");
                NDManager run = manager.newSubManager()) {
            NDArray input = run.create(FloatBuffer.wrap(image), new Shape(1, 3, SIZE, SIZE));
            try (GradientCollector collector = TorchEngine.get().newGradientCollector()) {
                NDArray y = graph.run(run, input, List.of(output)).get(output);
                weights = random(Math.toIntExact(y.size()), 3);
                collector.backward(y.mul(run.create(weights, y.getShape())).sum());
            }
            graph.parameters().forEach((name, parameter) -> analytic.put(name, parameter.getGradient()
                    .toFloatArray()));
        }
        Random positions = new Random(4);
        int checked = 0;
        for (String name : trainable) {
            float[] gradient = analytic.get(name);
            for (int k = 0; k < 4; k++) {
                int index = positions.nextInt(gradient.length);
                double numeric = (loss(model, name, index, STEP, image, output, weights)
                        - loss(model, name, index, -STEP, image, output, weights)) / (2 * STEP);
                assertThat((double) gradient[index]).as("d loss / d %s[%d]", name, index)
                        .isCloseTo(numeric, org.assertj.core.api.Assertions.within(2e-3 + 2e-2 * Math.abs(numeric)));
                checked++;
            }
        }
        assertThat(checked).isGreaterThanOrEqualTo(8);
    }

    /** The loss with initializer {@code name}[{@code index}] moved by {@code delta}, in double precision. */
    private static double loss(OnnxModel model, String name, int index, double delta, float[] image, String output,
            float[] weights) {
        OnnxModel moved = YoloGraphs.editInitializer(model, name, values -> {
            float[] changed = values.clone();
            changed[index] += (float) delta;
            return changed;
        });
        try (TrainableGraph graph = TrainableGraph.load(moved, Set.of(), manager, "<model>");
                NDManager run = manager.newSubManager()) {
            NDArray input = run.create(FloatBuffer.wrap(image), new Shape(1, 3, SIZE, SIZE));
            float[] y = graph.run(run, input, List.of(output)).get(output).toFloatArray();
            double loss = 0;
            for (int i = 0; i < y.length; i++) {
                loss += (double) y[i] * weights[i];
            }
            return loss;
        }
    }

    private static float[] random(int count, long seed) {
        Random random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) (random.nextDouble() * 2 - 1);
        }
        return values;
    }
}
