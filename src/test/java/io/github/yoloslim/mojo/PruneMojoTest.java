package io.github.yoloslim.mojo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.yoloslim.cache.PipelineRecord;
import io.github.yoloslim.cache.Sha256;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.mojo.VerifyMapMojoTest.RecordingLog;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.ChannelDependencyAnalysis;
import io.github.yoloslim.prune.SparsityScales;
import io.github.yoloslim.runtime.DetectorSession;
import io.github.yoloslim.testing.SyntheticCoco;
import io.github.yoloslim.testing.SyntheticImages;
import io.github.yoloslim.testing.TinyDetectors;
import org.apache.maven.api.plugin.testing.InjectMojo;
import org.apache.maven.api.plugin.testing.MojoTest;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The prune goal on a small real convolutional detector whose first Conv's 8 channels are prunable. */
@MojoTest
class PruneMojoTest {

    private static final String POM = "src/test/resources/unit/prune/pom.xml";

    @TempDir
    Path dir;

    private final RecordingLog log = new RecordingLog();
    private Path model;

    @BeforeEach
    void writeModel() throws Exception {
        model = dir.resolve("tiny.onnx");
        OnnxModel.of(TinyDetectors.convolutional(32, List.of("person", "car"), 7)).save(model);
    }

    private void configure(PruneMojo mojo, String output) {
        mojo.setLog(log);
        mojo.model = model.toFile();
        mojo.outputDirectory = dir.resolve(output).toFile();
        mojo.basedir = dir.toFile();
        mojo.calibrationImages = dir.resolve("src/test/yolo/calibration").toFile();
        mojo.ratio = 0.5;
        mojo.minChannels = 1;
        mojo.minKeptFraction = 0;
        mojo.roundTo = 1;
    }

    private static int outputChannels(Path file, String conv) throws Exception {
        OnnxModel pruned = OnnxModel.load(file, "<test>");
        String weight = pruned.graph().getNodeList().stream().filter(n -> n.getName().equals(conv)).findFirst()
                .orElseThrow().getInput(1);
        return (int) pruned.graphView().initializer(weight).orElseThrow().getDims(0);
    }

    @Test
    @InjectMojo(goal = "prune", pom = POM)
    void parametersHaveTheDocumentedDefaults(PruneMojo mojo) {
        assertThat(mojo.criterion).isEqualTo("auto");
        assertThat(mojo.ratio).isEqualTo(0.1);
        assertThat(mojo.threshold).isEqualTo(-1);
        assertThat(mojo.minChannels).isEqualTo(8);
        assertThat(mojo.minKeptFraction).isEqualTo(0.25);
        assertThat(mojo.roundTo).isEqualTo(8);
        assertThat(mojo.maxPruneImages).isEqualTo(64);
        assertThat(mojo.skipPrune).isFalse();
        assertThat(mojo.recovery).isEqualTo("auto");
        assertThat(mojo.ridge).isEqualTo(0.1);
        assertThat(mojo.rowsPerUnknown).isEqualTo(32);
        assertThat(mojo.sensitivity).isEqualTo("true");
        assertThat(mojo.targetMapDrop).isEqualTo(0);
        assertThat(mojo.searchDistillEpochs).isEqualTo(0);
        assertThat(mojo.maxRatio).isEqualTo(0.5);
        assertThat(mojo.searchSteps).isEqualTo(8);
        assertThat(mojo.searchResolution).isEqualTo(0.1);
        assertThat(mojo.failWhenNoReduction).isEqualTo("false");
    }

    @Test
    @InjectMojo(goal = "prune", pom = POM)
    void prunesWritesTheReportRecordsThePipelineAndIsUpToDateOnRerun(PruneMojo mojo) throws Exception {
        configure(mojo, "a");
        mojo.execute();
        Path out = dir.resolve("a");
        Path pruned = out.resolve("tiny.pruned.onnx");
        assertThat(outputChannels(pruned, "/model.0/conv/Conv")).isEqualTo(4);
        YoloModelInfo info = YoloModelInspector.inspect(OnnxModel.load(pruned, "<test>"), "<test>",
                ModelOverrides.NONE);
        try (DetectorSession session = DetectorSession.open(pruned, info, 1, "<test>")) {
            assertThat(session.run(new float[3 * 32 * 32], 1).data()).hasSize(6 * 256);
        }
        JsonNode report = new ObjectMapper().readTree(out.resolve("prune-report.json").toFile());
        assertThat(report.at("/after/parameters").asLong()).isLessThan(report.at("/before/parameters").asLong());
        assertThat(report.at("/after/macs").asLong()).isLessThan(report.at("/before/macs").asLong());
        assertThat(report.at("/criterion").asText()).isEqualTo("auto");
        assertThat(PipelineRecord.read(out).gateCandidate(out, Sha256.ofFile(model)).file()).contains(pruned);
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Pruning tiny.onnx: 8 prunable channels in 1 groups")
                && line.endsWith("recovery constants"));
        assertThat(log.infos()).contains("Removing 4 channels (ratio 0.500)");
        assertThat(log.infos()).anyMatch(line -> line.matches("\\s+\\S+\\s+8 →\\s+4"));
        assertThat(log.infos()).anyMatch(line -> line.startsWith("No calibration images at "));

