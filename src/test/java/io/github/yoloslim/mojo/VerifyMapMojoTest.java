package io.github.yoloslim.mojo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.engine.Availability;
import io.github.yoloslim.engine.BuildEngineRequest;
import io.github.yoloslim.engine.EngineEnvironment;
import io.github.yoloslim.engine.EngineFactory;
import io.github.yoloslim.engine.EngineResult;
import io.github.yoloslim.engine.MissingTensorRtPolicy;
import io.github.yoloslim.engine.Precision;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.testing.FakeEngineBuilder;
import io.github.yoloslim.testing.PipelineEntries;
import io.github.yoloslim.testing.SyntheticCoco;
import io.github.yoloslim.testing.SyntheticImages;
import io.github.yoloslim.testing.TinyDetectors;
import io.github.yoloslim.testing.TinyDetectors.Box;
import org.apache.maven.api.plugin.testing.InjectMojo;
import org.apache.maven.api.plugin.testing.MojoTest;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.plugin.logging.SystemStreamLog;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.xml.parsers.DocumentBuilderFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

/** The verify-map goal as Maven configures it, on tiny real ONNX detectors and a synthetic COCO dataset. */
@MojoTest
class VerifyMapMojoTest {

    private static final String POM = "src/test/resources/unit/verify-map/pom.xml";

    @TempDir
    Path dir;

    private final RecordingLog log = new RecordingLog();
    private Path images;
    private Path exact;
    private Path shifted;

    @BeforeEach
    void writeModelsAndData() throws Exception {
        images = SyntheticCoco.write(dir.resolve("data"), 3, 64);
        // The exact model finds the ground-truth box; the shifted one is 8 px off (IoU 0.6).
        exact = detector("exact.onnx", 32);
        shifted = detector("shifted.onnx", 40);
    }

    private Path detector(String name, float cx) throws Exception {
        return detector(name, cx, 1);
    }

    private Path detector(String name, float cx, int batch) throws Exception {
        Path file = dir.resolve(name);
        OnnxModel.of(TinyDetectors.constant(64, batch, List.of("person"), 84,
                List.of(new Box(cx, 32, 32, 32, 0, 0.9f)))).save(file);
        return file;
    }

