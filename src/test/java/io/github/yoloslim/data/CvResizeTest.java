package io.github.yoloslim.data;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Expected values are worked by hand from OpenCV's resize.cpp and were confirmed with cv2 4.6. */
class CvResizeTest {

    @Test
    void upscalesWithHalfPixelCentresAndClampedBorders() {
        // scale 0.5: dx 0 -> source -0.25 (clamped to pixel 0), 1 -> 0.25, 2 -> 0.75, 3 -> 1.25 (clamped to 1).
        assertThat(grey(CvResize.resize(grey(0, 100), 2, 1, 4, 1))).containsExactly(0, 25, 75, 100);
    }

    @Test
    void roundsTheVerticalPassAsOpenCvsVectorCodeDoes() {
        // Bottom middle is exactly 198.5: (190 + 207) / 2 horizontally; row weights 1707 + 341 on one clamped row.
        // Textbook rounding gives 199; OpenCV's ((h >> 4) * b >> 16) per row, then (s + 2) >> 2, gives 198.
        byte[] out = CvResize.resize(grey(248, 194, 190, 207), 2, 2, 3, 3);

        assertThat(grey(out)).containsExactly(248, 221, 194, 219, 210, 201, 190, 198, 207);
    }

    @Test
    void exactHalvingIsAreaAveragingRoundedHalfUp() {
        // cv::resize turns INTER_LINEAR into INTER_AREA at exactly 2x down: (1+2+3+4+2)>>2 = 3, (101+2)>>2 = 25.
        byte[] src = grey(1, 2, 10, 20, 3, 4, 30, 41);

        assertThat(grey(CvResize.resize(src, 4, 2, 2, 1))).containsExactly(3, 25);
    }

    @Test
    void keepsChannelsApart() {
        byte[] src = {10, 20, 30, 50, 60, 70};
        byte[] out = CvResize.resize(src, 2, 1, 4, 1);

        assertThat(out).containsExactly(10, 20, 30, 20, 30, 40, 40, 50, 60, 50, 60, 70);
    }

    @Test
    void sameSizeIsACopy() {
        byte[] src = grey(1, 2, 3, 4);
        byte[] out = CvResize.resize(src, 2, 2, 2, 2);

        assertThat(out).isEqualTo(src).isNotSameAs(src);
    }

    /** Grey samples replicated into three channels. */
    private static byte[] grey(int... values) {
        byte[] rgb = new byte[values.length * 3];
        for (int i = 0; i < values.length; i++) {
            rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = (byte) values[i];
        }
        return rgb;
    }

    /** The first channel of each pixel, after checking all three agree. */
    private static int[] grey(byte[] rgb) {
        int[] values = new int[rgb.length / 3];
        for (int i = 0; i < values.length; i++) {
            assertThat(rgb[3 * i + 1]).isEqualTo(rgb[3 * i]);
            assertThat(rgb[3 * i + 2]).isEqualTo(rgb[3 * i]);
            values[i] = rgb[3 * i] & 0xFF;
        }
        return values;
    }
}
