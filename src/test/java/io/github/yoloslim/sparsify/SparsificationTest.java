package io.github.yoloslim.sparsify;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.fasterxml.jackson.databind.JsonNode;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.ChannelDependencyAnalysis;
import io.github.yoloslim.prune.ChannelGroup;
import io.github.yoloslim.prune.SparsityScales;
import io.github.yoloslim.prune.YoloGraphs;
import io.github.yoloslim.runtime.DetectorSession;
import io.github.yoloslim.testing.RecordingListener;
import io.github.yoloslim.train.Augmentation;
import io.github.yoloslim.train.ChannelScaling;
import io.github.yoloslim.train.DistillationSettings;
import io.github.yoloslim.train.LossWeights;
import io.github.yoloslim.train.TorchEngine;
import io.github.yoloslim.train.TrainableGraph;
import io.github.yoloslim.train.TrainingDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.DoublePredicate;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Sparsity training of a small YOLOv8 built in code, towards itself. */
class SparsificationTest {

    private static DistillationSettings settings() {
        return new DistillationSettings(4, 4, 32, 0.01, 1, 0.01, 0, 5, new LossWeights(1, 1, 0, 1),
                new Augmentation(0.5, 0.25, 0), TrainingDevice.CPU, 2);
    }

    private static SparsifyRequest request(Path folder, double penalty) throws Exception {
        return request(folder, penalty, false);
    }

    private static SparsifyRequest request(Path folder, double penalty, boolean trainWeights) throws Exception {
        return request(folder, penalty, 1, trainWeights);
    }

    private static SparsifyRequest request(Path folder, double penalty, int penaltySteps, boolean trainWeights)
            throws Exception {
        Path model = folder.resolve("tiny.onnx");
        if (!Files.exists(model)) {
            YoloGraphs.yolo(false).save(model);
            YoloGraphs.noiseImages(folder.resolve("images"), 16, 40, 3);
        }
        return new SparsifyRequest(model, Optional.empty(), folder.resolve("images"), 0, settings(), penalty,
                penaltySteps, 0.1,
                0.5, trainWeights, UnreadableImagePolicy.SKIP, folder.resolve("out"));
    }

    @Test
    void withFrozenWeightsTheModelKeepsItsWeightsAndCarriesTheLearnedScales(@TempDir Path folder) throws Exception {
        RecordingListener log = new RecordingListener();
        SparsifyRequest request = request(folder, 1e-4, false);
        SparsifyResult result = new Sparsification(log).run(request);

        assertThat(result.outcome()).isEqualTo(SparsifyResult.Outcome.SPARSIFIED);
        assertThat(result.belowThreshold()).isPositive().isLessThanOrEqualTo(result.channels());
        OnnxModel sparse = OnnxModel.load(result.sparseModel(), "<sparse>");
        SparsityScales scales = scalesOfEveryGroup(sparse);
        assertThat(scales.threshold()).isEqualTo(0.5);
        // The scales are as learned, those below the threshold too (they rank the channels a shallower prune
        // removes): not ones, and not zeroed.
        assertThat(count(scales, scale -> Math.abs(scale) < 0.5)).isEqualTo(result.belowThreshold());
        assertThat(count(scales, scale -> scale != 0 && Math.abs(scale) < 0.5)).isPositive();
        assertThat(count(scales, scale -> scale != 0 && scale != 1)).isPositive();
        // Folding a kept channel's shrunken scale into frozen weights costs accuracy that nothing undoes, and prune
        // repairs towards its input: the weights stay the original's, every one of them.
        GraphView original = OnnxModel.load(request.model(), "<model>").graphView();
        for (TensorProto initializer : sparse.graph().getInitializerList()) {
            if (initializer.getDataType() != TensorProto.DataType.FLOAT_VALUE) {
                continue;
            }
            assertThat(GraphView.floats(initializer)).as(initializer.getName())
                    .containsExactly(GraphView.floats(original.initializer(initializer.getName()).orElseThrow()));
        }

        JsonNode report = Json.mapper().readTree(result.report().toFile());
        assertThat(report.get("epochs")).hasSize(4);
        assertThat(report.get("scales")).hasSize(4);
        assertThat(report.get("scales").get(3).get("belowThreshold").asInt()).isPositive();
        assertThat(report.get("belowThreshold").asInt()).isEqualTo(result.belowThreshold());
        JsonNode firstGroup = report.get("groups").get(0);
        int histogramTotal = 0;
        for (JsonNode bin : firstGroup.get("histogram")) {
            histogramTotal += bin.get("count").asInt();
        }
        assertThat(histogramTotal).isEqualTo(firstGroup.get("channels").asInt());
        assertThat(log.stages()).anyMatch(line -> line.startsWith("Sparsity-training "))
                .anyMatch(line -> line.contains("channel scales: mean |s|"));
    }