    private void configure(VerifyMapMojo mojo, Path candidate) {
        mojo.setLog(log);
        mojo.model = exact.toFile();
        mojo.candidate = candidate == null ? "auto" : candidate.toString();
        mojo.dataset = images.toFile();
        mojo.outputDirectory = dir.resolve("target/yolo-slim").toFile();
        mojo.reportFile = dir.resolve("target/yolo-slim/map-report.json").toFile();
        mojo.basedir = dir.toFile();
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void parametersHaveTheDocumentedDefaults(VerifyMapMojo mojo) {
        assertThat(mojo.maxEvaluationImages).isEqualTo(2);
        assertThat(mojo.maxMapDrop).isEqualTo(0.01);
        assertThat(mojo.minMap).isZero();
        assertThat(mojo.confidenceThreshold).isEqualTo(0.001);
        assertThat(mojo.iouThreshold).isEqualTo(0.7);
        assertThat(mojo.maxDetections).isEqualTo(300);
        assertThat(mojo.multiLabel).isEqualTo("true");
        assertThat(mojo.candidate).isEqualTo("auto");
        assertThat(mojo.baseline).isEqualTo("model");
        assertThat(mojo.annotations).isEqualTo("auto");
        assertThat(mojo.datasetFormat).isEqualTo("auto");
        assertThat(mojo.onUnreadableImage).isEqualTo("skip");
        assertThat(mojo.threads).isZero();
        assertThat(mojo.skip).isFalse();
        assertThat(mojo.skipVerify).isFalse();
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void aSwitchThatIsNeitherTrueNorFalseIsRefusedNamingTheElement(VerifyMapMojo mojo) {
        configure(mojo, null);
        mojo.multiLabel = "maybe";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessage("<multiLabel>maybe</multiLabel> is not a valid choice: use true or false.");
        mojo.multiLabel = " FALSE ";
        assertThat(mojo.request().evaluation().decode().multiLabel()).isFalse();
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void passesAgainstItselfWritesTheReportAndIsUpToDateOnRerun(VerifyMapMojo mojo) throws Exception {
        configure(mojo, null);
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Evaluating baseline exact.onnx on 2 images"));
        JsonNode report = new ObjectMapper().readTree(mojo.reportFile);
        assertThat(report.get("verdict").asText()).isEqualTo("PASSED");
        assertThat(report.at("/baseline/evaluation/stats/ap").asDouble()).isEqualTo(1.0);
        assertThat(report.at("/baseline/upToDate").asBoolean()).isFalse();
        Path markdown = mojo.reportFile.toPath().resolveSibling("map-report.md");
        byte[] written = Files.readAllBytes(mojo.reportFile.toPath());
        byte[] writtenMarkdown = Files.readAllBytes(markdown);

        log.clear();
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Baseline exact.onnx: up to date (mAP50-95 1.000"));
        assertThat(log.infos()).noneMatch(line -> line.startsWith("Evaluating"));
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Report up to date: ")
                && line.contains("(written " + report.get("createdAt").asText() + ")"));
        assertThat(Files.readAllBytes(mojo.reportFile.toPath())).isEqualTo(written);
        assertThat(Files.readAllBytes(markdown)).isEqualTo(writtenMarkdown);

        mojo.maxMapDrop = 0.5;
        log.clear();
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Report: "));
        assertThat(new ObjectMapper().readTree(mojo.reportFile).get("maxMapDrop").asDouble()).isEqualTo(0.5);
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void aRecordedOutputThatIsMissingOrChangedFailsInsteadOfGatingTheModel(VerifyMapMojo mojo) throws Exception {
        configure(mojo, null);
        Path output = Files.createDirectories(mojo.outputDirectory.toPath());
        Path quantized = Files.copy(shifted, output.resolve("exact.int8.onnx"));
        PipelineEntries.record(output, PipelineStage.CALIBRATE, quantized, mojo.model.toPath());
        Files.write(quantized, Files.readAllBytes(exact));
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("verify-map has no model to gate: calibrate output exact.int8.onnx changed "
                        + "since it was written");
        Files.delete(quantized);
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("verify-map has no model to gate: calibrate output exact.int8.onnx is missing");
        assertThat(log.infos()).noneMatch(line -> line.startsWith("Evaluating"));
        // Named explicitly, the candidate is the user's choice and the record does not matter.
        configure(mojo, exact);
        mojo.execute();
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void aCachedEvaluationOfOtherBytesIsNeverUsed(VerifyMapMojo mojo) throws Exception {
        configure(mojo, shifted);
        mojo.maxMapDrop = 1;
        mojo.execute();
        // Another build stored another model's evaluation under this key: the hash inside gives it away.
        Path cache = mojo.outputDirectory.toPath().resolve("cache");
        try (var entries = Files.list(cache)) {
            for (Path entry : entries.toList()) {
                Files.writeString(entry, Files.readString(entry).replace(
                        io.github.yoloslim.cache.Sha256.ofFile(shifted), "0".repeat(64)));
            }
        }
        log.clear();
        mojo.execute();
        assertThat(log.warnings()).anyMatch(line -> line.startsWith("Ignoring cached evaluation ")
                && line.contains("it evaluated other bytes"));
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Evaluating candidate shifted.onnx"));
        JsonNode report = new ObjectMapper().readTree(mojo.reportFile);
        assertThat(report.at("/candidate/evaluation/stats/ap").asDouble()).isEqualTo(0.3, within(1e-9));
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void aReportFromAnEarlierRunIsGoneOnceARunStarts(VerifyMapMojo mojo) throws Exception {
        configure(mojo, null);
        mojo.execute();
        assertThat(mojo.reportFile).exists();
        mojo.dataset = dir.resolve("nowhere").toFile();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class);
        assertThat(mojo.reportFile).doesNotExist();
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void failsTheBuildWhenTheCandidateDropsTooMuch(VerifyMapMojo mojo) {
        configure(mojo, shifted);
        // IoU exactly 0.6 (768 / 1280) matches at thresholds .50, .55 and .60 (pycocotools skips only IoU < t):
        // AP 3/10 = 0.3, a drop of 0.7.
        assertThatThrownBy(mojo::execute)
                .isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("mAP50-95 dropped 0.700 (1.000 → 0.300), more than <maxMapDrop>0.010</maxMapDrop>");
        assertThat(mojo.reportFile).exists();
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void writesTheMarkdownSummaryAndAJUnitReportWhoseCandidateCaseFailsWithTheGate(VerifyMapMojo mojo)
            throws Exception {
        configure(mojo, shifted);
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class);
        Path output = mojo.outputDirectory.toPath();
        String markdown = Files.readString(output.resolve("map-report.md"));
        assertThat(markdown).startsWith("### yolo-slim verify-map: FAIL\n")
                .contains("| baseline | `exact.onnx` | 1.000 | 1.000 | 1.000 |  |")
                .contains("| candidate | `shifted.onnx` | 0.300 | 1.000 | 0.000 | 0.700 |")
                .contains("**FAIL**: mAP50-95 dropped 0.700 (1.000 → 0.300)")
                .contains("Largest per-class AP50-95 losses: person 1.000 → 0.300.");
        Document failed = junit(output);
        assertThat(failed.getDocumentElement().getAttribute("tests")).isEqualTo("6");
        assertThat(failed.getDocumentElement().getAttribute("failures")).isEqualTo("1");
        NodeList failures = failed.getElementsByTagName("failure");
        assertThat(failures.getLength()).isOne();
        Element failedCase = (Element) failures.item(0).getParentNode();
        assertThat(failedCase.getAttribute("classname")).isEqualTo("yolo-slim.verify-map.candidate");
        assertThat(failedCase.getAttribute("name")).isEqualTo("mAP50-95");
        assertThat(((Element) failures.item(0)).getAttribute("type")).isEqualTo("MAP_DROP_EXCEEDED");

        mojo.maxMapDrop = 0.9;
        mojo.execute();
        assertThat(Files.readString(output.resolve("map-report.md"))).startsWith("### yolo-slim verify-map: PASS\n");
        Document passed = junit(output);
        assertThat(passed.getDocumentElement().getAttribute("failures")).isEqualTo("0");
        assertThat(passed.getElementsByTagName("testcase").getLength()).isEqualTo(6);
        assertThat(passed.getElementsByTagName("failure").getLength()).isZero();
    }

    private static Document junit(Path output) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(output.resolve("TEST-yolo-slim.xml").toFile());
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void aLooseToleranceOrAFloorDecide(VerifyMapMojo mojo) throws Exception {
        configure(mojo, shifted);
        mojo.maxMapDrop = 0.9;
        mojo.execute();
        mojo.minMap = 0.5;
        assertThatThrownBy(mojo::execute)
                .isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("mAP50-95 of the candidate is 0.300, below <minMap>0.500</minMap>");
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void takesTheNewestPipelineOutputAsCandidate(VerifyMapMojo mojo) throws Exception {
        configure(mojo, null);
        Path output = mojo.outputDirectory.toPath();
        Files.createDirectories(output);
        Path pruned = output.resolve("exact.pruned.onnx");
        Files.copy(shifted, pruned);
        PipelineEntries.record(output, PipelineStage.PRUNE, pruned, mojo.model.toPath());
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class);
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Candidate exact.pruned.onnx (newest pipeline output (prune))"));
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void dynamicBatchModelsRunInBatchesWithAShortLastOne(VerifyMapMojo mojo) throws Exception {
        configure(mojo, detector("dynamic.onnx", 40, 0));
        mojo.maxEvaluationImages = 3;
        mojo.batchSize = 2;
        mojo.maxMapDrop = 0.9;
        mojo.execute();
        JsonNode report = new ObjectMapper().readTree(mojo.reportFile);
        assertThat(report.at("/candidate/evaluation/images").asInt()).isEqualTo(3);
        assertThat(report.at("/candidate/evaluation/detections").asInt()).isEqualTo(3);
        assertThat(report.at("/candidate/evaluation/stats/ap").asDouble()).isEqualTo(0.3);
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void aPlanCandidateRunsOnTheEngineBuilderWithItsSourceModelsClasses(VerifyMapMojo mojo) throws Exception {
        configure(mojo, null);
        FakeEngineBuilder fake = new FakeEngineBuilder(FakeEngineBuilder.H100);
        Path output = mojo.outputDirectory.toPath();
        Files.createDirectories(output);
        Path source = Files.copy(shifted, output.resolve("shifted.onnx"));
        EngineResult engine = new EngineFactory(fake, ProgressListener.silent()).run(new BuildEngineRequest(source,
                Optional.of(source), Optional.of(Precision.FP16), 1 << 30, 3, Optional.empty(),
                output.resolve("timing.cache"), MissingTensorRtPolicy.FAIL, Optional.empty(), ModelOverrides.NONE,
                output));
        mojo.candidate = engine.plan().toString();
        mojo.engineBuilder = fake;
        mojo.maxMapDrop = 0.9;
        mojo.execute();
        JsonNode report = new ObjectMapper().readTree(mojo.reportFile);
        assertThat(report.at("/candidate/evaluation/model").asText()).endsWith("shifted.plan");
        assertThat(report.at("/candidate/evaluation/stats/ap").asDouble()).isEqualTo(0.3);

        mojo.engineBuilder = new FakeEngineBuilder(new EngineEnvironment(Availability.NO_CUDA_DRIVER,
                "libcuda.so.1: cannot open shared object file", null, null, null, null, null));
        mojo.outputDirectory = dir.resolve("elsewhere").toFile();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoExecutionException.class)
                .hasMessageContaining("verify-map cannot run the engine").hasMessageContaining("libcuda.so.1");
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void skipSwitchesSayWhyAndDoNothing(VerifyMapMojo mojo) throws Exception {
        configure(mojo, null);
        mojo.model = new File("does-not-exist.onnx");
        mojo.skipVerify = true;
        mojo.execute();
        assertThat(log.infos()).containsExactly("Skipping yolo-slim:verify-map: yoloslim.verify.skip is true");
        mojo.skip = true;
        log.clear();
        mojo.execute();
        assertThat(log.infos()).containsExactly("Skipping yolo-slim:verify-map: yoloslim.skip is true");
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void badValuesNameTheElementAndTheFix(VerifyMapMojo mojo) {
        configure(mojo, null);
        mojo.maxMapDrop = 1.5;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<maxMapDrop>1.5</maxMapDrop> is out of range");
        mojo.maxMapDrop = 0.01;
        mojo.minMap = 35;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("(0.35, not 35)");
        mojo.minMap = 0;
        mojo.datasetFormat = "voc";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessage("<datasetFormat>voc</datasetFormat> is not a valid choice: use auto, coco or yolo.");
        mojo.datasetFormat = "auto";
        mojo.onUnreadableImage = "ignore";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("<onUnreadableImage>ignore</onUnreadableImage> is not a valid choice");
        mojo.onUnreadableImage = "skip";
        mojo.iouThreshold = 0;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<iouThreshold>0.0</iouThreshold> is out of range");
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void missingDatasetAndMissingModelAreFailuresNamingTheParameter(VerifyMapMojo mojo) {
        configure(mojo, null);
        mojo.dataset = dir.resolve("nowhere").toFile();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class).hasMessageContaining("<dataset>");
        configure(mojo, null);
        mojo.model = dir.resolve("missing.onnx").toFile();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("<model> " + dir.resolve("missing.onnx") + " does not exist");
        assertThat(mojo.reportFile).doesNotExist();
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void unreadableImagesAreSkippedAndCountedOrFailAsConfigured(VerifyMapMojo mojo) throws Exception {
        configure(mojo, null);
        Files.writeString(images.resolve("2.png"), "not a png");
        mojo.execute();
        assertThat(log.warnings()).anyMatch(line -> line.startsWith("Skipping unreadable image") && line.contains("2.png"));
        JsonNode report = new ObjectMapper().readTree(mojo.reportFile);
        assertThat(report.at("/baseline/evaluation/images").asInt()).isEqualTo(1);
        assertThat(report.at("/baseline/evaluation/skippedImages").size()).isEqualTo(1);

        mojo.onUnreadableImage = "fail";
        mojo.outputDirectory = dir.resolve("other").toFile();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("2.png")
                .hasMessageContaining("<onUnreadableImage>skip</onUnreadableImage>");
    }

    @Test
    @InjectMojo(goal = "verify-map", pom = POM)
    void aTruncatedJpegIsUnreadableNotScoredPartlyGrey(VerifyMapMojo mojo) throws Exception {
        configure(mojo, null);
        mojo.onUnreadableImage = "fail";
        Path cut = SyntheticImages.truncatedJpeg(images.resolve("2.png"), 64, 3);
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("cannot read image " + cut + ": the file is truncated");
    }

    /** Keeps what the mojo logs, for assertions. */
    static final class RecordingLog extends SystemStreamLog {
        private final List<String> infos = new ArrayList<>();
        private final List<String> warnings = new ArrayList<>();

        @Override
        public void info(CharSequence content) {
            infos.add(content.toString());
        }

        @Override
        public void warn(CharSequence content) {
            warnings.add(content.toString());
        }

        List<String> infos() {
            return infos;
        }

        List<String> warnings() {
            return warnings;
        }

        void clear() {
            infos.clear();
            warnings.clear();
        }
    }
}
