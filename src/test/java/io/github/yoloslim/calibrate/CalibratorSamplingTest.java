package io.github.yoloslim.calibrate;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;

import static org.assertj.core.api.Assertions.assertThat;

class CalibratorSamplingTest {

    @Test
    void smallTensorsAreBinnedWhole() {
        assertThat(Calibrator.samplingStride(1)).isEqualTo(1);
        assertThat(Calibrator.samplingStride(Calibrator.SAMPLES_PER_IMAGE)).isEqualTo(1);
    }

    @Test
    void largeTensorsGetTheLeastStrideCoprimeToTheirSizeWithinTheSampleBudget() {
        // yolov8n's largest activations at 640x640: 16x320x320, 32x160x160, and the image itself.
        for (int perImage : new int[] {16 * 320 * 320, 32 * 160 * 160, 3 * 640 * 640, 64 * 80 * 80 + 1}) {
            int stride = Calibrator.samplingStride(perImage);
            assertThat(BigInteger.valueOf(stride).gcd(BigInteger.valueOf(perImage)).intValue()).isEqualTo(1);
            assertThat((perImage + stride - 1) / stride).isLessThanOrEqualTo(Calibrator.SAMPLES_PER_IMAGE);
            int least = (perImage + Calibrator.SAMPLES_PER_IMAGE - 1) / Calibrator.SAMPLES_PER_IMAGE;
            for (int smaller = least; smaller < stride; smaller++) {
                assertThat(BigInteger.valueOf(smaller).gcd(BigInteger.valueOf(perImage)).intValue())
                        .as("stride %d for %d values", smaller, perImage).isGreaterThan(1);
            }
        }
        // 1,638,400 = 2^16 * 25 needs a stride of at least 13, which is coprime to it; 3x640x640 needs 10, which
        // is not (1,228,800 = 2^14 * 3 * 25): 11.
        assertThat(Calibrator.samplingStride(16 * 320 * 320)).isEqualTo(13);
        assertThat(Calibrator.samplingStride(3 * 640 * 640)).isEqualTo(11);
    }
}
