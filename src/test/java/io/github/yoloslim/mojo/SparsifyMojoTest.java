package io.github.yoloslim.mojo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.yoloslim.cache.PipelineRecord;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.cache.Sha256;
import io.github.yoloslim.mojo.VerifyMapMojoTest.RecordingLog;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.prune.SparsityScales;
import io.github.yoloslim.prune.YoloGraphs;
import org.apache.maven.api.plugin.testing.InjectMojo;
import org.apache.maven.api.plugin.testing.MojoTest;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The sparsify goal on a small YOLOv8 built in code, and prune taking its output. */
@MojoTest
class SparsifyMojoTest {

    private static final String POM = "src/test/resources/unit/sparsify/pom.xml";

    @TempDir
    Path dir;

    private final RecordingLog log = new RecordingLog();
    private Path model;
    private Path images;
    private Path out;

    @BeforeEach
    void writeModelAndImages() throws Exception {
        model = dir.resolve("tiny.onnx");
        YoloGraphs.yolo(false).save(model);
        images = YoloGraphs.noiseImages(dir.resolve("training"), 16, 40, 3).get(0).getParent();
        out = dir.resolve("target/yolo-slim");
    }

    private void configure(SparsifyMojo mojo) {
        mojo.setLog(log);
        mojo.model = model.toFile();
        mojo.calibrationImages = images.toFile();
        mojo.outputDirectory = out.toFile();
        mojo.basedir = dir.toFile();
        mojo.trainingImageSize = 32;
        mojo.sparsifyEpochs = 4;
        mojo.warmupSteps = 1;
        mojo.learningRate = 0.01;
        mojo.scaleLearningRate = 0.1;
        mojo.penalty = 0.01;
        mojo.scaleThreshold = 0.5;
        mojo.threads = 2;
    }

    @Test
    @InjectMojo(goal = "sparsify", pom = POM)
    void parametersHaveTheDocumentedDefaults(SparsifyMojo mojo) {
        assertThat(mojo.sparsifyInput).isEqualTo("auto");
        assertThat(mojo.sparsifyEpochs).isEqualTo(3);
        assertThat(mojo.penalty).isEqualTo(0.004);
        assertThat(mojo.penaltySteps).isEqualTo(1);
        assertThat(mojo.scaleLearningRate).isEqualTo(0.02);
        assertThat(mojo.scaleThreshold).isEqualTo(0.01);
        assertThat(mojo.sparsifyWeights).isEqualTo("false");
        assertThat(mojo.trainingImages).isEqualTo("auto");
        assertThat(mojo.skipSparsify).isFalse();
    }

    @Test
    @InjectMojo(goal = "sparsify", pom = POM)
    void sparsifiesTheModelAndPruneTakesTheResult(SparsifyMojo mojo) throws Exception {
        configure(mojo);
        mojo.execute();

        Path sparse = out.resolve("tiny.sparse.onnx");
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Sparsity-training ") && line.contains("(penalty 0.01, "
                + "scale learning rate 0.1, weights frozen) of ") && line.contains("16 images, 4 epochs of 4 steps (batch 4, 32×32)"));
        assertThat(log.infos()).anyMatch(line -> line.matches("\\d+ of \\d+ channels \\(.*\\) ended below scale 0.5 "
                + "in \\d+ groups; wrote tiny.sparse.onnx and sparsify-report.json"));
        JsonNode report = new ObjectMapper().readTree(out.resolve("sparsify-report.json").toFile());
        assertThat(report.at("/student/sha256").asText()).isEqualTo(Sha256.ofFile(model));
        assertThat(report.at("/sparse/sha256").asText()).isEqualTo(Sha256.ofFile(sparse));
        assertThat(report.at("/sparsity/penalty").asDouble()).isEqualTo(0.01);
        assertThat(report.get("belowThreshold").asInt()).isPositive();
        assertThat(SparsityScales.of(OnnxModel.load(sparse, "<test>"), "<test>")).isPresent();
        PipelineRecord pipeline = PipelineRecord.read(out);
        assertThat(pipeline.newestOnnxBefore(PipelineStage.PRUNE, out, Sha256.ofFile(model)).file()).contains(sparse);

        log.clear();
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Sparsity training up to date: tiny.sparse.onnx"));
    }

    @Test
    @InjectMojo(goal = "sparsify", pom = POM)
    void badValuesFailNamingTheElement(SparsifyMojo mojo) {
        configure(mojo);
        mojo.penalty = 0;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<penalty>0.0</penalty> is out of range");
        mojo.penalty = 0.01;
        mojo.scaleThreshold = 1;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<scaleThreshold>1.0</scaleThreshold> is out of range");
        mojo.scaleThreshold = 0.5;
        mojo.scaleLearningRate = -1;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<scaleLearningRate>-1.0</scaleLearningRate> is out of range");
        mojo.scaleLearningRate = 0.1;
        mojo.penaltySteps = 9;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<penaltySteps>9</penaltySteps> is out of range");
        assertThat(out.resolve("tiny.sparse.onnx")).doesNotExist();
    }

    @Test
    @InjectMojo(goal = "sparsify", pom = POM)
    void theSkipSwitchesSayWhy(SparsifyMojo mojo) throws Exception {
        configure(mojo);
        mojo.skipSparsify = true;
        mojo.execute();
        assertThat(log.infos()).containsExactly("Skipping yolo-slim:sparsify: yoloslim.sparsify.skip is true");
        mojo.skip = true;
        log.clear();
        mojo.execute();
        assertThat(log.infos()).containsExactly("Skipping yolo-slim:sparsify: yoloslim.skip is true");
        assertThat(out.resolve("tiny.sparse.onnx")).doesNotExist();
    }
}
