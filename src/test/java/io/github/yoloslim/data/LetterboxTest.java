package io.github.yoloslim.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

class LetterboxTest {

    private final Letterbox square = new Letterbox(640);

    @Test
    void busImageIsResizedWithRoundedUpWidthAndCentred() {
        // r = 640 / 740; 554 * r = 479.14 rounds UP to 480 (load_image uses ceil); dw = 80 on each side.
        LetterboxGeometry g = square.geometry(554, 740);

        assertThat(g).isEqualTo(new LetterboxGeometry(554, 740, 480, 640, 640, 640, 80, 0, 480 / 554.0,
                640 / 740.0));
    }

    @Test
    void imageAtTargetSizeIsOnlyPadded() {
        LetterboxGeometry g = square.geometry(640, 480);

        assertThat(g.resizedWidth()).isEqualTo(640);
        assertThat(g.resizedHeight()).isEqualTo(480);
        assertThat(g.padLeft()).isZero();
        assertThat(g.padTop()).isEqualTo(80);
        assertThat(g.gainX()).isEqualTo(1.0);
        assertThat(g.gainY()).isEqualTo(1.0);
    }

    @Test
    void oddPaddingPutsTheExtraPixelAfter() {
        // 161 rows of padding: dh = 80.5, top = round(80.4) = 80, bottom = round(80.6) = 81.
        assertThat(square.geometry(640, 479).padTop()).isEqualTo(80);
        // 1000 x 335: height ceil(214.4) = 215, dh = 212.5, top 212 (and 213 below).
        LetterboxGeometry g = square.geometry(1000, 335);
        assertThat(g.resizedHeight()).isEqualTo(215);
        assertThat(g.padTop()).isEqualTo(212);
        // Even padding: 1000 x 334 gives 214 rows, 213 above and below.
        assertThat(square.geometry(1000, 334).padTop()).isEqualTo(213);
    }

    @Test
    void smallImagesAreScaledUp() {
        LetterboxGeometry g = square.geometry(20, 10);

        assertThat(g.resizedWidth()).isEqualTo(640);
        assertThat(g.resizedHeight()).isEqualTo(320);
        assertThat(g.padTop()).isEqualTo(160);
    }

    @Test
    void nonSquareTargetResizesAgainToFit() {
        // load_image at imgsz 640 gives 480 x 640; LetterBox to 384 x 640 (H x W) scales by 0.6 to 288 x 384.
        LetterboxGeometry g = new Letterbox(384, 640).geometry(554, 740);

        assertThat(g.resizedWidth()).isEqualTo(288);
        assertThat(g.resizedHeight()).isEqualTo(384);
        assertThat(g.padLeft()).isEqualTo(176);
        assertThat(g.padTop()).isZero();
        assertThat(g.gainX()).isEqualTo(288 / 554.0);
    }

    @Test
    void letterboxSizesUsePythonsHalfToEvenRounding() {
        // Target 5 x 10 (H x W), image 5 x 10: LetterBox scales by 0.5 and round(2.5) is 2 in Python, not 3.
        LetterboxGeometry g = new Letterbox(5, 10).geometry(5, 10);

        assertThat(g.resizedWidth()).isEqualTo(2);
        assertThat(g.resizedHeight()).isEqualTo(5);
        assertThat(g.padLeft()).isEqualTo(4);
    }

    @Test
    void writesPlanarRgbWithGreyPaddingAtTheOffset() {
        // 2 x 1 flat colour upscaled to 4 x 2 inside a 4 x 4 target: rows 1 and 2 hold the image.
        byte[] flat = {10, 20, 30, 10, 20, 30};
        Letterbox letterbox = new Letterbox(4);
        float[] batch = new float[2 + letterbox.inputLength() + 1];
        Arrays.fill(batch, -1f);

        LetterboxGeometry g = letterbox.apply(new DecodedImage(2, 1, flat), batch, 2);

        assertThat(g.padTop()).isEqualTo(1);
        assertThat(batch[0]).isEqualTo(-1f);
        assertThat(batch[1]).isEqualTo(-1f);
        assertThat(batch[batch.length - 1]).isEqualTo(-1f);
        float pad = 114 / 255f;
        int[] colour = {10, 20, 30};
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 4; y++) {
                for (int x = 0; x < 4; x++) {
                    float expected = y == 1 || y == 2 ? colour[c] / 255f : pad;
                    assertThat(batch[2 + c * 16 + y * 4 + x]).as("channel %d (%d, %d)", c, x, y).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void rejectsAnOutputArrayThatIsTooShort() {
        DecodedImage image = new DecodedImage(1, 1, new byte[3]);

        assertThatThrownBy(() -> square.apply(image, new float[square.inputLength()], 1))
                .isInstanceOf(IndexOutOfBoundsException.class).hasMessageContaining("needs 1228800 floats");
    }

    @Test
    void mapsBoxesBackWithTheGainOfEachAxis() {
        LetterboxGeometry g = square.geometry(554, 740);

        // The resized image's corners map to the original's exactly.
        assertThat(g.toOriginal(80, 0, 560, 640)).containsExactly(new double[] {0, 0, 554, 740}, within(1e-9));
        // Ultralytics' single gain (the height ratio 640 / 740) would put x = 560 at 555.0, past the right edge.
        assertThat((560 - 80) / (640 / 740.0)).isCloseTo(555.0, within(1e-9));
        assertThat(g.originalX(320)).isCloseTo((320 - 80) * 554 / 480.0, within(1e-9));
        assertThat(g.originalY(320)).isCloseTo(370, within(1e-9));
    }

    @Test
    void clipsMappedBoxesToTheImage() {
        LetterboxGeometry g = square.geometry(554, 740);

        assertThat(g.toOriginal(10, -5, 700, 650)).containsExactly(0, 0, 554, 740);
    }
}