        byte[] first = Files.readAllBytes(pruned);
        log.clear();
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Pruning up to date"));
        assertThat(Files.readAllBytes(pruned)).isEqualTo(first);

        configure(mojo, "b");
        mojo.execute();
        assertThat(Files.readAllBytes(dir.resolve("b/tiny.pruned.onnx"))).isEqualTo(first);
    }

    @Test
    @InjectMojo(goal = "prune", pom = POM)
    void calibrationImagesGiveMeansSensitivityAndLeastSquaresByDefault(PruneMojo mojo) throws Exception {
        configure(mojo, "ls");
        mojo.calibrationImages = SyntheticImages.noise(dir.resolve("images"), 3, 40, 5).toFile();
        mojo.criterion = "variance";
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.matches("Measured \\d+ activations on 3 images in .* \\(channel "
                + "means and covariances\\)"));
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Measured the sensitivity of 1 groups on 3 images"));
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Least squares re-solved 1 Convs in 1 passes on 3 "
                + "images"));
        JsonNode report = new ObjectMapper().readTree(dir.resolve("ls/prune-report.json").toFile());
        assertThat(report.at("/calibrationImagesUsed").asInt()).isEqualTo(3);
        assertThat(report.at("/recovery/method").asText()).isEqualTo("least-squares");
        assertThat(report.at("/groups/0/sensitivity").asDouble()).isEqualTo(1.0);
        JsonNode fit = report.at("/recovery/layers/0");
        assertThat(fit.at("/errorAfter").asDouble()).isLessThanOrEqualTo(fit.at("/errorBefore").asDouble());
        assertThat(fit.at("/rows").asInt()).isGreaterThan(0);
        // The re-solved consumer's weights and bias differ from the original's.
        float[] before = GraphView.floats(OnnxModel.load(model, "<t>").graphView().initializer("b2").orElseThrow());
        float[] after = GraphView.floats(OnnxModel.load(dir.resolve("ls/tiny.pruned.onnx"), "<t>").graphView()
                .initializer("b2").orElseThrow());
        assertThat(after).isNotEqualTo(before);

        configure(mojo, "means");
        mojo.calibrationImages = dir.resolve("images").toFile();
        mojo.recovery = "means";
        mojo.execute();
        JsonNode meansReport = new ObjectMapper().readTree(dir.resolve("means/prune-report.json").toFile());
        assertThat(meansReport.at("/recovery/method").asText()).isEqualTo("means");
        assertThat(meansReport.at("/recovery/layers")).isEmpty();
    }

    @Test
    @InjectMojo(goal = "prune", pom = POM)
    void recoveryOrAMeasuredCriterionWithoutImagesFailsNamingTheParameter(PruneMojo mojo) {
        configure(mojo, "none");
        mojo.recovery = "least-squares";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<recovery>least-squares</recovery> needs calibration images")
                .hasMessageContaining("<calibrationImages>");
        mojo.recovery = "auto";
        mojo.criterion = "reconstruction";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<criterion>reconstruction</criterion> scores channels on calibration images");
        mojo.criterion = "l1";
        mojo.ridge = 0;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<ridge>0.0</ridge> is out of range");
    }

    @Test
    @InjectMojo(goal = "prune", pom = POM)
    void aThresholdThatWouldEmptyALayerIsClampedAndReported(PruneMojo mojo) throws Exception {
        configure(mojo, "threshold");
        mojo.threshold = 1e9;
        mojo.minChannels = 2;
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.contains("<threshold> would remove 8 of 8 channels; keeping 2"));
        assertThat(outputChannels(dir.resolve("threshold/tiny.pruned.onnx"), "/model.0/conv/Conv")).isEqualTo(2);
    }

    /** The tiny model carrying sparsity scales for its one group, as sparsify writes them. */
    private void sparsify(float... scales) throws Exception {
        OnnxModel plain = OnnxModel.load(model, "<test>");
        String group = ChannelDependencyAnalysis.analyze(plain).groups().get(0).name();
        new SparsityScales(0.05, Map.of(group, scales)).attachTo(plain).save(model);
    }

    @Test
    @InjectMojo(goal = "prune", pom = POM)
    void aSparsifiedModelLosesTheChannelsWhoseScaleFellBelowTheRecordedThreshold(PruneMojo mojo) throws Exception {
        sparsify(0, 0, 0.01f, 0.5f, 1, 1, 1, 1);
        configure(mojo, "sparse");
        mojo.execute();
        Path pruned = dir.resolve("sparse/tiny.pruned.onnx");
        assertThat(outputChannels(pruned, "/model.0/conv/Conv")).isEqualTo(5);
        assertThat(log.infos()).anyMatch(line -> line.startsWith("The model is sparsity-trained: pruning the channels "
                + "whose scale fell below 0.05"));
        assertThat(log.infos()).anyMatch(line -> line.contains("criterion scale"));
        assertThat(OnnxModel.load(pruned, "<test>").metadata()).doesNotContainKey(SparsityScales.METADATA_KEY);

        configure(mojo, "override");
        mojo.threshold = 0.6;
        mojo.execute();
        assertThat(outputChannels(dir.resolve("override/tiny.pruned.onnx"), "/model.0/conv/Conv")).isEqualTo(4);
    }

    @Test
    @InjectMojo(goal = "prune", pom = POM)
    void withAPenaltyPathThePruneUsesTheLastStageAndTheSearchNamesTheStageItChose(PruneMojo mojo) throws Exception {
        OnnxModel plain = OnnxModel.load(model, "<test>");
        String group = ChannelDependencyAnalysis.analyze(plain).groups().get(0).name();
        float[] first = {0, 0.5f, 1, 1, 1, 1, 1, 1};
        float[] last = {0, 0, 0, 0.5f, 1, 1, 1, 1};
        new SparsityScales(0.05, Map.of(group, last), List.of(new SparsityScales.Stage(0.001, 2, Map.of(group, first)),
                new SparsityScales.Stage(0.002, 2, Map.of(group, last)))).attachTo(plain).save(model);
        configure(mojo, "path");
        mojo.execute();
        assertThat(outputChannels(dir.resolve("path/tiny.pruned.onnx"), "/model.0/conv/Conv")).isEqualTo(5);
        assertThat(log.infos()).anyMatch(line -> line.equals("The model carries a penalty path of 2 stages: ranking "
                + "by the last (penalty 0.002); <targetMapDrop> would search them all"));

        configure(mojo, "path-search");
        mojo.targetMapDrop = 0.5;
        mojo.dataset = SyntheticCoco.write(dir.resolve("data"), 2, 32).toFile();
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("The model carries a penalty path of 2 stages: the "
                + "search tries the ranking of each"));
        JsonNode search = new ObjectMapper().readTree(dir.resolve("path-search/prune-report.json").toFile())
                .get("search");
        assertThat(search.get("trials").get(0).get("ranking").asText()).isEqualTo("penalty 0.002");
        assertThat(search.get("trials").get(0).get("penalty").asDouble()).isEqualTo(0.002);
        assertThat(search.get("chosenRanking").asText()).startsWith("penalty 0.00");
        assertThat(search.get("verdict").asText()).startsWith(search.get("chosenRanking").asText() + ", ratio ");
    }

    @Test
    @InjectMojo(goal = "prune", pom = POM)
    void theScaleCriterionNeedsScalesThatFitTheGraph(PruneMojo mojo) throws Exception {
        configure(mojo, "plain");
        mojo.criterion = "scale";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("<criterion>scale</criterion> ranks channels by the scales that sparsify "
                        + "learned, but the model to prune carries none");
        sparsify(0, 0, 1);
        configure(mojo, "misfit");
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("has 8 channels and 3 scales").hasMessageContaining("rerun sparsify");
    }

    @Test
    @InjectMojo(goal = "prune", pom = POM)
    void badSettingsAndModelsFailNamingTheElement(PruneMojo mojo) throws Exception {
        configure(mojo, "bad");
        mojo.ratio = 1.0;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<ratio>1.0</ratio> is out of range");
        mojo.ratio = 0.5;
        mojo.criterion = "bn-gamma";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("<criterion>bn-gamma</criterion> needs BatchNormalization");
        mojo.criterion = "magnitude";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<criterion>magnitude</criterion> is not a valid choice");
        mojo.criterion = "l2";
        mojo.searchDistillEpochs = 1;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<searchDistillEpochs>1</searchDistillEpochs> distils the candidates of a "
                        + "search, but there is no search: set <targetMapDrop>");
        mojo.searchDistillEpochs = -1;
        mojo.targetMapDrop = 0.02;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<searchDistillEpochs>-1</searchDistillEpochs> is out of range");
        mojo.searchDistillEpochs = 0;
        mojo.targetMapDrop = 0;
        mojo.calibrationImages = dir.resolve("missing").toFile();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("<calibrationImages> " + dir.resolve("missing") + " does not exist");
        configure(mojo, "bad");
        Path classifier = dir.resolve("classifier.onnx");
        OnnxModel.of(TinyDetectors.classifier(32, 10)).save(classifier);
        mojo.model = classifier.toFile();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("'classify' model");
        assertThat(dir.resolve("bad/tiny.pruned.onnx")).doesNotExist();
    }

    @Test
    @InjectMojo(goal = "prune", pom = POM)
    void aFolderAtTheOutputPathFailsBeforePruning(PruneMojo mojo) throws Exception {
        configure(mojo, "blocked");
        Path blocked = Files.createDirectories(dir.resolve("blocked/tiny.pruned.onnx"));
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith(blocked + " is a folder, but yolo-slim writes a file there.");
        assertThat(log.infos()).noneMatch(line -> line.startsWith("Pruning "));
    }

    @Test
    @InjectMojo(goal = "prune", pom = POM)
    void anAlreadyQuantizedModelIsRefusedBeforeCalibrate(PruneMojo mojo) throws Exception {
        // The tiny detector with its input behind a QuantizeLinear/DequantizeLinear pair, as calibrate writes them.
        var proto = TinyDetectors.convolutional(32, List.of("person", "car"), 7);
        var graph = proto.getGraph().toBuilder();
        graph.addInitializer(TinyDetectors.floats("images_scale", new float[] {1 / 255f}));
        graph.addInitializer(ai.onnx.proto.OnnxMl.TensorProto.newBuilder().setName("images_zero")
                .setDataType(ai.onnx.proto.OnnxMl.TensorProto.DataType.UINT8_VALUE).addInt32Data(0));
        graph.addNode(0, TinyDetectors.node("DequantizeLinear", List.of("images_q", "images_scale", "images_zero"),
                "images_dq"));
        graph.addNode(0, TinyDetectors.node("QuantizeLinear", List.of("images", "images_scale", "images_zero"),
                "images_q"));
        graph.setNode(2, graph.getNode(2).toBuilder().setInput(0, "images_dq"));
        Path quantized = dir.resolve("tiny.int8.onnx");
        OnnxModel.of(proto.toBuilder().setGraph(graph).build()).save(quantized);
        configure(mojo, "quantized");
        mojo.model = quantized.toFile();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessage("<model> " + quantized + " is already quantized (1 DequantizeLinear, 1 QuantizeLinear "
                        + "nodes); prune the float model (the plain `yolo export format=onnx` export) and calibrate "
                        + "the pruned one: prune comes before calibrate.");
        assertThat(dir.resolve("quantized/tiny.int8.pruned.onnx")).doesNotExist();
    }

    @Test
    @InjectMojo(goal = "prune", pom = POM)
    void aTruncatedImageIsSkippedOrFailsAsConfigured(PruneMojo mojo) throws Exception {
        Path images = SyntheticImages.noise(dir.resolve("images"), 3, 40, 5);
        Path cut = SyntheticImages.truncatedJpeg(images.resolve("4.jpg"), 40, 3);
        configure(mojo, "truncated-skip");
        mojo.calibrationImages = images.toFile();
        mojo.execute();
        assertThat(log.warnings()).anyMatch(line -> line.startsWith("Skipping unreadable image: cannot read image "
                + cut + ": the file is truncated"));
        assertThat(new ObjectMapper().readTree(dir.resolve("truncated-skip/prune-report.json").toFile())
                .at("/calibrationImagesUsed").asInt()).isEqualTo(3);

        configure(mojo, "truncated-fail");
        mojo.calibrationImages = images.toFile();
        mojo.onUnreadableImage = "fail";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("cannot read image " + cut + ": the file is truncated");
        // The search's evaluation keeps to the same setting.
        mojo.targetMapDrop = 0.02;
        mojo.dataset = images.toFile();
        assertThat(mojo.request(ProgressListener.silent()).search().orElseThrow().evaluation().unreadableImages())
                .isEqualTo(UnreadableImagePolicy.FAIL);
    }

    @Test
    @InjectMojo(goal = "prune", pom = POM)
    void skipSaysWhy(PruneMojo mojo) throws Exception {
        configure(mojo, "skip");
        mojo.skipPrune = true;
        mojo.execute();
        assertThat(log.infos()).containsExactly("Skipping yolo-slim:prune: yoloslim.prune.skip is true");
    }
}
