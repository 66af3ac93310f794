package io.github.yoloslim.mojo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.yoloslim.cache.PipelineRecord;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.cache.Sha256;
import io.github.yoloslim.mojo.VerifyMapMojoTest.RecordingLog;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.quantize.TensorRtCalibrationCache;
import io.github.yoloslim.runtime.DetectorSession;
import io.github.yoloslim.testing.PipelineEntries;
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

/** The calibrate goal on a small real convolutional detector and random-noise images. */
@MojoTest
class CalibrateMojoTest {

    private static final String POM = "src/test/resources/unit/calibrate/pom.xml";

    @TempDir
    Path dir;

    private final RecordingLog log = new RecordingLog();
    private Path model;
    private Path images;

    @BeforeEach
    void writeModelAndImages() throws Exception {
        model = dir.resolve("tiny.onnx");
        OnnxModel.of(TinyDetectors.convolutional(32, List.of("person", "car"), 7)).save(model);
        images = SyntheticImages.noise(dir.resolve("calibration"), 6, 40, 11);
    }

    private void configure(CalibrateMojo mojo, Path output) {
        mojo.setLog(log);
        mojo.model = model.toFile();
        mojo.calibrationImages = images.toFile();
        mojo.outputDirectory = output.toFile();
        mojo.basedir = dir.toFile();
    }

    private Path output(String name) {
        return dir.resolve(name).resolve("yolo-slim");
    }

    @Test
    @InjectMojo(goal = "calibrate", pom = POM)
    void parametersHaveTheDocumentedDefaults(CalibrateMojo mojo) {
        assertThat(mojo.method).isEqualTo("mse");
        assertThat(mojo.qdqFormat).isEqualTo("tensorrt");
        assertThat(mojo.int8Encoding).isEqualTo("auto");
        assertThat(mojo.maxCalibrationImages).isEqualTo(500);
        assertThat(mojo.percentile).isEqualTo(99.99);
        assertThat(mojo.tensorRtVersion).isEqualTo("10.15.1");
        assertThat(mojo.calibrationInput).isEqualTo("auto");
        assertThat(mojo.skipCalibrate).isFalse();
    }

    @Test
    @InjectMojo(goal = "calibrate", pom = POM)
    void writesTheQuantizedModelTheCacheAndTheReport(CalibrateMojo mojo) throws Exception {
        Path out = output("a");
        configure(mojo, out);
        mojo.execute();

        Path int8 = out.resolve("tiny.int8.onnx");
        OnnxModel quantized = OnnxModel.load(int8, "<test>");
        assertThat(quantized.graph().getNodeList()).anyMatch(node -> node.getOpType().equals("QuantizeLinear"));
        YoloModelInfo info = YoloModelInspector.inspect(quantized, "<test>", ModelOverrides.NONE);
        try (DetectorSession session = DetectorSession.open(int8, info, 1, "<test>")) {
            assertThat(session.run(new float[3 * 32 * 32], 1).data()).hasSize(6 * 256);
        }

        List<String> cache = Files.readAllLines(out.resolve("calibration.cache"));
        assertThat(cache.get(0)).isEqualTo("TRT-101501-EntropyCalibration2");
        Map<String, Float> scales = TensorRtCalibrationCache.parse(String.join("\n", cache) + "\n");
        assertThat(scales).containsKeys("images", "act0");
        // Letterboxed pixels lie in [0, 1]: the image input's range is at most 1.
        assertThat(scales.get("images")).isPositive().isLessThanOrEqualTo(1f / 127);

        JsonNode report = new ObjectMapper().readTree(out.resolve("calibration.json").toFile());
        assertThat(report.get("method").asText()).isEqualTo("mse");
        assertThat(report.get("int8Encoding").asText()).isEqualTo("s8s8");
        assertThat(report.at("/images/used").asInt()).isEqualTo(6);
        assertThat(report.at("/amax/act0").asDouble()).isPositive();

        PipelineRecord pipeline = PipelineRecord.read(out);
        assertThat(pipeline.stages().get("calibrate").file()).isEqualTo("tiny.int8.onnx");
        assertThat(pipeline.gateCandidate(out, Sha256.ofFile(model)).file()).contains(int8);
        assertThat(pipeline.stages().get("calibrate").outputs()).containsEntry("tiny.int8.onnx", Sha256.ofFile(int8))
                .containsKeys("calibration.cache", "calibration.json");
        assertThat(log.warnings()).anyMatch(line -> line.startsWith("Calibrating on 6 images"));
    }

