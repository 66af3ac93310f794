package io.github.yoloslim.cache;

import io.github.yoloslim.quantize.Int8Encoding;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StageKeyTest {

    /** A key with every kind of value; the names come in the order given. */
    static StageKey sample(Set<String> excluded) {
        return StageKey.of(PipelineStage.CALIBRATE)
                .input("model", "ab12")
                .input("calibrationImages", "cd34")
                .parameter("method", "mse")
                .parameter("percentile", 99.99)
                .parameter("imageSize", 640)
                .parameter("multiLabel", true)
                .parameter("int8Encoding", Int8Encoding.U8S8_7BIT)
                .parameter("classNames", List.of("person", "bicycle"))
                .names("excludeNodes", excluded);
    }

    @Test
    void setsInAnyInsertionOrderGiveOneFingerprint() {
        Set<String> forwards = new LinkedHashSet<>(List.of("/model.22/Concat", "/model.0/conv/Conv", "b"));
        Set<String> backwards = new LinkedHashSet<>(List.of("b", "/model.0/conv/Conv", "/model.22/Concat"));
        assertThat(sample(forwards).fingerprint()).isEqualTo(sample(backwards).fingerprint())
                .matches("[0-9a-f]{64}");
        assertThat(sample(forwards).parameters().get("excludeNodes"))
                .isEqualTo(List.of("/model.0/conv/Conv", "/model.22/Concat", "b"));
    }

    @Test
    void everyValueAndNameCounts() {
        String base = sample(Set.of()).fingerprint();
        assertThat(StageKey.of(PipelineStage.CALIBRATE).input("model", "ab12").fingerprint())
                .isNotEqualTo(StageKey.of(PipelineStage.CALIBRATE).input("model", "ab13").fingerprint())
                .isNotEqualTo(StageKey.of(PipelineStage.PRUNE).input("model", "ab12").fingerprint());
        assertThat(sample(Set.of("x")).fingerprint()).isNotEqualTo(base);
        // The order of a list of class names is its meaning; the order of a set of names is not.
        StageKey reordered = StageKey.of(PipelineStage.CALIBRATE).parameter("classNames", List.of("bicycle", "person"));
        StageKey ordered = StageKey.of(PipelineStage.CALIBRATE).parameter("classNames", List.of("person", "bicycle"));
        assertThat(reordered.fingerprint()).isNotEqualTo(ordered.fingerprint());
        assertThat(sample(Set.of()).parameters()).containsEntry("int8Encoding", "u8s8-7bit");
    }

    @Test
    void aNameGoesInOnce() {
        assertThatThrownBy(() -> StageKey.of(PipelineStage.PRUNE).parameter("ratio", 0.1).parameter("ratio", 0.2))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("'ratio' is in the key twice");
    }

    /** The same key in another JVM (other hash seeds, other Set.copyOf orders) has the same fingerprint. */
    @Test
    void anotherJvmComputesTheSameFingerprint() throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
                Print.class.getName()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String printed = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        assertThat(printed).isEqualTo(sample(Set.of("c", "a", "b")).fingerprint());
    }

    /** Prints {@link #sample}'s fingerprint, for {@link #anotherJvmComputesTheSameFingerprint}. */
    static final class Print {
        public static void main(String[] args) {
            System.out.println(sample(Set.copyOf(List.of("a", "b", "c"))).fingerprint());
        }
    }
}
