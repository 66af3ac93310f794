package io.github.yoloslim.mojo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.yoloslim.cache.PipelineRecord;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.cache.Sha256;
import io.github.yoloslim.mojo.VerifyMapMojoTest.RecordingLog;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.prune.YoloGraphs;
import io.github.yoloslim.testing.PipelineEntries;
import org.apache.maven.api.plugin.testing.InjectMojo;
import org.apache.maven.api.plugin.testing.MojoTest;
import org.apache.maven.plugin.MojoFailureException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The distill goal on a small YOLOv8 built in code: the "pruned" student is the model with one class output's
 * weights negated, recorded as prune's output, so distillation has something to recover.
 */
@MojoTest
class DistillMojoTest {

    private static final String POM = "src/test/resources/unit/distill/pom.xml";

    @TempDir
    Path dir;

    private final RecordingLog log = new RecordingLog();
    private Path model;
    private Path images;
    private Path out;

    @BeforeEach
    void writeModelStudentAndImages() throws Exception {
        OnnxModel teacher = YoloGraphs.yolo(false);
        model = dir.resolve("tiny.onnx");
        teacher.save(model);
        images = YoloGraphs.noiseImages(dir.resolve("training"), 8, 40, 3).get(0).getParent();
        out = dir.resolve("target/yolo-slim");
        recordStudent(w -> scaled(w, -1f));
    }

    /** Writes the teacher with one class output's weights changed as prune's current output. */
    private Path recordStudent(UnaryOperator<float[]> change) throws Exception {
        Files.createDirectories(out);
        Path student = out.resolve("tiny.pruned.onnx");
        YoloGraphs.editInitializer(OnnxModel.load(model, "<test>"), "/model.9/cv3.0/cv3.0.2.weight", change)
                .save(student);
        PipelineEntries.record(out, PipelineStage.PRUNE, student, model);
        return student;
    }

    private static float[] scaled(float[] values, float factor) {
        float[] result = values.clone();
        for (int i = 0; i < result.length; i++) {
            result[i] *= factor;
        }
        return result;
    }

    private void configure(DistillMojo mojo) {
        mojo.setLog(log);
        mojo.model = model.toFile();
        mojo.calibrationImages = images.toFile();
        mojo.outputDirectory = out.toFile();
        mojo.basedir = dir.toFile();
        mojo.trainingImageSize = 32;
        mojo.epochs = 2;
        mojo.warmupSteps = 1;
        mojo.learningRate = 0.01;
        mojo.threads = 2;
    }

    @Test
    @InjectMojo(goal = "distill", pom = POM)
    void parametersHaveTheDocumentedDefaults(DistillMojo mojo) {
        assertThat(mojo.distillInput).isEqualTo("auto");
        assertThat(mojo.trainingImages).isEqualTo("auto");
        assertThat(mojo.maxTrainingImages).isZero();
        assertThat(mojo.epochs).isEqualTo(3);
        assertThat(mojo.trainingBatch).isEqualTo(4);
        assertThat(mojo.trainingImageSize).isZero();
        assertThat(mojo.learningRate).isEqualTo(2e-3);
        assertThat(mojo.warmupSteps).isEqualTo(50);
        assertThat(mojo.finalLearningRate).isEqualTo(0.01);
        assertThat(mojo.weightDecay).isZero();
        assertThat(mojo.seed).isEqualTo(1);
        assertThat(mojo.boxWeight).isEqualTo(1);
        assertThat(mojo.classWeight).isEqualTo(1);
        assertThat(mojo.featureWeight).isZero();
        assertThat(mojo.temperature).isEqualTo(1);
        assertThat(mojo.flip).isEqualTo(0.5);
        assertThat(mojo.scaleJitter).isEqualTo(0.25);
        assertThat(mojo.mosaic).isZero();
        assertThat(mojo.device).isEqualTo("auto");
        assertThat(mojo.skipDistill).isFalse();
    }

    @Test
    @InjectMojo(goal = "distill", pom = POM)
    void distilsThePrunedModelAndCalibrateTakesTheResult(DistillMojo mojo) throws Exception {
        configure(mojo);
        mojo.execute();

        Path distilled = out.resolve("tiny.distilled.onnx");
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Distilling ") && line.contains("tiny.pruned.onnx from ")
                && line.contains("tiny.onnx: 8 images, 2 epochs of 2 steps (batch 4, 32×32)"));
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Epoch 1/2: loss ") && line.contains(" left"));
        JsonNode report = new ObjectMapper().readTree(out.resolve("distill-report.json").toFile());
        assertThat(report.at("/student/file").asText()).isEqualTo("tiny.pruned.onnx");
        assertThat(report.at("/teacher/sha256").asText()).isEqualTo(Sha256.ofFile(model));
        assertThat(report.at("/distilled/sha256").asText()).isEqualTo(Sha256.ofFile(distilled));
        assertThat(report.at("/images/used").asInt()).isEqualTo(8);
        assertThat(report.at("/settings/imageSize").asInt()).isEqualTo(32);
        assertThat(report.get("epochs")).hasSize(2);
        assertThat(report.at("/epochs/1/total").asDouble()).isLessThan(report.at("/epochs/0/total").asDouble());
        assertThat(report.get("steps").asInt()).isEqualTo(4);
        assertThat(report.get("imagesPerSecond").asDouble()).isPositive();