    @Test
    @InjectMojo(goal = "calibrate", pom = POM)
    void aRerunWithNothingChangedIsUpToDateAndAChangedImageRecalibrates(CalibrateMojo mojo) throws Exception {
        Path out = output("b");
        configure(mojo, out);
        mojo.execute();
        byte[] first = Files.readAllBytes(out.resolve("tiny.int8.onnx"));

        log.clear();
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Calibration up to date"));
        assertThat(log.infos()).noneMatch(line -> line.startsWith("Calibrating"));

        SyntheticImages.noise(images, 1, 40, 99);
        log.clear();
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Calibrating tiny.onnx"));
        assertThat(Files.readAllBytes(out.resolve("tiny.int8.onnx"))).isNotEqualTo(first);
    }

    private void calibrateAtOneAndTwoThreadsAndCompare(CalibrateMojo mojo) throws Exception {
        configure(mojo, output("one"));
        mojo.threads = 1;
        mojo.execute();
        configure(mojo, output("two"));
        mojo.threads = 2;
        mojo.execute();
        for (String file : List.of("tiny.int8.onnx", "calibration.cache", "calibration.json")) {
            assertThat(Files.readAllBytes(output("two").resolve(file))).as(file)
                    .isEqualTo(Files.readAllBytes(output("one").resolve(file)));
        }
    }

    @Test
    @InjectMojo(goal = "calibrate", pom = POM)
    void outputsAreByteIdenticalWhateverTheThreadCount(CalibrateMojo mojo) throws Exception {
        calibrateAtOneAndTwoThreadsAndCompare(mojo);
    }

    @Test
    @InjectMojo(goal = "calibrate", pom = POM)
    void largeActivationsAreSampledTheSameWayWhateverTheThreadCount(CalibrateMojo mojo) throws Exception {
        // At 512×512 the image input holds 786,432 values per image, more than are read, so it is sampled by runs.
        OnnxModel.of(TinyDetectors.convolutional(512, List.of("person", "car"), 7)).save(model);
        calibrateAtOneAndTwoThreadsAndCompare(mojo);
        JsonNode report = new ObjectMapper().readTree(output("one").resolve("calibration.json").toFile());
        JsonNode image = null;
        for (JsonNode group : report.get("groups")) {
            if (group.get("name").asText().equals("images")) {
                image = group;
            }
        }
        assertThat(image).isNotNull();
        assertThat(image.get("values").asLong()).isEqualTo(6L * 3 * 512 * 512);
        // 768 runs of 1024 values per image, 1 in 7 read, the six images starting at runs 0..5: 5 × 110 + 109 runs.
        assertThat(image.get("binnedValues").asLong()).isEqualTo((5L * 110 + 109) * 1024);
        assertThat(image.at("/byMethod/minmax").asDouble()).isEqualTo(image.get("absMax").asDouble());
    }

