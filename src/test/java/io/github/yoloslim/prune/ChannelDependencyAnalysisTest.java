package io.github.yoloslim.prune;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.testing.GraphBuilder;
import io.github.yoloslim.testing.OrtRuns;
import io.github.yoloslim.testing.TinyDetectors;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static io.github.yoloslim.testing.GraphBuilder.ints;
import static org.assertj.core.api.Assertions.assertThat;

class ChannelDependencyAnalysisTest {

    private static final String DECODE = "is part of the Detect head's decode (from a Reshape/Flatten of an "
            + "activation on), whose channel counts are fixed";

    @Test
    void groupsFollowTheYoloTopology() {
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(YoloGraphs.yolo(false));
        List<String> names = analysis.groups().stream().map(ChannelGroup::name).toList();
        // 1 stem + 5 C2f(2 bottlenecks) + 1 + 2 SPPF + 5 C2f + 1 + 5 C2f + 8 head = 28.
        assertThat(names).hasSize(28).startsWith("/model.0/conv", "/model.1/cv1/conv[0:4]", "/model.1/cv1/conv[4:8]")
                .contains("/model.1/m.0/cv1/conv", "/model.1/m.1/cv1/conv", "/model.1/cv2/conv", "/model.2/conv",
                        "/model.3/cv1/conv", "/model.3/cv2/conv", "/model.5/cv1/conv[0:4]", "/model.5/cv1/conv[4:8]",
                        "/model.5/m.0/cv2/conv", "/model.8/cv1/conv[0:8]", "/model.8/cv1/conv[8:16]",
                        "/model.9/cv2.0/cv2.0.0/conv", "/model.9/cv3.1/cv3.1.1/conv");
        assertThat(analysis.groups()).flatExtracting(ChannelGroup::members).extracting(ChannelGroup.Member::conv)
                .noneMatch(conv -> conv.endsWith(".2") || conv.contains("dfl"));

        // The first half of a C2f's cv1 only reaches the Concat; the second half is tied by the residual Adds
        // to both bottlenecks' cv2 outputs.
        assertThat(group(analysis, "/model.1/cv1/conv[0:4]").members())
                .containsExactly(new ChannelGroup.Member("/model.1/cv1/conv", null, 0));
        ChannelGroup residual = group(analysis, "/model.1/cv1/conv[4:8]");
        assertThat(residual.size()).isEqualTo(4);
        assertThat(residual.members()).containsExactly(new ChannelGroup.Member("/model.1/cv1/conv", null, 4),
                new ChannelGroup.Member("/model.1/m.0/cv2/conv", null, 0),
                new ChannelGroup.Member("/model.1/m.1/cv2/conv", null, 0));
        // Without shortcut the halves and the bottleneck are independent.
        assertThat(group(analysis, "/model.5/cv1/conv[4:8]").members()).hasSize(1);
        assertThat(group(analysis, "/model.5/m.0/cv2/conv").members()).hasSize(1);

        assertThat(analysis.notes().get(0))
                .isEqualTo("28 prunable channel groups (208 channels, over the outputs of 27 of 32 Convs); "
                        + "5 groups (21 channels) and 0 Convs left alone");
        assertThat(analysis.notes().subList(1, analysis.notes().size())).containsExactly(
                "left alone: /model.9/cv2.0/cv2.0.2 (8 channels): /model.9/Reshape_b0 (Reshape) " + DECODE,
                "left alone: /model.9/cv3.0/cv3.0.2 (2 channels): /model.9/Reshape_c0 (Reshape) " + DECODE,
                "left alone: /model.9/cv2.1/cv2.1.2 (8 channels): /model.9/Reshape_b1 (Reshape) " + DECODE,
                "left alone: /model.9/cv3.1/cv3.1.2 (2 channels): /model.9/Reshape_c1 (Reshape) " + DECODE,
                "left alone: /model.9/dfl/conv (1 channels): /model.9/dfl/Reshape_1 (Reshape) " + DECODE);
    }

    @Test
    void batchNormFormHasTheSameGroupsAndNamesTheBatchNorms() {
        ChannelDependencyAnalysis folded = ChannelDependencyAnalysis.analyze(YoloGraphs.yolo(false));
        ChannelDependencyAnalysis withBn = ChannelDependencyAnalysis.analyze(YoloGraphs.yolo(true));
        assertThat(withBn.groups()).extracting(ChannelGroup::name)
                .containsExactlyElementsOf(folded.groups().stream().map(ChannelGroup::name).toList());
        assertThat(withBn.groups()).flatExtracting(ChannelGroup::members).allSatisfy(member ->
                assertThat(member.batchNorm()).isEqualTo(member.conv().replaceAll("/conv$", "/bn")));
        assertThat(group(withBn, "/model.1/cv1/conv[4:8]").members()).extracting(ChannelGroup.Member::offset)
                .containsExactly(4, 0, 0);
    }