        PipelineRecord pipeline = PipelineRecord.read(out);
        assertThat(pipeline.stages().get("distill").input().from()).isEqualTo("prune");
        assertThat(pipeline.stages().get("distill").outputs()).containsOnlyKeys("tiny.distilled.onnx",
                "distill-report.json");
        assertThat(pipeline.newestOnnxBefore(PipelineStage.CALIBRATE, out, Sha256.ofFile(model)).file())
                .contains(distilled);
    }

    @Test
    @InjectMojo(goal = "distill", pom = POM)
    void aRerunIsUpToDateTheSameSeedGivesTheSameModelAndAChangedSettingRetrains(DistillMojo mojo)
            throws Exception {
        configure(mojo);
        mojo.execute();
        byte[] first = Files.readAllBytes(out.resolve("tiny.distilled.onnx"));

        log.clear();
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Distillation up to date: tiny.distilled.onnx"));
        assertThat(log.infos()).noneMatch(line -> line.startsWith("Distilling"));

        // An interrupted run leaves the old record; the model file alone does not make it up to date.
        Files.delete(out.resolve("tiny.distilled.onnx"));
        log.clear();
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Distilling"));
        assertThat(Files.readAllBytes(out.resolve("tiny.distilled.onnx"))).isEqualTo(first);

        mojo.seed = 2;
        log.clear();
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Distilling"));
        assertThat(Files.readAllBytes(out.resolve("tiny.distilled.onnx"))).isNotEqualTo(first);
    }

    @Test
    @InjectMojo(goal = "distill", pom = POM)
    void withNothingPrunedThereIsNothingToDistil(DistillMojo mojo) throws Exception {
        configure(mojo);
        mojo.outputDirectory = dir.resolve("fresh").toFile();
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Nothing to distil: the input is <model> "));
        assertThat(dir.resolve("fresh/tiny.distilled.onnx")).doesNotExist();
        assertThat(PipelineRecord.read(dir.resolve("fresh")).stages()).doesNotContainKey("distill");
    }

    @Test
    @InjectMojo(goal = "distill", pom = POM)
    void theSkipSwitchesSayWhy(DistillMojo mojo) throws Exception {
        configure(mojo);
        mojo.skipDistill = true;
        mojo.execute();
        assertThat(log.infos()).containsExactly("Skipping yolo-slim:distill: yoloslim.distill.skip is true");
        mojo.skip = true;
        log.clear();
        mojo.execute();
        assertThat(log.infos()).containsExactly("Skipping yolo-slim:distill: yoloslim.skip is true");
        assertThat(out.resolve("tiny.distilled.onnx")).doesNotExist();
    }

    @Test
    @InjectMojo(goal = "distill", pom = POM)
    void aLossThatIsNotFiniteFailsNamingTheStepAndWritesNothing(DistillMojo mojo) throws Exception {
        recordStudent(w -> {
            float[] broken = w.clone();
            broken[0] = Float.NaN;
            return broken;
        });
        configure(mojo);
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("the distillation loss is not finite at step 1 (epoch 1");
        assertThat(out.resolve("tiny.distilled.onnx")).doesNotExist();
        assertThat(out.resolve("distill-report.json")).doesNotExist();
        assertThat(PipelineRecord.read(out).stages()).doesNotContainKey("distill");
    }

    @Test
    @InjectMojo(goal = "distill", pom = POM)
    void badInputIsAFailureNamingTheParameter(DistillMojo mojo) throws Exception {
        configure(mojo);
        mojo.trainingImages = dir.resolve("nowhere").toString();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("<trainingImages> " + dir.resolve("nowhere") + " does not exist");

        Path broken = Files.createDirectories(dir.resolve("broken"));
        Files.writeString(broken.resolve("a.jpg"), "not a jpeg");
        mojo.trainingImages = broken.toString();
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("none of the 1 training images can be read (");
        mojo.onUnreadableImage = "fail";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("(in <trainingImages> " + broken + ")");
        mojo.onUnreadableImage = "skip";
        mojo.trainingImages = "auto";

        mojo.trainingImageSize = 0;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<trainingImageSize>0</trainingImageSize> trains at the model's input size, "
                        + "16, which is not a multiple of 32");
        mojo.trainingImageSize = 40;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<trainingImageSize>40</trainingImageSize> is out of range");
        mojo.trainingImageSize = 32;
        mojo.trainingBatch = 0;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<trainingBatch>0</trainingBatch> is out of range");
        mojo.trainingBatch = 4;
        mojo.device = "tpu";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<device>tpu</device> is not a valid choice");
        mojo.device = "gpu";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<device>gpu</device> asks for a CUDA GPU, but libtorch ");
        mojo.device = "auto";
        mojo.boxWeight = 0;
        mojo.classWeight = 0;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("all loss weights are 0");
        mojo.boxWeight = 1;
        mojo.classWeight = 1;
        mojo.maxTrainingImages = -1;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<maxTrainingImages>-1</maxTrainingImages> is out of range");
        assertThat(out.resolve("tiny.distilled.onnx")).doesNotExist();
    }
}
