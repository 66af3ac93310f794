package io.github.yoloslim.data;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.yoloslim.testing.SharedData;

import java.io.IOException;
import java.nio.file.Path;
import java.util.zip.CRC32;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bit-for-bit parity with the Python pipeline on real photos: CRC-32 of {@code cv2.imread(f)[..., ::-1]} and of the
 * Ultralytics letterbox at 640 (load_image + LetterBox, uint8 RGB, rows of interleaved pixels), both computed with
 * OpenCV 4.6 (libjpeg-turbo 2.1) on x86-64.
 */
class OpenCvParityTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // 554 x 740, downscaled to 480 x 640
        "data/samples/bus.jpg, b9d1a755, 29d7d823",
        // one-component (grey) JPEG, 512 x 640: padding only
        "data/coco128/train2017/000000000086.jpg, 67217af8, de99e83c",
        // 333 x 500, upscaled to 427 x 640
        "data/coco128/train2017/000000000474.jpg, fc9ddb47, 283a8f51",
        // 4:4:4 with an ICC profile, which OpenCV ignores
        "data/coco128/train2017/000000000036.jpg, 993628ad, 09b2e0b4",
        "data/coco-tiny/val2017/000000532481.jpg, 7d449788, 5e372599"})
    void matchesOpenCv(String file, String decodedCrc, String letterboxCrc) throws IOException {
        Path path = SharedData.require(file);

        DecodedImage image = ImageDecoder.decode(path);
        assertThat(crc(image.rgb())).as("decoded pixels").isEqualTo(decodedCrc);

        Letterbox letterbox = new Letterbox(640);
        float[] input = new float[letterbox.inputLength()];
        letterbox.apply(image, input, 0);
        byte[] interleaved = new byte[input.length];
        int plane = 640 * 640;
        for (int i = 0; i < plane; i++) {
            for (int c = 0; c < 3; c++) {
                interleaved[3 * i + c] = (byte) Math.round(input[c * plane + i] * 255f);
            }
        }
        assertThat(crc(interleaved)).as("letterboxed pixels").isEqualTo(letterboxCrc);
    }

    private static String crc(byte[] bytes) {
        CRC32 crc = new CRC32();
        crc.update(bytes);
        return String.format("%08x", crc.getValue());
    }
}