    @Test
    @InjectMojo(goal = "calibrate", pom = POM)
    void ortLayoutQuantizesConvOutputsWithInt32Bias(CalibrateMojo mojo) throws Exception {
        Path out = output("ort");
        configure(mojo, out);
        mojo.qdqFormat = "ort";
        mojo.execute();
        JsonNode report = new ObjectMapper().readTree(out.resolve("calibration.json").toFile());
        assertThat(report.get("int8Encoding").asText()).isEqualTo("u8s8-7bit");
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Calibrating tiny.onnx (ort layout, u8s8-7bit:"));
        OnnxModel quantized = OnnxModel.load(out.resolve("tiny.int8.onnx"), "<test>");
        assertThat(quantized.graph().getInitializerList())
                .anyMatch(t -> t.getDataType() == ai.onnx.proto.OnnxMl.TensorProto.DataType.INT32_VALUE);
        YoloModelInfo info = YoloModelInspector.inspect(quantized, "<test>", ModelOverrides.NONE);
        try (DetectorSession session = DetectorSession.open(out.resolve("tiny.int8.onnx"), info, 1, "<test>")) {
            assertThat(session.run(new float[3 * 32 * 32], 1).data()).hasSize(6 * 256);
        }
    }

    @Test
    @InjectMojo(goal = "calibrate", pom = POM)
    void takesThePrunedModelFromThePipeline(CalibrateMojo mojo) throws Exception {
        Path out = output("pruned");
        Files.createDirectories(out);
        Path pruned = out.resolve("tiny.pruned.onnx");
        OnnxModel.of(TinyDetectors.convolutional(32, List.of("person", "car"), 8)).save(pruned);
        PipelineEntries.record(out, PipelineStage.PRUNE, pruned, model);
        configure(mojo, out);
        mojo.execute();
        JsonNode report = new ObjectMapper().readTree(out.resolve("calibration.json").toFile());
        assertThat(report.at("/model/file").asText()).isEqualTo("tiny.pruned.onnx");
        assertThat(report.at("/model/sha256").asText()).isEqualTo(Sha256.ofFile(pruned));
        assertThat(out.resolve("tiny.int8.onnx")).exists();
    }

    @Test
    @InjectMojo(goal = "calibrate", pom = POM)
    void badInputIsAFailureNamingTheParameterAndNothingIsWritten(CalibrateMojo mojo) throws Exception {
        Path out = output("bad");
        configure(mojo, out);
        mojo.calibrationImages = dir.resolve("nowhere").toFile();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("<calibrationImages> " + dir.resolve("nowhere") + " does not exist");

        Path empty = Files.createDirectories(dir.resolve("empty"));
        mojo.calibrationImages = empty.toFile();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("has no images");

        Path broken = Files.createDirectories(dir.resolve("broken"));
        Files.writeString(broken.resolve("a.jpg"), "not a jpeg");
        Files.writeString(broken.resolve("b.png"), "not a png");
        mojo.calibrationImages = broken.toFile();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("none of the 2 images of <calibrationImages> " + broken + " could be read");

        mojo.calibrationImages = images.toFile();
        mojo.method = "kl";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<method>kl</method> is not a valid choice");
        mojo.method = "mse";
        mojo.qdqFormat = "qnn";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<qdqFormat>qnn</qdqFormat> is not a valid choice");
        mojo.qdqFormat = "tensorrt";
        mojo.int8Encoding = "u8s8-vnni";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<int8Encoding>u8s8-vnni</int8Encoding> does not fit <qdqFormat>tensorrt");
        mojo.int8Encoding = "auto";
        mojo.percentile = 0;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<percentile>0.0</percentile> is out of range");
        mojo.percentile = 99.99;
        assertThat(out.resolve("tiny.int8.onnx")).doesNotExist();

        Path file = Files.writeString(dir.resolve("a-file"), "x");
        configure(mojo, file);
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("<outputDirectory> " + file + " is a file");
    }

    @Test
    @InjectMojo(goal = "calibrate", pom = POM)
    void aTruncatedImageIsSkippedOrFailsAsConfigured(CalibrateMojo mojo) throws Exception {
        Path cut = SyntheticImages.truncatedJpeg(images.resolve("7.jpg"), 40, 3);
        configure(mojo, output("truncated-skip"));
        mojo.execute();
        assertThat(log.warnings()).anyMatch(line -> line.startsWith("Skipping unreadable image: cannot read image "
                + cut + ": the file is truncated"));

        configure(mojo, output("truncated-fail"));
        mojo.onUnreadableImage = "fail";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("cannot read image " + cut + ": the file is truncated")
                .hasMessageContaining("<onUnreadableImage>skip</onUnreadableImage>");
        assertThat(output("truncated-fail").resolve("tiny.int8.onnx")).doesNotExist();
    }

    @Test
    @InjectMojo(goal = "calibrate", pom = POM)
    void aNegativeImageSizeIsRefusedNamingTheElement(CalibrateMojo mojo) {
        configure(mojo, output("negative-size"));
        mojo.imageSize = -1;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessage("<imageSize>-1</imageSize> is out of range: use 0 (from the model) or a multiple of 32, "
                        + "e.g. 640.");
        assertThat(output("negative-size").resolve("tiny.int8.onnx")).doesNotExist();
    }

    @Test
    @InjectMojo(goal = "calibrate", pom = POM)
    void anAlreadyQuantizedModelIsRefused(CalibrateMojo mojo) throws Exception {
        Path out = output("twice");
        configure(mojo, out);
        mojo.execute();
        mojo.calibrationInput = out.resolve("tiny.int8.onnx").toString();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("is already quantized");
    }

    @Test
    @InjectMojo(goal = "calibrate", pom = POM)
    void skipSaysWhy(CalibrateMojo mojo) throws Exception {
        configure(mojo, output("skip"));
        mojo.skipCalibrate = true;
        mojo.execute();
        assertThat(log.infos()).containsExactly("Skipping yolo-slim:calibrate: yoloslim.calibrate.skip is true");
    }
}
