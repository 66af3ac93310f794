package io.github.yoloslim.mojo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.github.yoloslim.calibrate.CalibrateRequest;
import io.github.yoloslim.calibrate.Calibrator;
import io.github.yoloslim.calibrate.RangeMethod;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.engine.EngineBuildException;
import io.github.yoloslim.engine.EngineBuilders;
import io.github.yoloslim.engine.EngineEnvironment;
import io.github.yoloslim.engine.Precision;
import io.github.yoloslim.mojo.VerifyMapMojoTest.RecordingLog;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.quantize.QdqFormat;
import io.github.yoloslim.quantize.QdqOptions;
import io.github.yoloslim.testing.FakeEngineBuilder;
import io.github.yoloslim.testing.SyntheticImages;
import io.github.yoloslim.testing.TinyDetectors;
import org.apache.maven.api.plugin.testing.InjectMojo;
import org.apache.maven.api.plugin.testing.MojoTest;
import org.apache.maven.plugin.MojoExecutionException;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.project.MavenProject;
import org.apache.maven.project.MavenProjectHelper;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

/** build-engine through a fake builder (no TensorRT here), and the real builder's answer on this machine. */
@MojoTest
class BuildEngineMojoTest {

    private static final String POM = "src/test/resources/unit/build-engine/pom.xml";

    @TempDir
    Path dir;

    private final RecordingLog log = new RecordingLog();
    private final List<String> attached = new ArrayList<>();
    private Path model;
    private Path out;

    @BeforeEach
    void writeModel() throws Exception {
        model = dir.resolve("tiny.onnx");
        OnnxModel.of(TinyDetectors.convolutional(32, List.of("person", "car"), 7)).save(model);
        out = dir.resolve("target/yolo-slim");
    }

    private FakeEngineBuilder configure(BuildEngineMojo mojo) {
        FakeEngineBuilder fake = new FakeEngineBuilder(FakeEngineBuilder.H100);
        mojo.setLog(log);
        mojo.model = model.toFile();
        mojo.outputDirectory = out.toFile();
        mojo.timingCache = out.resolve("timing.cache").toFile();
        mojo.basedir = dir.toFile();
        mojo.engineBuilder = fake;
        mojo.project = new MavenProject();
        mojo.projectHelper = new RecordingHelper(attached);
        return fake;
    }

    private void calibrate() throws Exception {
        Path images = SyntheticImages.noise(dir.resolve("images"), 3, 40, 1);
        new Calibrator(ProgressListener.silent()).run(new CalibrateRequest(model, Optional.empty(), images, 0,
                RangeMethod.MSE, 99.99, QdqOptions.of(QdqFormat.TENSORRT), "10.15.1", ModelOverrides.NONE, 1, 0, UnreadableImagePolicy.SKIP, out));
    }

    @Test
    @InjectMojo(goal = "build-engine", pom = POM)
    void parametersHaveTheDocumentedDefaults(BuildEngineMojo mojo) {
        assertThat(mojo.precision).isEqualTo("auto");
        assertThat(mojo.workspaceMiB).isEqualTo(2048);
        assertThat(mojo.optimizationLevel).isEqualTo(3);
        assertThat(mojo.onMissingTensorRt).isEqualTo("fail");
        assertThat(mojo.attach).isEqualTo("true");
        assertThat(mojo.classifier).isEqualTo("auto");
        assertThat(mojo.engineInput).isEqualTo("auto");
        assertThat(mojo.skipEngine).isFalse();
    }

    @Test
    @InjectMojo(goal = "build-engine", pom = POM)
    void buildsFromTheInt8ModelWritesTheManifestAttachesThePlanAndIsUpToDate(BuildEngineMojo mojo) throws Exception {
        FakeEngineBuilder fake = configure(mojo);
        calibrate();
        mojo.execute();

        assertThat(fake.builds()).hasSize(1);
        assertThat(fake.builds().get(0).onnx().getFileName()).hasToString("tiny.int8.onnx");
        assertThat(fake.builds().get(0).precision()).isEqualTo(Precision.INT8);
        assertThat(fake.builds().get(0).optimizationLevel()).isEqualTo(3);
        Path plan = out.resolve("tiny.plan");
        assertThat(Files.readAllLines(plan).get(0)).isEqualTo("fake-plan");
        JsonNode manifest = new ObjectMapper().readTree(out.resolve("engine-manifest.json").toFile());
        assertThat(manifest.at("/precision").asText()).isEqualTo("int8");
        assertThat(manifest.at("/environment/gpu").asText()).isEqualTo("NVIDIA H100 80GB HBM3");
        assertThat(manifest.at("/classifier").asText()).isEqualTo("trt10.15-sm90");
        assertThat(manifest.at("/input/file").asText()).isEqualTo("tiny.int8.onnx");
        assertThat(manifest.at("/plan/bytes").asLong()).isEqualTo(Files.size(plan));
        assertThat(attached).containsExactly("plan:trt10.15-sm90:" + plan.getFileName());
        assertThat(out.resolve("timing.cache")).exists();

        log.clear();
        mojo.execute();
        assertThat(fake.builds()).hasSize(1);
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Engine up to date: tiny.plan"));

        mojo.optimizationLevel = 5;
        mojo.execute();
        assertThat(fake.builds()).hasSize(2);
        // The second build gets the first one's timing cache.
        assertThat(fake.builds().get(1).timingCache()).isPresent();
    }

