package io.github.yoloslim.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.yoloslim.testing.SharedData;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.Random;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ImageDecoderTest {

    private static final int RED = 0xFF0000;
    private static final int GREEN = 0x00FF00;
    private static final int BLUE = 0x0000FF;
    private static final int WHITE = 0xFFFFFF;

    /**
     * Displayed corners (top-left, top-right, bottom-left, bottom-right) per EXIF orientation, for a stored image
     * whose corners are red, green, blue, white: the EXIF definitions of which stored row/column is the visual
     * top/left.
     */
    private static final Map<Integer, int[]> DISPLAYED_CORNERS = Map.of(
            1, new int[] {RED, GREEN, BLUE, WHITE},
            2, new int[] {GREEN, RED, WHITE, BLUE},
            3, new int[] {WHITE, BLUE, GREEN, RED},
            4, new int[] {BLUE, WHITE, RED, GREEN},
            5, new int[] {RED, BLUE, GREEN, WHITE},
            6, new int[] {BLUE, RED, WHITE, GREEN},
            7, new int[] {WHITE, GREEN, BLUE, RED},
            8, new int[] {GREEN, WHITE, RED, BLUE});

    @TempDir
    Path dir;

    @ParameterizedTest(name = "orientation {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void appliesJpegExifOrientation(int orientation) throws IOException {
        Path file = write("exif" + orientation + ".jpg",
                TestImages.withExifOrientation(TestImages.jpeg(TestImages.quadrants(32, 16)), orientation));

        DecodedImage image = ImageDecoder.decode(file);

        boolean transposed = orientation >= 5;
        assertThat(image.width()).isEqualTo(transposed ? 16 : 32);
        assertThat(image.height()).isEqualTo(transposed ? 32 : 16);
        int w = image.width();
        int h = image.height();
        int[] corners = DISPLAYED_CORNERS.get(orientation);
        // Two pixels in from each corner: clear of the quadrant edges that chroma subsampling blurs.
        assertColor(image, 2, 2, corners[0]);
        assertColor(image, w - 3, 2, corners[1]);
        assertColor(image, 2, h - 3, corners[2]);
        assertColor(image, w - 3, h - 3, corners[3]);
        assertThat(ImageDecoder.readSize(file)).isEqualTo(new ImageSize(w, h));
    }

    @ParameterizedTest(name = "orientation {0}")
    @ValueSource(ints = {1, 2, 3, 4, 5, 6, 7, 8})
    void appliesPngExifOrientationPixelForPixel(int orientation) throws IOException {
        // Stored a b c / d e f; OpenCV (4.6 checked) honours a PNG eXIf chunk as it does JPEG's APP1.
        int a = 0x0A141E;
        int b = 0x28323C;
        int c = 0x46505A;
        int d = 0x646E78;
        int e = 0x828C96;
        int f = 0xA0AAB4;
        BufferedImage stored = new BufferedImage(3, 2, BufferedImage.TYPE_3BYTE_BGR);
        int[][] rows = {{a, b, c}, {d, e, f}};
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 3; x++) {
                stored.setRGB(x, y, rows[y][x]);
            }
        }
        Path file = write("exif" + orientation + ".png",
                TestImages.withPngChunk(TestImages.png(stored), "eXIf", TestImages.tiffWithOrientation(orientation)));

        int[][] expected = switch (orientation) {
            case 1 -> new int[][] {{a, b, c}, {d, e, f}};
            case 2 -> new int[][] {{c, b, a}, {f, e, d}};
            case 3 -> new int[][] {{f, e, d}, {c, b, a}};
            case 4 -> new int[][] {{d, e, f}, {a, b, c}};
            case 5 -> new int[][] {{a, d}, {b, e}, {c, f}};
            case 6 -> new int[][] {{d, a}, {e, b}, {f, c}};
            case 7 -> new int[][] {{f, c}, {e, b}, {d, a}};
            default -> new int[][] {{c, f}, {b, e}, {a, d}};
        };
        DecodedImage image = ImageDecoder.decode(file);
        assertThat(image.height()).isEqualTo(expected.length);
        assertThat(image.width()).isEqualTo(expected[0].length);
        for (int y = 0; y < expected.length; y++) {
            for (int x = 0; x < expected[0].length; x++) {
                assertThat(rgbAt(image, x, y)).as("pixel (%d, %d)", x, y).isEqualTo(expected[y][x]);
            }
        }
        assertThat(ImageDecoder.readSize(file)).isEqualTo(image.size());
    }

    @Test
    void replicatesGreySamplesIntoThreeChannels() throws IOException {
        BufferedImage grey = new BufferedImage(256, 1, BufferedImage.TYPE_BYTE_GRAY);
        for (int x = 0; x < 256; x++) {
            grey.getRaster().setSample(x, 0, 0, x);
        }
        DecodedImage image = ImageDecoder.decode(write("grey.png", TestImages.png(grey)));

        // BufferedImage.getRGB would treat the samples as linear grey and brighten them; OpenCV does not.
        for (int x = 0; x < 256; x++) {
            assertThat(rgbAt(image, x, 0)).isEqualTo(x << 16 | x << 8 | x);
        }
    }

    @Test
    void decodesRealGreyscaleJpegFromTheRaster() throws IOException {
        Path file = SharedData.require("data/coco128/train2017/000000000086.jpg");
        Raster raw = jdkRaster(file);
        assertThat(raw.getNumBands()).as("000000000086.jpg is a one-component JPEG").isEqualTo(1);

        DecodedImage image = ImageDecoder.decode(file);

        assertThat(image.size()).isEqualTo(new ImageSize(raw.getWidth(), raw.getHeight()));
        byte[] rgb = image.rgb();
        for (int y = 0; y < raw.getHeight(); y++) {
            for (int x = 0; x < raw.getWidth(); x++) {
                int grey = raw.getSample(x, y, 0);
                int i = (y * image.width() + x) * 3;
                if ((rgb[i] & 0xFF) != grey || (rgb[i + 1] & 0xFF) != grey || (rgb[i + 2] & 0xFF) != grey) {
                    throw new AssertionError("pixel (" + x + ", " + y + ") is not grey " + grey);
                }
            }
        }
    }

    @Test
    void convertsAdobeCmykJpegWithOpenCvsFormula() throws IOException {
        Path file = write("cmyk.jpg",
                TestImages.withSegment(TestImages.jpeg(cmykBlocks()), 0xEE, TestImages.adobe(0)));

        DecodedImage image = ImageDecoder.decode(file);

        // R = k - ((255 - c) * k >> 8) on libjpeg's inverted samples: (16, 0, 128, 200) -> (14, 1, 101).
        assertBlock(image, 0, 0x0E0165);
        // (255, 60, 0, 255) -> (255, 61, 1).
        assertBlock(image, 8, 0xFF3D01);
    }

    @Test
    void treatsFourComponentsWithoutAdobeMarkerAsCmyk() throws IOException {
        DecodedImage image = ImageDecoder.decode(write("plain-cmyk.jpg", TestImages.jpeg(cmykBlocks())));

        assertBlock(image, 0, 0x0E0165);
        assertBlock(image, 8, 0xFF3D01);
    }

    @Test
    void convertsAdobeYcckJpegThroughCmyk() throws IOException {
        // Encode the same CMYK blocks as libjpeg's cmyk_ycck_convert would: YCbCr of (255 - C, 255 - M, 255 - Y), K.
        WritableRaster cmyk = cmykBlocks();
        WritableRaster ycck = TestImages.raster(16, 8, 4);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 16; x++) {
                double r = 255 - cmyk.getSample(x, y, 0);
                double g = 255 - cmyk.getSample(x, y, 1);
                double b = 255 - cmyk.getSample(x, y, 2);
                ycck.setSample(x, y, 0, clamp(0.299 * r + 0.587 * g + 0.114 * b));
                ycck.setSample(x, y, 1, clamp(-0.168736 * r - 0.331264 * g + 0.5 * b + 128));
                ycck.setSample(x, y, 2, clamp(0.5 * r - 0.418688 * g - 0.081312 * b + 128));
                ycck.setSample(x, y, 3, cmyk.getSample(x, y, 3));
            }
        }
        Path file = write("ycck.jpg", TestImages.withSegment(TestImages.jpeg(ycck), 0xEE, TestImages.adobe(2)));

        DecodedImage image = ImageDecoder.decode(file);

        // The YCbCr round trip rounds, so allow one step either way.
        for (int x : new int[] {0, 7, 8, 15}) {
            assertClose(rgbAt(image, x, 4), x < 8 ? 0x0E0165 : 0xFF3D01, 2);
        }
    }

    @Test
    void keepsAdobeRgbJpegSamplesAsCoded() throws IOException {
        WritableRaster raster = TestImages.raster(16, 8, 3);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 16; x++) {
                raster.setPixel(x, y, x < 8 ? new int[] {200, 30, 90} : new int[] {5, 250, 128});
            }
        }
        Path file = write("rgb.jpg", TestImages.withSegment(TestImages.jpeg(raster), 0xEE, TestImages.adobe(0)));

        DecodedImage image = ImageDecoder.decode(file);

        assertBlock(image, 0, 0xC81E5A);
        assertBlock(image, 8, 0x05FA80);
    }

    @Test
    void expandsPaletteAndIgnoresItsTransparency() throws IOException {
        byte[] reds = {0, (byte) 255, 10, 20};
        byte[] greens = {0, 0, (byte) 200, 30};
        byte[] blues = {0, 0, 50, (byte) 240};
        byte[] alphas = {(byte) 255, (byte) 128, 0, (byte) 255};
        IndexColorModel palette = new IndexColorModel(2, 4, reds, greens, blues, alphas);
        BufferedImage indexed = new BufferedImage(4, 1, BufferedImage.TYPE_BYTE_BINARY, palette);
        for (int x = 0; x < 4; x++) {
            indexed.getRaster().setSample(x, 0, 0, x);
        }

        DecodedImage image = ImageDecoder.decode(write("palette.png", TestImages.png(indexed)));

        assertThat(new int[] {rgbAt(image, 0, 0), rgbAt(image, 1, 0), rgbAt(image, 2, 0), rgbAt(image, 3, 0)})
                .containsExactly(0x000000, 0xFF0000, 0x0AC832, 0x141EF0);
    }

    @Test
    void dropsAlphaWithoutBlending() throws IOException {
        BufferedImage rgba = new BufferedImage(2, 1, BufferedImage.TYPE_4BYTE_ABGR);
        rgba.getRaster().setPixel(0, 0, new int[] {200, 100, 50, 0});
        rgba.getRaster().setPixel(1, 0, new int[] {1, 2, 3, 255});

        DecodedImage image = ImageDecoder.decode(write("alpha.png", TestImages.png(rgba)));

        assertThat(rgbAt(image, 0, 0)).isEqualTo(0xC86432);
        assertThat(rgbAt(image, 1, 0)).isEqualTo(0x010203);
    }

    @Test
    void keepsTheHighByteOfSixteenBitSamples() throws IOException {
        BufferedImage deep = new BufferedImage(3, 1, BufferedImage.TYPE_USHORT_GRAY);
        deep.getRaster().setPixels(0, 0, 3, 1, new int[] {0x80FF, 0x017F, 0xFFFF});

        DecodedImage image = ImageDecoder.decode(write("deep.png", TestImages.png(deep)));

        // png_set_strip_16 truncates: 0x017F gives 1, not 1.5 rounded.
        assertThat(new int[] {rgbAt(image, 0, 0), rgbAt(image, 1, 0), rgbAt(image, 2, 0)})
                .containsExactly(0x808080, 0x010101, 0xFFFFFF);
    }

    @Test
    void decodesBmp() throws IOException {
        BufferedImage bmp = TestImages.quadrants(4, 2);
        Path file = dir.resolve("quadrants.bmp");
        ImageIO.write(bmp, "bmp", file.toFile());

        DecodedImage image = ImageDecoder.decode(file);

        assertThat(new int[] {rgbAt(image, 0, 0), rgbAt(image, 3, 0), rgbAt(image, 0, 1), rgbAt(image, 3, 1)})
                .containsExactly(RED, GREEN, BLUE, WHITE);
        assertThat(ImageDecoder.readSize(file)).isEqualTo(new ImageSize(4, 2));
    }

    @Test
    void corruptJpegIsUnreadableAndNamesTheFile() throws IOException {
        byte[] garbage = new byte[300];
        for (int i = 0; i < garbage.length; i++) {
            garbage[i] = (byte) (i * 37);
        }
        garbage[0] = (byte) 0xFF;
        garbage[1] = (byte) 0xD8;
        garbage[2] = (byte) 0xFF;
        Path file = write("corrupt.jpg", garbage);

        assertThatThrownBy(() -> ImageDecoder.decode(file))
                .isInstanceOf(UnreadableImageException.class)
                .hasMessageStartingWith("cannot read image " + file + ": ")
                .satisfies(e -> assertThat(((UnreadableImageException) e).file()).isEqualTo(file));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"jpg", "png", "bmp"})
    void truncatedFilesAreUnreadableNotPartlyGrey(String format) throws IOException {
        // Noise: the pixel data, not the header, is most of the file, so both cuts fall inside it.
        byte[] whole = encoded(format, noise(64, 48));
        assertThat(ImageDecoder.decode(write("whole." + format, whole)).size()).isEqualTo(new ImageSize(64, 48));

        for (int cut : new int[] {whole.length / 2, whole.length - 12}) {
            Path file = write("cut" + cut + "." + format, Arrays.copyOf(whole, cut));
            assertThatThrownBy(() -> ImageDecoder.decode(file)).as("%s cut to %d of %d bytes", format, cut,
                    whole.length).isInstanceOf(UnreadableImageException.class)
                    .hasMessageStartingWith("cannot read image " + file + ": the file is truncated (")
                    .hasMessageEndingWith("so part of the image is missing; copy or download it again");
        }
    }

    @Test
    void jpegMissingOnlyItsEndMarkerIsTruncated() throws IOException {
        byte[] whole = TestImages.jpeg(noise(64, 48));
        Path file = write("no-eoi.jpg", Arrays.copyOf(whole, whole.length - 2));

        assertThatThrownBy(() -> ImageDecoder.decode(file)).isInstanceOf(UnreadableImageException.class)
                .hasMessageContaining("the file is truncated (the decoder says: ")
                .hasMessageContaining("EOI");
    }

    @Test
    void realJpegsDecodeWithoutATruncationWarning() throws IOException {
        Path bus = SharedData.require("data/samples/bus.jpg");

        assertThat(ImageDecoder.decode(bus).size()).isEqualTo(new ImageSize(554, 740));
    }

    @Test
    void otherFilesAreUnreadableWithTheReason() throws IOException {
        Path text = write("notes.jpg", "hello, not an image".getBytes());
        Path empty = write("empty.png", new byte[0]);
        Path missing = dir.resolve("missing.jpg");

        assertThatThrownBy(() -> ImageDecoder.decode(text)).isInstanceOf(UnreadableImageException.class)
                .hasMessageContaining("notes.jpg").hasMessageContaining("not a JPEG, PNG or BMP file");
        assertThatThrownBy(() -> ImageDecoder.readSize(text)).isInstanceOf(UnreadableImageException.class)
                .hasMessageContaining("not a JPEG, PNG or BMP file");
        assertThatThrownBy(() -> ImageDecoder.decode(empty)).isInstanceOf(UnreadableImageException.class)
                .hasMessageContaining("the file is empty");
        assertThatThrownBy(() -> ImageDecoder.decode(missing)).isInstanceOf(UnreadableImageException.class)
                .hasMessageContaining("missing.jpg: file not found");
        assertThatThrownBy(() -> ImageDecoder.readSize(missing)).isInstanceOf(UnreadableImageException.class)
                .hasMessageContaining("file not found");
    }

    /** Four flat 8x8 CMYK blocks side by side (flat blocks survive JPEG exactly). */
    private static WritableRaster cmykBlocks() {
        WritableRaster raster = TestImages.raster(16, 8, 4);
        for (int y = 0; y < 8; y++) {
            for (int x = 0; x < 16; x++) {
                raster.setPixel(x, y, x < 8 ? new int[] {16, 0, 128, 200} : new int[] {255, 60, 0, 255});
            }
        }
        return raster;
    }

    private static Raster jdkRaster(Path file) throws IOException {
        for (Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg"); it.hasNext();) {
            ImageReader reader = it.next();
            if (reader.getClass().getName().startsWith("com.sun.")) {
                try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
                    reader.setInput(in);
                    return reader.readRaster(0, null);
                } finally {
                    reader.dispose();
                }
            }
        }
        throw new AssertionError("no JDK JPEG reader");
    }

    private static BufferedImage noise(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        Random random = new Random(17);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(1 << 24));
            }
        }
        return image;
    }

    private static byte[] encoded(String format, BufferedImage image) throws IOException {
        if (format.equals("jpg")) {
            return TestImages.jpeg(image);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ImageIO.write(image, format, out);
        return out.toByteArray();
    }

    private Path write(String name, byte[] bytes) throws IOException {
        return Files.write(dir.resolve(name), bytes);
    }

    private static int clamp(double value) {
        return (int) Math.max(0, Math.min(255, Math.round(value)));
    }

    static int rgbAt(DecodedImage image, int x, int y) {
        int i = (y * image.width() + x) * 3;
        byte[] rgb = image.rgb();
        return (rgb[i] & 0xFF) << 16 | (rgb[i + 1] & 0xFF) << 8 | (rgb[i + 2] & 0xFF);
    }

    private static void assertBlock(DecodedImage image, int x0, int rgb) {
        for (int y = 0; y < 8; y++) {
            for (int x = x0; x < x0 + 8; x++) {
                assertThat(Integer.toHexString(rgbAt(image, x, y))).as("pixel (%d, %d)", x, y)
                        .isEqualTo(Integer.toHexString(rgb));
            }
        }
    }

    private static void assertColor(DecodedImage image, int x, int y, int expected) {
        assertClose(rgbAt(image, x, y), expected, 12);
    }

    private static void assertClose(int actual, int expected, int tolerance) {
        for (int shift = 0; shift <= 16; shift += 8) {
            int a = actual >> shift & 0xFF;
            int e = expected >> shift & 0xFF;
            assertThat(Math.abs(a - e)).as("%06x vs expected %06x", actual, expected).isLessThanOrEqualTo(tolerance);
        }
    }
}