    @Test
    void withTrainedWeightsAZeroScaleLeavesAllZeroWeightsInThatChannelOfEveryMember(@TempDir Path folder)
            throws Exception {
        SparsifyResult result = new Sparsification(new RecordingListener()).run(request(folder, 1e-4, true));
        OnnxModel sparse = OnnxModel.load(result.sparseModel(), "<sparse>");
        SparsityScales scales = scalesOfEveryGroup(sparse);
        Map<String, NodeProto> convs = new HashMap<>();
        sparse.graph().getNodeList().forEach(node -> convs.put(ChannelDependencyAnalysis.displayName(node), node));
        GraphView view = sparse.graphView();
        int zeroChannels = 0;
        for (ChannelGroup group : ChannelDependencyAnalysis.analyze(sparse).groups()) {
            float[] groupScales = scales.scales().get(group.name());
            for (ChannelGroup.Member member : group.members()) {
                NodeProto conv = convs.get(member.conv());
                float[] weights = GraphView.floats(view.initializer(conv.getInput(1)).orElseThrow());
                float[] bias = GraphView.floats(view.initializer(conv.getInput(2)).orElseThrow());
                int perChannel = weights.length / bias.length;
                for (int j = 0; j < group.size(); j++) {
                    int channel = member.offset() + j;
                    double energy = Math.abs(bias[channel]);
                    for (int k = channel * perChannel; k < (channel + 1) * perChannel; k++) {
                        energy += Math.abs(weights[k]);
                    }
                    if (groupScales[j] == 0) {
                        assertThat(energy).as("%s channel %d", member.conv(), channel).isZero();
                        zeroChannels++;
                    } else {
                        assertThat(energy).as("%s channel %d", member.conv(), channel).isPositive();
                    }
                }
            }
        }
        assertThat(zeroChannels).isPositive();
    }

    private static SparsityScales scalesOfEveryGroup(OnnxModel sparse) {
        SparsityScales scales = SparsityScales.of(sparse, "<sparse>").orElseThrow();
        assertThat(scales.scales().keySet()).containsExactlyInAnyOrderElementsOf(ChannelDependencyAnalysis
                .analyze(sparse).groups().stream().map(ChannelGroup::name).toList());
        return scales;
    }

    private static long count(SparsityScales scales, DoublePredicate test) {
        return scales.scales().values().stream().mapToLong(groupScales -> IntStream.range(0, groupScales.length)
                .filter(i -> test.test(groupScales[i])).count()).sum();
    }

    @Test
    void aSmallerPenaltyKeepsMoreChannelsAndARerunIsUpToDate(@TempDir Path folder) throws Exception {
        SparsifyResult gentle = new Sparsification(ProgressListener.silent()).run(request(folder.resolve("a"), 1e-6));
        SparsifyResult strong = new Sparsification(ProgressListener.silent()).run(request(folder.resolve("b"), 1e-2));
        assertThat(gentle.belowThreshold()).isLessThan(strong.belowThreshold());

        byte[] model = Files.readAllBytes(gentle.sparseModel());
        SparsifyResult again = new Sparsification(ProgressListener.silent()).run(request(folder.resolve("a"), 1e-6));
        assertThat(again.outcome()).isEqualTo(SparsifyResult.Outcome.UP_TO_DATE);
        assertThat(again.belowThreshold()).isEqualTo(gentle.belowThreshold());
        assertThat(Files.readAllBytes(again.sparseModel())).isEqualTo(model);
    }

