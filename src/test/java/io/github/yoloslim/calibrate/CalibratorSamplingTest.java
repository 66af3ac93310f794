package io.github.yoloslim.calibrate;

import org.junit.jupiter.api.Test;

import java.math.BigInteger;

import static org.assertj.core.api.Assertions.assertThat;

class CalibratorSamplingTest {

    private static final int RUN = ActivationHistogram.RUN;

    @Test
    void smallTensorsAreReadWhole() {
        assertThat(Calibrator.runStride(1)).isEqualTo(1);
        assertThat(Calibrator.runStride(Calibrator.SAMPLES_PER_IMAGE)).isEqualTo(1);
        assertThat(Calibrator.runStride(Calibrator.SAMPLES_PER_IMAGE + 1)).isEqualTo(2);
    }

    @Test
    void largeTensorsGetTheLeastRunStrideCoprimeToTheirRunsWithinTheBudget() {
        // yolov8n's largest activations at 640x640: 16x320x320, 32x160x160, and the image itself.
        for (int perImage : new int[] {16 * 320 * 320, 32 * 160 * 160, 3 * 640 * 640, 64 * 80 * 80 + 1}) {
            int runs = (perImage + RUN - 1) / RUN;
            int stride = Calibrator.runStride(perImage);
            assertThat(BigInteger.valueOf(stride).gcd(BigInteger.valueOf(runs)).intValue()).isEqualTo(1);
            assertThat((long) (runs + stride - 1) / stride * RUN).isLessThanOrEqualTo(Calibrator.SAMPLES_PER_IMAGE);
            int least = (runs * RUN + Calibrator.SAMPLES_PER_IMAGE - 1) / Calibrator.SAMPLES_PER_IMAGE;
            for (int smaller = least; smaller < stride; smaller++) {
                assertThat(BigInteger.valueOf(smaller).gcd(BigInteger.valueOf(runs)).intValue())
                        .as("stride %d for %d runs", smaller, runs).isGreaterThan(1);
            }
        }
        // 16x320x320 is 1600 runs = 2^6 * 25: at least 13, which is coprime; 3x640x640 is 1200 runs
        // = 2^4 * 3 * 25: at least 10, which is not, so 11.
        assertThat(Calibrator.runStride(16 * 320 * 320)).isEqualTo(13);
        assertThat(Calibrator.runStride(3 * 640 * 640)).isEqualTo(11);
    }
}
