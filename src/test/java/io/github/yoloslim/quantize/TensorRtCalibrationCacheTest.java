package io.github.yoloslim.quantize;

import io.github.yoloslim.InvalidInputException;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.entry;

class TensorRtCalibrationCacheTest {

    @Test
    void versionTagFollowsNvTensorRtVersion() {
        assertThat(TensorRtCalibrationCache.versionTag("8.6.1", "tensorRtVersion")).isEqualTo("TRT-8601");
        assertThat(TensorRtCalibrationCache.versionTag("7.2.2", "tensorRtVersion")).isEqualTo("TRT-7202");
        assertThat(TensorRtCalibrationCache.versionTag("8.6.1.6", "tensorRtVersion")).isEqualTo("TRT-8601");
        // TensorRT 10 widened the number: major·10000 + minor·100 + patch (a 10.3.0 cache reads TRT-100300).
        assertThat(TensorRtCalibrationCache.versionTag("10.3.0", "tensorRtVersion")).isEqualTo("TRT-100300");
        assertThat(TensorRtCalibrationCache.versionTag("10.15.1", "tensorRtVersion")).isEqualTo("TRT-101501");
    }

    @Test
    void badVersionsNameTheSetting() {
        for (String bad : new String[] {"10", "10.x.1", "ten", "8.12.1", "10.3.100"}) {
            assertThatThrownBy(() -> TensorRtCalibrationCache.versionTag(bad, "tensorRtVersion"))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("<tensorRtVersion>" + bad + "</tensorRtVersion>")
                    .hasMessageContaining("10.15.1");
        }
    }

    @Test
    void scaleBitsMatchHandComputedPatterns() {
        // amax 127 → scale 1.0 = 0 01111111 000… ; amax 12.7 → 0.1f = 0x3dcccccd (0.1 rounds up in its last bit).
        assertThat(TensorRtCalibrationCache.hex(1.0f)).isEqualTo("3f800000");
        assertThat(TensorRtCalibrationCache.hex(0.1f)).isEqualTo("3dcccccd");
        // An image input in [0, 1]: 1/127 = 2^-7 × 1.00787…, exponent 120 = 0x78, mantissa 0x010204.
        assertThat(TensorRtCalibrationCache.hex(1f / 127)).isEqualTo("3c010204");
        // Leading zero digits are kept: eight digits always.
        assertThat(TensorRtCalibrationCache.hex(Float.intBitsToFloat(0x0000abcd))).isEqualTo("0000abcd");
    }

    @Test
    void formatWritesHeaderThenSortedLines() {
        Map<String, Double> amax = new LinkedHashMap<>();
        amax.put("images", 1.0);
        amax.put("/model.0/conv/Conv_output_0", 127.0);
        amax.put("/model.22/cv2.0/cv2.0.2/Conv_output_0", 12.7);
        String cache = TensorRtCalibrationCache.format("TRT-8601", "EntropyCalibration2", amax);
        assertThat(cache).isEqualTo("""
                TRT-8601-EntropyCalibration2
                /model.0/conv/Conv_output_0: 3f800000
                /model.22/cv2.0/cv2.0.2/Conv_output_0: 3dcccccd
                images: 3c010204
                """);
        assertThat(TensorRtCalibrationCache.parse(cache)).containsExactly(
                entry("/model.0/conv/Conv_output_0", 1.0f), entry("/model.22/cv2.0/cv2.0.2/Conv_output_0", 0.1f),
                entry("images", 1f / 127));
    }

    @Test
    void roundTripKeepsEveryScaleExactly() {
        Map<String, Double> amax = new LinkedHashMap<>();
        for (int i = 0; i < 200; i++) {
            amax.put("t" + i, Math.exp(i / 10.0 - 10));
        }
        Map<String, Float> scales = TensorRtCalibrationCache.parse(
                TensorRtCalibrationCache.format("TRT-101501", "MinMaxCalibration", amax));
        assertThat(scales).hasSize(200);
        amax.forEach((tensor, value) -> assertThat(scales.get(tensor)).isEqualTo((float) (value / 127)));
    }

    @Test
    void parsesACacheTensorRtWrote() {
        // Shape of a TensorRT 8.5 cache: unsorted, unnamed layers with spaces and brackets, input first.
        Map<String, Float> scales = TensorRtCalibrationCache.parse("""
                TRT-8510-EntropyCalibration2
                x: 4000890a
                /conv1/Conv_output_0: 3f9db09c
                (Unnamed Layer* 8) [Constant]_output: 39137939
                """);
        assertThat(scales).containsKeys("x", "/conv1/Conv_output_0", "(Unnamed Layer* 8) [Constant]_output");
        assertThat(scales.get("x")).isEqualTo(Float.intBitsToFloat(0x4000890a));
    }

    @Test
    void invalidInputsAreRefused() {
        assertThatThrownBy(() -> TensorRtCalibrationCache.format("TRT-8601", "Entropy2", Map.of("x", 1.0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("EntropyCalibration2");
        assertThatThrownBy(() -> TensorRtCalibrationCache.format("8601", "EntropyCalibration2", Map.of("x", 1.0)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("TRT-<number>");
        for (double bad : new double[] {0, -2, Double.NaN, Double.POSITIVE_INFINITY}) {
            assertThatThrownBy(() -> TensorRtCalibrationCache.format("TRT-8601", "EntropyCalibration2",
                    Map.of("x", bad))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'x'");
        }
        assertThatThrownBy(() -> TensorRtCalibrationCache.format("TRT-8601", "EntropyCalibration2",
                Map.of("a\nb", 1.0))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> TensorRtCalibrationCache.parse("images: 3c010204\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("first line");
        assertThatThrownBy(() -> TensorRtCalibrationCache.parse("TRT-8601-EntropyCalibration2\nimages 3c010204\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 2");
    }

    @Test
    void scaleGroupsGiveEqualScalesInTheCache() {
        QdqPlacement plan = QdqPlacement.plan(SampleGraphs.concat(), QdqOptions.of(QdqFormat.TENSORRT));
        Map<String, Double> measured = new LinkedHashMap<>();
        plan.groupOf().keySet().forEach(tensor -> measured.put(tensor, 1.0 + measured.size()));
        Map<String, Float> scales = TensorRtCalibrationCache.parse(
                TensorRtCalibrationCache.format("TRT-8601", "EntropyCalibration2", plan.groupAmax(measured)));
        assertThat(scales.get("/model.0/act/Mul_output_0")).isEqualTo(scales.get("/model.1/act/Mul_output_0"))
                .isEqualTo(scales.get("/model.2/Concat_output_0"));
        assertThat(scales.get("/model.0/conv_output_0")).isNotEqualTo(scales.get("/model.2/Concat_output_0"));
    }
}