    @Test
    void aPenaltyPathTrainsEachStageFromTheLastAndTheModelCarriesEveryStage(@TempDir Path folder) throws Exception {
        RecordingListener log = new RecordingListener();
        SparsifyResult path = new Sparsification(log).run(request(folder.resolve("path"), 1e-3, 3, false));
        SparsityScales scales = scalesOfEveryGroup(OnnxModel.load(path.sparseModel(), "<sparse>"));
        assertThat(scales.path()).extracting(SparsityScales.Stage::penalty).containsExactly(1e-3, 2e-3, 4e-3);
        assertThat(scales.path()).allMatch(stage -> stage.epochs() == 4);
        SparsityScales.Stage last = scales.path().get(2);
        assertThat(last.scales().keySet()).isEqualTo(scales.scales().keySet());
        last.scales().forEach((group, values) -> assertThat(values).containsExactly(scales.scales().get(group)));
        assertThat(count(scales.only(last), scale -> Math.abs(scale) < 0.5))
                .isGreaterThanOrEqualTo(count(scales.only(scales.path().get(0)), scale -> Math.abs(scale) < 0.5));

        // The first stage is the single training at the first penalty; the second starts where it ended, so it
        // differs from a training at the second penalty from ones.
        SparsityScales single = scalesOfEveryGroup(OnnxModel.load(new Sparsification(ProgressListener.silent())
                .run(request(folder.resolve("single"), 1e-3, 1, false)).sparseModel(), "<sparse>"));
        single.scales().forEach((group, values) -> assertThat(scales.path().get(0).scales().get(group))
                .containsExactly(values));
        SparsityScales fresh = scalesOfEveryGroup(OnnxModel.load(new Sparsification(ProgressListener.silent())
                .run(request(folder.resolve("fresh"), 2e-3, 1, false)).sparseModel(), "<sparse>"));
        assertThat(fresh.scales().keySet().stream().anyMatch(group -> !java.util.Arrays.equals(
                fresh.scales().get(group), scales.path().get(1).scales().get(group)))).isTrue();

        JsonNode report = Json.mapper().readTree(path.report().toFile());
        assertThat(report.get("path")).hasSize(3);
        assertThat(report.get("path").get(2).get("penalty").asDouble()).isEqualTo(4e-3);
        assertThat(report.get("path").get(2).get("belowThreshold").asInt()).isEqualTo(path.belowThreshold());
        assertThat(report.get("epochs")).hasSize(12);
        for (int e = 0; e < 12; e++) {
            assertThat(report.get("epochs").get(e).get("epoch").asInt()).isEqualTo(e + 1);
            assertThat(report.get("scales").get(e).get("epoch").asInt()).isEqualTo(e + 1);
        }
        assertThat(report.get("sparsity").get("penaltySteps").asInt()).isEqualTo(3);
        assertThat(log.stages()).anyMatch(line -> line.equals("Penalty path stage 2 of 3: penalty 0.002, starting "
                + "from stage 1's scales"));
    }

