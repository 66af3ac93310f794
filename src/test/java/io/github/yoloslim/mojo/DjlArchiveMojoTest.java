package io.github.yoloslim.mojo;

import io.github.yoloslim.mojo.BuildEngineMojoTest.RecordingHelper;
import io.github.yoloslim.mojo.VerifyMapMojoTest.RecordingLog;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.testing.TinyDetectors;
import io.github.yoloslim.testing.TinyDetectors.Box;
import org.apache.maven.api.plugin.testing.InjectMojo;
import org.apache.maven.api.plugin.testing.MojoTest;
import org.apache.maven.plugin.MojoFailureException;
import org.apache.maven.project.MavenProject;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** djl-archive through the harness: defaults, the archive attached, up to date, refusals, skips. */
@MojoTest
class DjlArchiveMojoTest {

    private static final String POM = "src/test/resources/unit/djl-archive/pom.xml";

    @TempDir
    Path dir;

    private final RecordingLog log = new RecordingLog();
    private final List<String> attached = new ArrayList<>();
    private Path out;

    @BeforeEach
    void writeModel() throws Exception {
        out = dir.resolve("target/yolo-slim");
    }

    private void configure(DjlArchiveMojo mojo) throws Exception {
        Path model = dir.resolve("tiny.onnx");
        OnnxModel.of(TinyDetectors.constant(32, 1, List.of("person", "car"), 8,
                List.of(new Box(16, 16, 8, 8, 1, 0.9f)))).save(model);
        mojo.setLog(log);
        mojo.model = model.toFile();
        mojo.outputDirectory = out.toFile();
        mojo.basedir = dir.toFile();
        mojo.project = new MavenProject();
        mojo.projectHelper = new RecordingHelper(attached);
    }

    @Test
    @InjectMojo(goal = "djl-archive", pom = POM)
    void parametersHaveTheDocumentedDefaults(DjlArchiveMojo mojo) {
        assertThat(mojo.djlInput).isEqualTo("auto");
        assertThat(mojo.djlConfidenceThreshold).isEqualTo(0.25);
        assertThat(mojo.djlIouThreshold).isEqualTo(0.7);
        assertThat(mojo.djlMaxDetections).isEqualTo(300);
        assertThat(mojo.djlMultiLabel).isEqualTo("false");
        assertThat(mojo.djlClassifier).isEqualTo("djl");
        assertThat(mojo.djlAttach).isEqualTo("true");
        assertThat(mojo.skipDjlArchive).isFalse();
    }

    @Test
    @InjectMojo(goal = "djl-archive", pom = POM)
    void writesAndAttachesTheArchiveThenIsUpToDate(DjlArchiveMojo mojo) throws Exception {
        configure(mojo);
        mojo.execute();

        assertThat(out.resolve("tiny-djl.zip")).isRegularFile();
        assertThat(attached).containsExactly("zip:djl:tiny-djl.zip");
        assertThat(log.infos()).anyMatch(line -> line.startsWith("Wrote tiny-djl.zip"))
                .anyMatch(line -> line.contains("com.drewnoakes:metadata-extractor:"));
        assertThat(out.resolve("report.html")).isRegularFile();

        log.clear();
        mojo.execute();
        assertThat(log.infos()).anyMatch(line -> line.startsWith("DJL archive up to date: tiny-djl.zip"));
        assertThat(attached).hasSize(2);
    }

    @Test
    @InjectMojo(goal = "djl-archive", pom = POM)
    void badSettingsAreFailuresNamingTheElement(DjlArchiveMojo mojo) throws Exception {
        configure(mojo);
        mojo.djlClassifier = "my classifier";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("<djlClassifier>my classifier</djlClassifier>");
        mojo.djlClassifier = "djl";
        mojo.djlMultiLabel = "yes";
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("<djlMultiLabel>yes");
        mojo.djlMultiLabel = "false";
        mojo.djlConfidenceThreshold = 1;
        assertThatThrownBy(mojo::execute).isInstanceOf(MojoFailureException.class)
                .hasMessageContaining("<djlConfidenceThreshold>1.0");
        assertThat(attached).isEmpty();
    }

    @Test
    @InjectMojo(goal = "djl-archive", pom = POM)
    void skipsSaySo(DjlArchiveMojo mojo) throws Exception {
        configure(mojo);
        mojo.skipDjlArchive = true;
        mojo.execute();
        assertThat(log.infos()).containsExactly("Skipping yolo-slim:djl-archive: yoloslim.djl.skip is true");
        assertThat(out.resolve("tiny-djl.zip")).doesNotExist();
    }
}
