package io.github.yoloslim.prune;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtSession;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.runtime.DetectorSession;
import io.github.yoloslim.testing.OrtRuns;
import io.github.yoloslim.testing.SharedData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;

/** The analysis and a prune of the real YOLOv8n (BN folded; skipped where ../shared is absent). */
class RealModelPruneTest {

    private static OnnxModel model;
    private static ChannelDependencyAnalysis analysis;

    @BeforeAll
    static void load() throws Exception {
        model = OnnxModel.load(SharedData.require("models/yolov8n.onnx"), "<model>");
        analysis = ChannelDependencyAnalysis.analyze(model);
    }

    @Test
    void groupsOfYolov8n() {
        List<ChannelGroup> groups = analysis.groups();
        // 5 plain Convs, 18 in the backbone's four C2f, 2 SPPF, 20 in the neck's four C2f, 2 downsampling Convs,
        // 12 head Convs (the first two of each box and class branch).
        assertThat(groups).hasSize(59);
        assertThat(groups.stream().mapToInt(ChannelGroup::size).sum()).isEqualTo(4960);
        assertThat(groups.get(0).name()).isEqualTo("/model.0/conv/Conv");

        // The C2f Split halves are separate domains; with shortcut the second half is one group with its chain.
        assertThat(ChannelDependencyAnalysisTest.group(analysis, "/model.4/cv1/conv/Conv[0:32]").members())
                .containsExactly(new ChannelGroup.Member("/model.4/cv1/conv/Conv", null, 0));
        assertThat(ChannelDependencyAnalysisTest.group(analysis, "/model.4/cv1/conv/Conv[32:64]").members())
                .containsExactly(new ChannelGroup.Member("/model.4/cv1/conv/Conv", null, 32),
                        new ChannelGroup.Member("/model.4/m.0/cv2/conv/Conv", null, 0),
                        new ChannelGroup.Member("/model.4/m.1/cv2/conv/Conv", null, 0));
        assertThat(groups.stream().filter(g -> g.members().size() > 1)).extracting(ChannelGroup::name)
                .containsExactly("/model.2/cv1/conv/Conv[16:32]", "/model.4/cv1/conv/Conv[32:64]",
                        "/model.6/cv1/conv/Conv[64:128]", "/model.8/cv1/conv/Conv[128:256]");
        assertThat(ChannelDependencyAnalysisTest.group(analysis, "/model.12/cv1/conv/Conv[64:128]").members())
                .hasSize(1);

        Set<String> members = new HashSet<>();
        groups.forEach(g -> g.members().forEach(m -> members.add(m.conv())));
        assertThat(members).hasSize(57).doesNotContain("/model.22/dfl/conv/Conv", "/model.22/cv2.0/cv2.0.2/Conv",
                "/model.22/cv3.2/cv3.2.2/Conv").contains("/model.22/cv2.0/cv2.0.1/conv/Conv");
        assertThat(analysis.notes()).hasSize(8);
        assertThat(analysis.notes().get(0)).isEqualTo("59 prunable channel groups (4960 channels, over the outputs "
                + "of 57 of 64 Convs); 7 groups (433 channels) and 0 Convs left alone");
        assertThat(analysis.notes().subList(1, 8)).allMatch(note -> note.startsWith("left alone: /model.22/")
                && note.contains("is part of the Detect head's decode"))
                .anyMatch(note -> note.startsWith("left alone: /model.22/dfl/conv/Conv (1 channels)"))
                .anyMatch(note -> note.startsWith("left alone: /model.22/cv3.1/cv3.1.2/Conv (80 channels)"));
    }

    /** A quarter of every group, lowest L1 norm of the folded weights first (summed over the members). */
    @Test
    void pruningAQuarterOfEveryGroupGivesAWorkingSmallerModel() throws Exception {
        Map<String, int[]> removed = lowestL1(0.25);
        byte[] before = model.toBytes();
        PruneOutcome outcome = ChannelPruner.prune(model, analysis, removed, Map.of());
        OnnxModel pruned = outcome.model();
        assertThat(model.toBytes()).isEqualTo(before);
        assertThat(ChannelPruner.prune(model, analysis, removed, Map.of()).model().toBytes())
                .isEqualTo(pruned.toBytes());
        assertThat(outcome.notes().get(0)).isEqualTo("removed 1240 of 4960 prunable channels, in 59 of 59 groups; "
                + "57 Convs lost output channels, 62 lost input channels");

        long paramsBefore = ChannelPrunerTest.parameters(model);
        long paramsAfter = ChannelPrunerTest.parameters(pruned);
        System.out.printf("yolov8n, 25%% of every group: %d -> %d parameters, %d -> %d bytes%n", paramsBefore,
                paramsAfter, before.length, pruned.toBytes().length);
        assertThat(paramsAfter).isLessThan(paramsBefore * 3 / 5);

        // Declared shapes follow: cv1 of /model.2 lost 4 of each 16-channel half.
        ValueInfoProto cv1 = pruned.graph().getValueInfoList().stream()
                .filter(v -> v.getName().equals("/model.2/cv1/act/Mul_output_0")).findFirst().orElseThrow();
        assertThat(cv1.getType().getTensorType().getShape().getDim(1).getDimValue()).isEqualTo(24);
        // Every initializer is still read (shared Split sizes were copied, not left behind).
        Set<String> read = new HashSet<>();
        pruned.graph().getNodeList().forEach(node -> read.addAll(node.getInputList()));
        assertThat(pruned.graphView().initializers().keySet()).allMatch(read::contains);

        float[] input = new float[3 * 640 * 640];
        java.util.Arrays.fill(input, 0.5f);
        try (OrtSession session = OrtRuns.session(pruned);
                OnnxTensor tensor = OnnxTensor.createTensor(DetectorSession.environment(), FloatBuffer.wrap(input),
                        new long[] {1, 3, 640, 640});
                OrtSession.Result result = session.run(Map.of("images", tensor))) {
            assertThat(((OnnxTensor) result.get(0)).getInfo().getShape()).containsExactly(1, 84, 8400);
        }
    }

    private static Map<String, int[]> lowestL1(double fraction) {
        GraphView view = model.graphView();
        Map<String, NodeProto> convs = new LinkedHashMap<>();
        model.graph().getNodeList().forEach(node -> convs.put(node.getName(), node));
        Map<String, int[]> removed = new LinkedHashMap<>();
        for (ChannelGroup group : analysis.groups()) {
            double[] l1 = new double[group.size()];
            for (ChannelGroup.Member member : group.members()) {
                float[] w = GraphView.floats(view.initializer(convs.get(member.conv()).getInput(1)).orElseThrow());
                int per = w.length / (int) view.initializer(convs.get(member.conv()).getInput(1)).orElseThrow()
                        .getDims(0);
                for (int j = 0; j < group.size(); j++) {
                    for (int k = 0; k < per; k++) {
                        l1[j] += Math.abs(w[(member.offset() + j) * per + k]);
                    }
                }
            }
            removed.put(group.name(), IntStream.range(0, group.size()).boxed()
                    .sorted(Comparator.comparingDouble(j -> l1[j])).limit((long) (group.size() * fraction))
                    .mapToInt(Integer::intValue).sorted().toArray());
        }
        return removed;
    }
}