    @Test
    void aPenaltyPathOutOfRangeOrWithTrainedWeightsIsRefusedNamingTheElement(@TempDir Path folder) {
        assertThatThrownBy(() -> request(folder, 1e-3, 0, false)).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("<penaltySteps>0</penaltySteps> is out of range");
        assertThatThrownBy(() -> request(folder, 1e-3, 7, false)).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("<penaltySteps>7</penaltySteps> is out of range");
        assertThatThrownBy(() -> request(folder, 1e-3, 2, true)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("needs frozen weights").hasMessageContaining("<sparsifyWeights>false");
        assertThatThrownBy(() -> request(folder, 0.4, 3, false)).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("<penaltySteps>3</penaltySteps> doubles <penalty>0.4</penalty> to 1.6");
    }

    @Test
    void scaledChannelsRunInLibtorchAsTheFoldedModelRunsInOnnxRuntime(@TempDir Path folder) throws Exception {
        OnnxModel model = YoloGraphs.yolo(false);
        ChannelScaling scaling = Sparsification.scaling(model, ChannelDependencyAnalysis.analyze(model), 0.5, 0.02, 0.01,
                true);
        long[] shape = YoloGraphs.INPUT_SHAPE;
        float[] image = YoloGraphs.input(shape, 5);
        String output = model.graph().getOutput(0).getName();
        float[] scaledOutput;
        float[] unscaledOutput;
        OnnxModel folded;
        try (NDManager manager = TorchEngine.newManager(Device.cpu());
                TrainableGraph graph = TrainableGraph.load(model, Set.of(), manager, "<model>")) {
            unscaledOutput = run(graph, manager, image, shape, output);
            Random random = new Random(3);
            for (NDArray factor : graph.scaleChannels(scaling).values()) {
                float[] values = new float[(int) factor.size()];
                for (int i = 0; i < values.length; i++) {
                    values[i] = i % 3 == 0 ? 0 : 2 * random.nextFloat();
                }
                factor.muli(0).addi(manager.create(values));
            }
            scaledOutput = run(graph, manager, image, shape, output);
            folded = graph.toOnnx();
        }
        assertThat(maxDifference(scaledOutput, unscaledOutput)).isGreaterThan(1e-2);
        Path file = folder.resolve("folded.onnx");
        folded.save(file);
        float[] onnxRuntime;
        try (DetectorSession session = DetectorSession.open(file, YoloModelInspector.inspect(folded, "<model>",
                ModelOverrides.NONE), 1, "<model>")) {
            onnxRuntime = session.run(image, 1).data();
        }
        double range = 0;
        for (float value : onnxRuntime) {
            range = Math.max(range, Math.abs(value));
        }
        assertThat(maxDifference(onnxRuntime, scaledOutput)).isLessThanOrEqualTo(1e-5 * Math.max(1, range));
    }

    private static float[] run(TrainableGraph graph, NDManager manager, float[] image, long[] shape, String output) {
        try (NDManager run = manager.newSubManager()) {
            NDArray input = run.create(FloatBuffer.wrap(image), new Shape(shape));
            return graph.run(run, input, List.of(output)).get(output).toFloatArray();
        }
    }

    private static double maxDifference(float[] a, float[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]));
        }
        return worst;
    }

    @Test
    void aLossThatIsNotFiniteStopsAndWritesNothing(@TempDir Path folder) throws Exception {
        SparsifyRequest request = request(folder, 0.5);
        YoloGraphs.editInitializer(YoloGraphs.yolo(false), "/model.1/cv1/conv.weight", w -> {
            float[] broken = w.clone();
            broken[0] = Float.NaN;
            return broken;
        }).save(request.model());
        assertThatThrownBy(() -> new Sparsification(ProgressListener.silent()).run(request))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("is not finite at step 1");
        assertThat(request.outputDirectory().resolve("tiny.sparse.onnx")).doesNotExist();
        assertThat(request.outputDirectory().resolve("sparsify-report.json")).doesNotExist();
    }

    @Test
    void penaltyAndThresholdOutOfRangeAreRefusedNamingTheElement(@TempDir Path folder) throws Exception {
        assertThatThrownBy(() -> new Sparsification(ProgressListener.silent()).run(request(folder, 0)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("<penalty>0.0</penalty>");
        assertThatThrownBy(() -> new Sparsification(ProgressListener.silent()).run(request(folder, 2)))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("<penalty>2.0</penalty>");
        SparsifyRequest good = request(folder, 0.5);
        assertThatThrownBy(() -> new SparsifyRequest(good.model(), Optional.empty(), good.trainingImages(), 0,
                settings(), 0.5, 1, 0.2, 1.5, false, UnreadableImagePolicy.SKIP, good.outputDirectory()))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("<scaleThreshold>1.5</scaleThreshold>");
    }
}
