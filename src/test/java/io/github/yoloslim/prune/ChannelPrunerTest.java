package io.github.yoloslim.prune;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.TensorShape;
import io.github.yoloslim.testing.GraphBuilder;
import io.github.yoloslim.testing.OrtRuns;
import io.github.yoloslim.testing.TinyDetectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static io.github.yoloslim.testing.GraphBuilder.integer;
import static io.github.yoloslim.testing.GraphBuilder.ints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ChannelPrunerTest {

    private static final long[] SMALL_INPUT = {1, 3, 8, 8};

    /**
     * Exactness on the YOLOv8 topology: two channels of every group are made constant (γ = 0 with the BN, or zero
     * folded weights), then pruned with no measured means, and ONNX Runtime's outputs must not move.
     *
     * <p>Every output must match, so the constants are chosen where absorption is exact everywhere: a group whose
     * removed channels only reach 1×1 Convs (through Concat, Split, MaxPool, Resize) gets non-zero constants, which
     * the consumers absorb exactly; a group read by a zero-padded 3×3 Conv gets the constant 0 (SiLU(0) = 0, so the
     * padding and the channel agree at the border; the border itself is tested by
     * {@link #kByKConsumersAreExactInsideAndOffAtTheBorder}). The last bottleneck of the residual chain reaches only
     * the 1×1 {@code cv2}, so its member gets a non-zero constant: the consumer sees the sum over the chain's Adds.
     */
    @ParameterizedTest(name = "batchNorm={0}")
    @ValueSource(booleans = {false, true})
    void removingConstantChannelsLeavesTheOutputsExact(boolean batchNorm) throws Exception {
        OnnxModel original = YoloGraphs.yolo(batchNorm);
        ChannelDependencyAnalysis structure = ChannelDependencyAnalysis.analyze(original);
        OnnxModel model = original;
        Map<String, int[]> removed = new LinkedHashMap<>();
        int nonZero = 0;
        for (ChannelGroup group : structure.groups()) {
            int[] channels = {1, group.size() - 1};
            removed.put(group.name(), channels);
            boolean onlyOneByOne = onlyOneByOneConsumers(original, structure, group.name(), channels);
            for (ChannelGroup.Member member : group.members()) {
                boolean free = onlyOneByOne || member.conv().equals("/model.1/m.1/cv2/conv");
                for (int j : channels) {
                    float value = free ? 0.5f + 0.25f * j : 0;
                    nonZero += free ? 1 : 0;
                    model = makeConstant(model, member, member.offset() + j, value);
                }
            }
        }
        assertThat(nonZero).as("non-zero constants").isGreaterThan(20);
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(model);
        PruneOutcome outcome = ChannelPruner.prune(model, analysis, removed, Map.of());

        float[] input = YoloGraphs.input(YoloGraphs.INPUT_SHAPE, 5);
        float[] expected = OrtRuns.run(model, input, YoloGraphs.INPUT_SHAPE);
        double diff = YoloGraphs.maxAbsDiff(expected, OrtRuns.run(outcome.model(), input, YoloGraphs.INPUT_SHAPE));
        System.out.printf("exactness (batchNorm=%s): max |pruned - original| = %.3g%n", batchNorm, diff);
        assertThat(diff).isLessThan(1e-4);
        assertThat(outcome.notes()).containsExactly(
                "removed 56 of 208 prunable channels, in 28 of 28 groups; 27 Convs lost output channels, "
                        + "30 lost input channels",
                "removed input channels absorbed into the consumers' biases: 0 with measured means, 84 with exact "
                        + "constants, 0 plainly deleted (neither measured nor constant)");
        assertThat(parameters(outcome.model())).isLessThan(parameters(model));

        // Control: absorbing zeros instead (plain deletion) moves the outputs, so the absorption above did the work.
        Map<String, double[]> zeros = new HashMap<>();
        ChannelPruner.absorptionTensors(model, analysis, removed).forEach(tensor -> zeros.put(tensor,
                new double[ChannelDependencyAnalysis.channels(analysis.layouts().get(tensor))]));
        float[] deleted = OrtRuns.run(ChannelPruner.prune(model, analysis, removed, zeros).model(), input,
                YoloGraphs.INPUT_SHAPE);
        assertThat(YoloGraphs.maxAbsDiff(expected, deleted)).isGreaterThan(1e-2);
    }

    /**
     * A constant channel read by a zero-padded 3×3 Conv: the full kernel sum is absorbed, so the outputs are exact
     * where the kernel lies inside the image and differ at the one-pixel border by exactly the constant times the
     * weights of the taps that fall on the padding.
     */
    @Test
    void kByKConsumersAreExactInsideAndOffAtTheBorder() throws Exception {
        GraphBuilder g = new GraphBuilder(11);
        String a = g.convSilu("/a", g.input("images", 3, 8), 3, 4, 3);
        String y = g.conv("/y", a, 4, 3, 3);
        OnnxModel model = g.output(y, 1, 3, 8, 8).build(17);
        float bias = 0.8f;
        model = makeConstant(model, new ChannelGroup.Member("/a/conv", null, 0), 2, bias);
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(model);
        PruneOutcome outcome = ChannelPruner.prune(model, analysis, Map.of("/a/conv", new int[] {2}), Map.of());

        float[] input = YoloGraphs.input(SMALL_INPUT, 2);
        float[] original = OrtRuns.run(model, input, SMALL_INPUT);
        float[] pruned = OrtRuns.run(outcome.model(), input, SMALL_INPUT);
        float[] w = GraphView.floats(model.graphView().initializer("/y.weight").orElseThrow());
        double value = bias / (1 + Math.exp(-bias));
        double interior = 0;
        double border = 0;
        double worst = 0;
        for (int o = 0; o < 3; o++) {
            for (int r = 0; r < 8; r++) {
                for (int c = 0; c < 8; c++) {
                    double outside = 0;
                    for (int kh = 0; kh < 3; kh++) {
                        for (int kw = 0; kw < 3; kw++) {
                            boolean padding = r + kh - 1 < 0 || r + kh - 1 >= 8 || c + kw - 1 < 0 || c + kw - 1 >= 8;
                            outside += padding ? w[((o * 4 + 2) * 3 + kh) * 3 + kw] : 0;
                        }
                    }
                    int i = (o * 8 + r) * 8 + c;
                    double diff = pruned[i] - original[i];
                    boolean atBorder = r == 0 || r == 7 || c == 0 || c == 7;
                    interior = atBorder ? interior : Math.max(interior, Math.abs(diff));
                    border = atBorder ? Math.max(border, Math.abs(diff)) : border;
                    worst = Math.max(worst, Math.abs(diff - value * outside));
                }
            }
        }
        System.out.printf("3x3 consumer: interior %.3g, border up to %.3g, vs predicted %.3g%n", interior, border,
                worst);
        assertThat(interior).isLessThan(1e-5);
        assertThat(border).isGreaterThan(1e-2);
        assertThat(worst).isLessThan(1e-5);
    }

    /** Measured means are what gets absorbed: a 1×1 consumer's output keeps its mean over the image. */
    @Test
    void measuredMeansAreAbsorbedAndKeepTheOutputMean() throws Exception {
        OnnxModel model = producerAndConsumer();
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(model);
        Map<String, int[]> removed = Map.of("/a/conv", new int[] {1, 3});
        Set<String> tensors = ChannelPruner.absorptionTensors(model, analysis, removed);
        assertThat(tensors).containsExactly("/a/act/Mul_output_0");

        float[] input = YoloGraphs.input(SMALL_INPUT, 3);
        float[] activation = OrtRuns.run(model, input, SMALL_INPUT, tensors).get("/a/act/Mul_output_0");
        double[] means = channelMeans(activation, 4);
        PruneOutcome outcome = ChannelPruner.prune(model, analysis, removed, Map.of("/a/act/Mul_output_0", means));
        assertThat(outcome.notes().get(1)).startsWith("removed input channels absorbed into the consumers' biases: "
                + "2 with measured means, 0 with exact constants, 0 plainly deleted");

        double[] expected = channelMeans(OrtRuns.run(model, input, SMALL_INPUT), 3);
        double[] absorbed = channelMeans(OrtRuns.run(outcome.model(), input, SMALL_INPUT), 3);
        double[] deleted = channelMeans(OrtRuns.run(ChannelPruner.prune(model, analysis, removed, Map.of()).model(),
                input, SMALL_INPUT), 3);
        System.out.printf("output means: original %s, absorbed %s, deleted %s%n", Arrays.toString(expected),
                Arrays.toString(absorbed), Arrays.toString(deleted));
        assertThat(maxAbsDiff(absorbed, expected)).isLessThan(1e-5);
        assertThat(maxAbsDiff(deleted, expected)).isGreaterThan(1e-2);
    }

    /** A channel that is neither measured nor constant is dropped: as if the consumer's weights for it were 0. */
    @Test
    void withoutMeansANonConstantChannelIsPlainlyDeleted() throws Exception {
        OnnxModel model = producerAndConsumer();
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(model);
        PruneOutcome outcome = ChannelPruner.prune(model, analysis, Map.of("/a/conv", new int[] {1}), Map.of());
        assertThat(outcome.notes().get(1)).contains("0 with measured means, 0 with exact constants, 1 plainly deleted");

        OnnxModel zeroColumn = YoloGraphs.editInitializer(model, "/y.weight", w -> {
            for (int o = 0; o < 3; o++) {
                w[o * 4 + 1] = 0;
            }
            return w;
        });
        float[] input = YoloGraphs.input(SMALL_INPUT, 4);
        assertThat(YoloGraphs.maxAbsDiff(OrtRuns.run(zeroColumn, input, SMALL_INPUT),
                OrtRuns.run(outcome.model(), input, SMALL_INPUT))).isLessThan(1e-6);
        // The consumer's bias is untouched, its weight lost the column.
        assertThat(GraphView.floats(outcome.model().graphView().initializer("/y.bias").orElseThrow()))
                .containsExactly(GraphView.floats(model.graphView().initializer("/y.bias").orElseThrow()));
        assertThat(outcome.model().graphView().initializer("/y.weight").orElseThrow().getDimsList())
                .containsExactly(3L, 3L, 1L, 1L);
    }

    /** Split sizes are rewritten in whatever form the opset and the node state them. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"opset 11 attribute", "opset 11 equal parts", "opset 13 input", "opset 13 equal parts",
            "opset 18 num_outputs"})
    void splitSizesFollowInTheirForm(String form) throws Exception {
        int opset = Integer.parseInt(form.split(" ")[1]);
        GraphBuilder g = new GraphBuilder(6);
        String cv1 = g.convSilu("/cv1", g.input("images", 3, 8), 3, 8, 1);
        NodeProto.Builder split = NodeProto.newBuilder().setName("/Split").setOpType("Split").addInput(cv1)
                .addOutput("s0").addOutput("s1").addAttribute(integer("axis", 1));
        switch (form) {
            case "opset 11 attribute" -> split.addAttribute(ints("split", 4, 4));
            case "opset 13 input" -> split.addInput(g.int64s("sizes", 4, 4));
            case "opset 18 num_outputs" -> split.addAttribute(integer("num_outputs", 2));
            default -> {
            }
        }
        g.node(split.build());
        String a = g.conv("/a", "s0", 4, 2, 1);
        String b = g.conv("/b", "s1", 4, 2, 1);
        String y = g.node("/Concat", "Concat", List.of(a, b), integer("axis", 1));
        OnnxModel model = makeConstant(g.output(y, 1, 4, 8, 8).build(opset),
                new ChannelGroup.Member("/cv1/conv", null, 0), 1, -0.6f);

        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(model);
        assertThat(analysis.groups()).extracting(ChannelGroup::name)
                .containsExactly("/cv1/conv[0:4]", "/cv1/conv[4:8]");
        PruneOutcome outcome = ChannelPruner.prune(model, analysis, Map.of("/cv1/conv[0:4]", new int[] {1}),
                Map.of());
        float[] input = YoloGraphs.input(SMALL_INPUT, 6);
        assertThat(YoloGraphs.maxAbsDiff(OrtRuns.run(model, input, SMALL_INPUT),
                OrtRuns.run(outcome.model(), input, SMALL_INPUT))).isLessThan(1e-5);

        NodeProto rewritten = node(outcome.model(), "/Split");
        List<Long> sizes = opset < 13 ? ChannelDependencyAnalysis.attribute(rewritten, "split").orElseThrow()
                .getIntsList() : Arrays.stream(GraphView.longs(outcome.model().graphView()
                        .initializer(rewritten.getInput(1)).orElseThrow())).boxed().toList();
        assertThat(sizes).containsExactly(3L, 4L);
        assertThat(rewritten.getAttributeList()).extracting(AttributeProto::getName).doesNotContain("num_outputs");
    }

    /** Exporters share one sizes constant between Splits; only the Split whose input changed gets its own. */
    @Test
    void sharedSplitSizesAreCopiedForTheSplitThatChanges() throws Exception {
        GraphBuilder g = new GraphBuilder(8);
        String x = g.input("images", 3, 8);
        String sizes = g.int64s("sizes", 2, 2);
        String[] outputs = new String[2];
        for (int k = 0; k < 2; k++) {
            String cv1 = g.convSilu("/c" + k, x, 3, 4, 1);
            g.node(NodeProto.newBuilder().setName("/Split" + k).setOpType("Split").addInput(cv1).addInput(sizes)
                    .addOutput("s" + k + "a").addOutput("s" + k + "b").addAttribute(integer("axis", 1)).build());
            outputs[k] = g.node("/Concat" + k, "Concat", List.of("s" + k + "b", "s" + k + "a"), integer("axis", 1));
        }
        String sum = g.node("/Add", "Add", List.of(g.conv("/y0", outputs[0], 4, 2, 1), g.conv("/y1", outputs[1], 4, 2,
                1)));
        OnnxModel model = g.output(sum, 1, 2, 8, 8).build(17);
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(model);
        PruneOutcome outcome = ChannelPruner.prune(model, analysis, Map.of("/c1/conv[2:4]", new int[] {0}), Map.of());

        GraphView pruned = outcome.model().graphView();
        assertThat(node(outcome.model(), "/Split0").getInput(1)).isEqualTo("sizes");
        assertThat(node(outcome.model(), "/Split1").getInput(1)).isEqualTo("sizes_/Split1");
        assertThat(GraphView.longs(pruned.initializer("sizes").orElseThrow())).containsExactly(2, 2);
        assertThat(GraphView.longs(pruned.initializer("sizes_/Split1").orElseThrow())).containsExactly(2, 1);
        OrtRuns.run(outcome.model(), YoloGraphs.input(SMALL_INPUT, 8), SMALL_INPUT);
    }

    /** Some exporters list initializers as graph inputs too: those declarations follow the new shapes. */
    @Test
    void initializersListedAsInputsAreRedeclared() throws Exception {
        OnnxModel plain = producerAndConsumer();
        GraphProto.Builder graph = plain.graph().toBuilder();
        plain.graph().getInitializerList().forEach(tensor -> graph.addInput(TinyDetectors.tensor(tensor.getName(),
                tensor.getDimsList().stream().mapToLong(Long::longValue).toArray())));
        OnnxModel model = OnnxModel.of(plain.proto().toBuilder().setGraph(graph).build());
        PruneOutcome outcome = ChannelPruner.prune(model, ChannelDependencyAnalysis.analyze(model),
                Map.of("/a/conv", new int[] {1}), Map.of());
        Map<String, TensorShape> declared = new HashMap<>();
        outcome.model().graph().getInputList().forEach(input -> declared.put(input.getName(),
                outcome.model().graphView().shape(input.getName()).orElseThrow()));
        assertThat(declared).containsOnlyKeys("images", "/a/conv.weight", "/a/conv.bias", "/y.weight", "/y.bias")
                .containsEntry("/a/conv.weight", TensorShape.fixed(3, 3, 3, 3))
                .containsEntry("/a/conv.bias", TensorShape.fixed(3))
                .containsEntry("/y.weight", TensorShape.fixed(3, 3, 1, 1))
                .containsEntry("/y.bias", TensorShape.fixed(3));
        assertThat(OrtRuns.run(outcome.model(), YoloGraphs.input(SMALL_INPUT, 9), SMALL_INPUT)).hasSize(3 * 64);
    }

    @Test
    void pruningIsDeterministicAndLeavesTheInputAlone() {
        OnnxModel model = YoloGraphs.yolo(true);
        byte[] before = model.toBytes();
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(model);
        Map<String, int[]> removed = new LinkedHashMap<>();
        analysis.groups().forEach(group -> removed.put(group.name(), new int[] {0, 2}));
        byte[] first = ChannelPruner.prune(model, analysis, removed, Map.of()).model().toBytes();
        byte[] second = ChannelPruner.prune(model, ChannelDependencyAnalysis.analyze(model), new HashMap<>(removed),
                Map.of()).model().toBytes();
        assertThat(second).isEqualTo(first);
        assertThat(model.toBytes()).isEqualTo(before);
    }

    @Test
    void badRemovalsAreRefused() {
        OnnxModel model = producerAndConsumer();
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(model);
        assertThatThrownBy(() -> ChannelPruner.prune(model, analysis, Map.of("/a/conv", new int[] {0, 1, 2, 3}),
                Map.of())).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("removing all 4 channels of '/a/conv'");
        assertThatThrownBy(() -> ChannelPruner.prune(model, analysis, Map.of("/a/conv", new int[] {2, 1}), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sorted, distinct and in [0, 4)");
        assertThatThrownBy(() -> ChannelPruner.absorptionTensors(model, analysis, Map.of("/y", new int[] {0})))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'/y', which is not a prunable group");
        assertThatThrownBy(() -> ChannelPruner.prune(model, analysis, Map.of("/a/conv", new int[] {0}),
                Map.of("/a/act/Mul_output_0", new double[3]))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("has 3 values, but the tensor has 4 channels");
        assertThatThrownBy(() -> ChannelPruner.prune(YoloGraphs.yolo(false), analysis, Map.of(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("another model");
    }

    /** {@code images [1,3,8,8]} → Conv 3×3 + SiLU ({@code /a}, 4 channels) → Conv 1×1 ({@code /y}, 3 channels). */
    private static OnnxModel producerAndConsumer() {
        GraphBuilder g = new GraphBuilder(12);
        String a = g.convSilu("/a", g.input("images", 3, 8), 3, 4, 3);
        return g.output(g.conv("/y", a, 4, 3, 1), 1, 3, 8, 8).build(17);
    }

    /**
     * Makes output channel {@code channel} of the member constant {@code value} before SiLU: with a BN, γ = 0 and
     * β = value; folded, a zero weight row and bias = value.
     */
    static OnnxModel makeConstant(OnnxModel model, ChannelGroup.Member member, int channel, float value) {
        NodeProto node = node(model, member.batchNorm() != null ? member.batchNorm() : member.conv());
        OnnxModel zeroed = YoloGraphs.editInitializer(model, node.getInput(1), values -> {
            int perChannel = values.length / outputChannels(model, node);
            Arrays.fill(values, channel * perChannel, (channel + 1) * perChannel, 0f);
            return values;
        });
        return YoloGraphs.editInitializer(zeroed, node.getInput(2), values -> {
            values[channel] = value;
            return values;
        });
    }

    private static int outputChannels(OnnxModel model, NodeProto node) {
        return (int) model.graphView().initializer(node.getInput(2)).orElseThrow().getDims(0);
    }

    private static boolean onlyOneByOneConsumers(OnnxModel model, ChannelDependencyAnalysis analysis, String group,
            int[] channels) {
        GraphView view = model.graphView();
        return ChannelPruner.absorptionTensors(model, analysis, Map.of(group, channels)).stream()
                .flatMap(tensor -> view.consumers(tensor).stream()).filter(n -> n.getOpType().equals("Conv"))
                .allMatch(conv -> ChannelDependencyAnalysis.attribute(conv, "kernel_shape").orElseThrow()
                        .getIntsList().equals(List.of(1L, 1L)));
    }

    static NodeProto node(OnnxModel model, String name) {
        return model.graph().getNodeList().stream().filter(n -> n.getName().equals(name)).findFirst().orElseThrow();
    }

    static long parameters(OnnxModel model) {
        return model.graphView().initializers().values().stream().mapToLong(GraphView::elementCount).sum();
    }

    private static double maxAbsDiff(double[] a, double[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    /** Per-channel means of an NCHW batch of one. */
    private static double[] channelMeans(float[] values, int channels) {
        double[] means = new double[channels];
        int plane = values.length / channels;
        for (int c = 0; c < channels; c++) {
            for (int i = 0; i < plane; i++) {
                means[c] += values[c * plane + i];
            }
            means[c] /= plane;
        }
        return means;
    }
}