    @Test
    void anUnknownOperatorLeavesItsGroupAloneAndThePruneStillRuns() throws Exception {
        OnnxModel model = insertBefore(YoloGraphs.yolo(false), "/model.1/cv1/conv", 0, "Abs");
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(model);
        assertThat(analysis.groups()).hasSize(27).extracting(ChannelGroup::name).doesNotContain("/model.0/conv");
        assertThat(analysis.notes()).contains("left alone: /model.0/conv (8 channels): /model.1/cv1/conv/Abs (Abs) "
                + "is an operator the channel analysis does not follow");

        Map<String, int[]> removed = new LinkedHashMap<>();
        analysis.groups().forEach(group -> removed.put(group.name(), new int[] {0}));
        PruneOutcome outcome = ChannelPruner.prune(model, analysis, removed, Map.of());
        float[] output = OrtRuns.run(outcome.model(), YoloGraphs.input(YoloGraphs.INPUT_SHAPE, 1),
                YoloGraphs.INPUT_SHAPE);
        assertThat(output).hasSize((4 + YoloGraphs.CLASSES) * YoloGraphs.ANCHORS);
    }

    @Test
    void otherReadersThatAreNotFollowedLeaveTheirGroupsAlone() {
        GraphBuilder g = new GraphBuilder(3);
        String x = g.input("images", 3, 8);
        String a = g.convSilu("/a", x, 3, 4, 3);
        String b = g.convSilu("/b", a, 4, 4, 1);
        String c = g.convSilu("/c", b, 4, 4, 1);
        String d = g.convSilu("/d", c, 4, 4, 1);
        String one = g.initializer(TinyDetectors.floats("one", new float[] {1}));
        String shifted = g.node("/shift", "Add", List.of(b, one));
        String flat = g.node("/flatten", "Reshape", List.of(c, g.int64s("flat", 1, -1)));
        String y = g.conv("/y", d, 4, 4, 1);
        OnnxModel model = g.output(y, 1, 4, 8, 8).output(a, 1, 4, 8, 8).output(shifted, 1, 4, 8, 8)
                .output(flat, 1, 256).build(17);
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(model);
        assertThat(analysis.groups()).extracting(ChannelGroup::name).containsExactly("/d/conv");
        assertThat(analysis.notes()).containsExactly(
                "1 prunable channel groups (4 channels, over the outputs of 1 of 5 Convs); 4 groups (16 channels) "
                        + "and 0 Convs left alone",
                "left alone: /a/conv (4 channels): graph output /a/act/Mul_output_0 carries these channels",
                "left alone: /b/conv (4 channels): /shift (Add) adds something other than two activations the "
                        + "analysis follows",
                // A Reshape of an activation starts the decode, wherever it is.
                "left alone: /c/conv (4 channels): /flatten (Reshape) " + DECODE,
                "left alone: /y (4 channels): graph output /y_output_0 carries these channels");
    }

    @Test
    void aGroupedConvIsLeftAloneAndSoIsTheGroupItReads() {
        GraphBuilder g = new GraphBuilder(4);
        String a = g.convSilu("/a", g.input("images", 3, 8), 3, 4, 3);
        String depthwise = g.initializer(TinyDetectors.floats("/dw.weight", new float[4 * 9], 4, 1, 3, 3));
        String dw = g.node("/dw", "Conv", List.of(a, depthwise), ints("kernel_shape", 3, 3),
                ints("pads", 1, 1, 1, 1), GraphBuilder.integer("group", 4));
        String b = g.convSilu("/b", dw, 4, 4, 1);
        String y = g.conv("/y", b, 4, 2, 1);
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(g.output(y, 1, 2, 8, 8).build(17));
        assertThat(analysis.groups()).extracting(ChannelGroup::name).containsExactly("/b/conv");
        assertThat(analysis.notes()).contains(
                "left alone: /a/conv (4 channels): /dw (Conv) is a grouped Conv (group=4)",
                "left alone: /dw is a grouped Conv (group=4); its output channels are not pruned");
    }

    static ChannelGroup group(ChannelDependencyAnalysis analysis, String name) {
        return analysis.groups().stream().filter(group -> group.name().equals(name)).findFirst().orElseThrow();
    }

    /** {@code model} with a one-input node of type {@code op} inserted before input {@code input} of {@code node}. */
    static OnnxModel insertBefore(OnnxModel model, String node, int input, String op) {
        GraphProto.Builder graph = model.graph().toBuilder();
        for (int i = 0; i < graph.getNodeCount(); i++) {
            NodeProto reader = graph.getNode(i);
            if (reader.getName().equals(node)) {
                String name = node + "/" + op;
                String output = name + "_output_0";
                graph.setNode(i, reader.toBuilder().setInput(input, output));
                graph.addNode(i, NodeProto.newBuilder().setName(name).setOpType(op).addInput(reader.getInput(input))
                        .addOutput(output));
                return OnnxModel.of(model.proto().toBuilder().setGraph(graph).build());
            }
        }
        throw new IllegalArgumentException("no node " + node);
    }
}