    @Test
    @InjectMojo(goal = "build-engine", pom = POM)
    void precisionRules(BuildEngineMojo mojo) throws Exception {
        FakeEngineBuilder fake = configure(mojo);
        mojo.execute();
        assertThat(fake.builds().get(0).precision()).isEqualTo(Precision.FP16);
        assertThat(fake.builds().get(0).onnx()).isEqualTo(model);

        mojo.precision = "int8";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("<precision>int8</precision> builds from a Q/DQ model");
        mojo.precision = "int8-implicit";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("needs " + out.resolve("calibration.cache"));

        calibrate();
        mojo.execute();
        // Implicit INT8 reads the float model with the cache, even though calibrate wrote an INT8 model.
        assertThat(fake.builds().get(fake.builds().size() - 1).onnx()).isEqualTo(model);
        assertThat(fake.builds().get(fake.builds().size() - 1).calibrationCache()).isPresent();
        mojo.precision = "fp8";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<precision>fp8</precision> is not a valid choice");
    }

    @Test
    @InjectMojo(goal = "build-engine", pom = POM)
    void tensorRtRefusalsAreFailuresWithItsMessages(BuildEngineMojo mojo) {
        FakeEngineBuilder fake = configure(mojo);
        fake.failingWith(new EngineBuildException(EngineBuildException.Kind.PARSER_REJECTED,
                "TensorRT's ONNX parser rejected " + model, List.of("node Foo (CustomOp): no importer")));
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("rejected").hasMessageContaining("node Foo (CustomOp): no importer");
        assertThat(out.resolve("tiny.plan")).doesNotExist();
        fake.failingWith(new EngineBuildException(EngineBuildException.Kind.BUILD_FAILED, "no engine",
                List.of("out of memory")));
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoExecutionException.class).hasMessageContaining("out of memory");
    }

    @Test
    @InjectMojo(goal = "build-engine", pom = POM)
    void badSettingsNameTheElement(BuildEngineMojo mojo) {
        configure(mojo);
        mojo.optimizationLevel = 7;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<optimizationLevel>7</optimizationLevel> is out of range");
        mojo.optimizationLevel = 3;
        mojo.batchProfile = "8,4,1";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<batchProfile>8,4,1</batchProfile> is not a valid profile");
        mojo.batchProfile = "one";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageStartingWith("<batchProfile>one</batchProfile> is not min,opt,max");
    }

    @Test
    @InjectMojo(goal = "build-engine", pom = POM)
    void onThisMachineTheRealBuilderSaysWhatIsMissing(BuildEngineMojo mojo) throws Exception {
        configure(mojo);
        mojo.engineBuilder = null;
        EngineEnvironment environment = EngineBuilders.load().probe();
        assumeFalse(environment.available(),
                "this machine has TensorRT and a GPU; the missing-TensorRT path cannot be seen here");
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoExecutionException.class)
                .hasMessageContaining("TensorRT engines cannot be built here: " + environment.availability().description())
                .hasMessageContaining("linux-x86_64-redist")
                .hasMessageContaining("<onMissingTensorRt>skip</onMissingTensorRt>")
                .hasMessageContaining("-Dyoloslim.engine.skip");
        mojo.onMissingTensorRt = "skip";
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Skipping build-engine (<onMissingTensorRt>skip"));
        assertThat(attached).isEmpty();
    }

    /** Records attachments as {@code type:classifier:file}. */
    record RecordingHelper(List<String> attached) implements MavenProjectHelper {
        @Override
        public void attachArtifact(MavenProject project, File file, String classifier) {
            attached.add("?:" + classifier + ":" + file.getName());
        }

        @Override
        public void attachArtifact(MavenProject project, String type, File file) {
            attached.add(type + "::" + file.getName());
        }

        @Override
        public void attachArtifact(MavenProject project, String type, String classifier, File file) {
            attached.add(type + ":" + classifier + ":" + file.getName());
        }

        @Override
        public void addResource(MavenProject project, String directory, List<String> includes,
                List<String> excludes) {
        }

        @Override
        public void addTestResource(MavenProject project, String directory, List<String> includes,
                List<String> excludes) {
        }
    }
}
