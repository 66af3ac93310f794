package io.github.yoloslim.data;

import com.drew.imaging.jpeg.JpegMetadataReader;
import com.drew.imaging.jpeg.JpegProcessingException;
import com.drew.imaging.png.PngMetadataReader;
import com.drew.imaging.png.PngProcessingException;
import com.drew.metadata.Metadata;
import com.drew.metadata.adobe.AdobeJpegDirectory;
import com.drew.metadata.adobe.AdobeJpegReader;
import com.drew.metadata.exif.ExifDirectoryBase;
import com.drew.metadata.exif.ExifIFD0Directory;
import com.drew.metadata.exif.ExifReader;
import com.drew.metadata.jfif.JfifDirectory;
import com.drew.metadata.jfif.JfifReader;
import com.drew.metadata.jpeg.JpegComponent;
import com.drew.metadata.jpeg.JpegDirectory;
import com.drew.metadata.jpeg.JpegReader;

import java.awt.image.BufferedImage;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.SampleModel;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.regex.Pattern;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.MemoryCacheImageInputStream;

/**
 * Decodes JPEG, PNG and BMP files to 8-bit RGB exactly as OpenCV's {@code cv2.imread(path, IMREAD_COLOR)} does,
 * which is what Ultralytics validates with, so that the model sees the same pixels here as there:
 * <ul>
 * <li>EXIF orientation (JPEG APP1, PNG {@code eXIf}) is applied, all eight values, as OpenCV's
 * {@code ApplyExifOrientation};</li>
 * <li>embedded ICC profiles are ignored (OpenCV ignores them; Java's readers would convert);</li>
 * <li>JPEG colour conversion is libjpeg's: its colour space guess from the JFIF/Adobe markers and component ids,
 * its fixed-point YCbCr tables, and for CMYK/YCCK OpenCV's own {@code k - ((255 - c) * k >> 8)} formula on the
 * inverted (Adobe) samples libjpeg returns;</li>
 * <li>grey images are replicated into three channels, alpha is dropped (not blended), palettes are expanded and
 * 16-bit samples keep their high byte ({@code png_set_strip_16}).</li>
 * </ul>
 * Pixels are read from the raster, never through {@code BufferedImage.getRGB}, which colour-converts grey images.
 * A truncated file is unreadable, although libjpeg (and OpenCV with it) would return it with the missing part grey:
 * a model scored or calibrated on half-grey images measures the damage, not the model.
 * All methods are thread-safe.
 */
public final class ImageDecoder {

    private static final int[] CR_R = new int[256];
    private static final int[] CB_B = new int[256];
    private static final int[] CR_G = new int[256];
    private static final int[] CB_G = new int[256];
    /** {@code CLAMP[v + CLAMP_OFFSET]} is v limited to 0..255, as libjpeg's range_limit table. */
    private static final byte[] CLAMP = new byte[1024];
    private static final int CLAMP_OFFSET = 384;

    static {
        // jdcolor.c build_ycc_rgb_table: SCALEBITS 16, FIX(x) = (int) (x * 65536 + 0.5).
        for (int i = 0; i < 256; i++) {
            int x = i - 128;
            CR_R[i] = (91881 * x + 32768) >> 16;
            CB_B[i] = (116130 * x + 32768) >> 16;
            CR_G[i] = -46802 * x;
            CB_G[i] = -22554 * x + 32768;
        }
        for (int i = 0; i < CLAMP.length; i++) {
            CLAMP[i] = (byte) Math.max(0, Math.min(255, i - CLAMP_OFFSET));
        }
    }

    /**
     * The JPEG reader's warnings that the data ended early: the JDK's "Missing EOI marker", libjpeg's "Premature end
     * of JPEG file" and "premature end of data segment". Others, such as extraneous bytes before a marker, leave
     * the pixels whole (OpenCV decodes those files too).
     */
    private static final Pattern TRUNCATION_WARNING = Pattern.compile("EOI marker|premature end",
            Pattern.CASE_INSENSITIVE);

    private ImageDecoder() {
    }

    /** How the decoded samples map to RGB. */
    private enum ColorTransform {
        GRAY, RGB, YCBCR, CMYK, YCCK
    }

    private enum Format {
        JPEG, PNG, BMP;

        static Format sniff(Path file, byte[] head, int length) throws UnreadableImageException {
            if (length >= 3 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xD8 && (head[2] & 0xFF) == 0xFF) {
                return JPEG;
            }
            if (length >= 8 && (head[0] & 0xFF) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G') {
                return PNG;
            }
            if (length >= 2 && head[0] == 'B' && head[1] == 'M') {
                return BMP;
            }
            throw new UnreadableImageException(file, length == 0 ? "the file is empty"
                    : "not a JPEG, PNG or BMP file (first bytes " + hex(head, Math.min(length, 8))
                            + "); convert it to JPEG or PNG");
        }
    }

    /** What libjpeg and OpenCV read from a JPEG's markers; component ids are empty when the header is unreadable. */
    private record JpegMarkers(int orientation, boolean jfif, int adobeTransform, int[] componentIds) {
        static final JpegMarkers UNKNOWN = new JpegMarkers(1, false, -1, new int[0]);
    }

    /**
     * Decodes an image file.
     *
     * @throws UnreadableImageException when the file is missing, truncated, corrupt or not a JPEG, PNG or BMP
     */
    public static DecodedImage decode(Path file) throws UnreadableImageException {
        byte[] bytes = readAll(file);
        Format format = Format.sniff(file, bytes, bytes.length);
        if (format == Format.PNG && !hasPngEnd(bytes)) {
            throw new UnreadableImageException(file, truncated("it ends before its IEND chunk"));
        }
        try {
            if (format == Format.JPEG) {
                return decodeJpeg(file, bytes);
            }
            BufferedImage image = readImage(format, bytes);
            int orientation = format == Format.PNG ? pngOrientation(new ByteArrayInputStream(bytes)) : 1;
            return orient(image.getWidth(), image.getHeight(), toRgb(image), orientation);
        } catch (UnreadableImageException e) {
            throw e;
        } catch (EOFException e) {
            throw new UnreadableImageException(file, truncated("it ends inside the pixel data"), e);
        } catch (IOException | RuntimeException e) {
            // ImageIO reports some corrupt streams with unchecked exceptions (array bounds, negative sizes).
            throw new UnreadableImageException(file, describe(e), e);
        }
    }

    private static String truncated(String where) {
        return "the file is truncated (" + where + "), so part of the image is missing; copy or download it again";
    }

    /** Walks the PNG chunks (length, type, data, CRC) up to IEND, which every complete PNG ends with. */
    private static boolean hasPngEnd(byte[] bytes) {
        long offset = 8;
        while (offset + 8 <= bytes.length) {
            int at = (int) offset;
            long length = ((bytes[at] & 0xFFL) << 24) | ((bytes[at + 1] & 0xFF) << 16) | ((bytes[at + 2] & 0xFF) << 8)
                    | (bytes[at + 3] & 0xFF);
            offset += 12 + length;
            if (bytes[at + 4] == 'I' && bytes[at + 5] == 'E' && bytes[at + 6] == 'N' && bytes[at + 7] == 'D') {
                return offset <= bytes.length;
            }
        }
        return false;
    }

    /**
     * Reads the displayed size (EXIF orientation 5 to 8 swap width and height) from the file header without
     * decoding pixels.
     *
     * @throws UnreadableImageException when the file is missing, not a JPEG, PNG or BMP, or its header is corrupt
     */
    public static ImageSize readSize(Path file) throws UnreadableImageException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] head = new byte[8];
            Format format = Format.sniff(file, head, in.readNBytes(head, 0, head.length));
            int width;
            int height;
            ImageReader reader = newReader(format);
            try (ImageInputStream stream = ImageIO.createImageInputStream(file.toFile())) {
                reader.setInput(stream, true, true);
                width = reader.getWidth(0);
                height = reader.getHeight(0);
            } finally {
                reader.dispose();
            }
            int orientation = switch (format) {
                case JPEG -> jpegMarkers(Files.newInputStream(file)).orientation();
                case PNG -> pngOrientation(Files.newInputStream(file));
                case BMP -> 1;
            };
            return orientation >= 5 ? new ImageSize(height, width) : new ImageSize(width, height);
        } catch (UnreadableImageException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new UnreadableImageException(file, "file not found", e);
        } catch (IOException | RuntimeException e) {
            throw new UnreadableImageException(file, describe(e), e);
        }
    }

    private static byte[] readAll(Path file) throws UnreadableImageException {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new UnreadableImageException(file, "file not found", e);
        } catch (IOException e) {
            throw new UnreadableImageException(file, describe(e), e);
        }
    }

    private static DecodedImage decodeJpeg(Path file, byte[] bytes) throws IOException {
        Raster raster;
        ImageReader reader = newReader(Format.JPEG);
        List<String> endWarnings = new ArrayList<>();
        // libjpeg decodes a cut-off scan without an error: it warns and fills the rest of the image with grey.
        reader.addIIOReadWarningListener((source, warning) -> {
            if (TRUNCATION_WARNING.matcher(warning).find()) {
                endWarnings.add(warning);
            }
        });
        try (ImageInputStream stream = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(stream, true, true);
            // The raster holds the samples as coded (YCbCr, CMYK, ...): no ICC conversion, which read() would do.
            raster = reader.readRaster(0, null);
        } finally {
            reader.dispose();
        }
        if (!endWarnings.isEmpty()) {
            throw new UnreadableImageException(file, truncated("the decoder says: " + String.join("; ", endWarnings)));
        }
        JpegMarkers markers = jpegMarkers(new ByteArrayInputStream(bytes));
        ColorTransform transform = switch (raster.getNumBands()) {
            case 1 -> ColorTransform.GRAY;
            case 3 -> threeComponentSpace(markers);
            // libjpeg: Adobe transform 0 or no Adobe marker is CMYK, any other transform YCCK.
            case 4 -> markers.adobeTransform() > 0 ? ColorTransform.YCCK : ColorTransform.CMYK;
            default -> throw new UnreadableImageException(file,
                    "JPEG with " + raster.getNumBands() + " components is not supported");
        };
        return orient(raster.getWidth(), raster.getHeight(), toRgb(raster, transform), markers.orientation());
    }

    /** libjpeg's jdapimin.c default_decompress_parms for three components. */
    private static ColorTransform threeComponentSpace(JpegMarkers markers) {
        if (markers.jfif()) {
            return ColorTransform.YCBCR;
        }
        if (markers.adobeTransform() >= 0) {
            return markers.adobeTransform() == 0 ? ColorTransform.RGB : ColorTransform.YCBCR;
        }
        return Arrays.equals(markers.componentIds(), new int[] {'R', 'G', 'B'}) ? ColorTransform.RGB
                : ColorTransform.YCBCR;
    }

    private static JpegMarkers jpegMarkers(InputStream in) throws IOException {
        try (in) {
            Metadata metadata = JpegMetadataReader.readMetadata(in,
                    List.of(new JpegReader(), new JfifReader(), new AdobeJpegReader(), new ExifReader()));
            JpegDirectory frame = metadata.getFirstDirectoryOfType(JpegDirectory.class);
            int[] ids = new int[0];
            if (frame != null) {
                Integer count = frame.getInteger(JpegDirectory.TAG_NUMBER_OF_COMPONENTS);
                ids = new int[count == null ? 0 : count];
                for (int i = 0; i < ids.length; i++) {
                    JpegComponent component = frame.getComponent(i);
                    ids[i] = component == null ? -1 : component.getComponentId();
                }
            }
            AdobeJpegDirectory adobe = metadata.getFirstDirectoryOfType(AdobeJpegDirectory.class);
            Integer transform = adobe == null ? null : adobe.getInteger(AdobeJpegDirectory.TAG_COLOR_TRANSFORM);
            return new JpegMarkers(orientation(metadata),
                    metadata.getFirstDirectoryOfType(JfifDirectory.class) != null,
                    transform == null ? -1 : transform, ids);
        } catch (JpegProcessingException e) {
            // The segment walk failed where libjpeg may still decode: decode with libjpeg's defaults.
            return JpegMarkers.UNKNOWN;
        }
    }

    private static int pngOrientation(InputStream in) throws IOException {
        try (in) {
            return orientation(PngMetadataReader.readMetadata(in));
        } catch (PngProcessingException e) {
            return 1;
        }
    }

    private static int orientation(Metadata metadata) {
        ExifIFD0Directory ifd0 = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
        Integer value = ifd0 == null ? null : ifd0.getInteger(ExifDirectoryBase.TAG_ORIENTATION);
        // OpenCV leaves the image as stored for a missing or out-of-range value.
        return value != null && value >= 1 && value <= 8 ? value : 1;
    }

    private static BufferedImage readImage(Format format, byte[] bytes) throws IOException {
        ImageReader reader = newReader(format);
        try (ImageInputStream stream = new MemoryCacheImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(stream, true, true);
            return reader.read(0);
        } finally {
            reader.dispose();
        }
    }

    private static ImageReader newReader(Format format) throws IOException {
        return ReaderProviders.get(format).createReaderInstance();
    }

    /** Reader providers, looked up once. */
    private static final class ReaderProviders {
        private static final ImageReaderSpi JPEG = jpegProvider();
        private static final ImageReaderSpi PNG = firstProvider("png");
        private static final ImageReaderSpi BMP = firstProvider("bmp");

        static ImageReaderSpi get(Format format) {
            return switch (format) {
                case JPEG -> JPEG;
                case PNG -> PNG;
                case BMP -> BMP;
            };
        }

        /**
         * TwelveMonkeys' reader (it tolerates damaged segments the JDK's reader rejects). ImageIO registers it only
         * when the registry is first scanned with it on the class path, which a Maven plugin cannot rely on.
         */
        private static ImageReaderSpi jpegProvider() {
            IIORegistry registry = IIORegistry.getDefaultInstance();
            Class<com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi> type =
                    com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi.class;
            if (registry.getServiceProviderByClass(type) == null) {
                registry.registerServiceProvider(new com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi());
            }
            return registry.getServiceProviderByClass(type);
        }

        private static ImageReaderSpi firstProvider(String formatName) {
            Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(formatName);
            if (!readers.hasNext()) {
                throw new IllegalStateException("this Java runtime has no ImageIO reader for " + formatName);
            }
            ImageReader reader = readers.next();
            ImageReaderSpi provider = reader.getOriginatingProvider();
            reader.dispose();
            return provider;
        }
    }

    private static byte[] toRgb(BufferedImage image) {
        Raster raster = image.getRaster();
        if (image.getColorModel() instanceof IndexColorModel palette) {
            return paletteToRgb(raster, palette);
        }
        return toRgb(raster, raster.getNumBands() <= 2 ? ColorTransform.GRAY : ColorTransform.RGB);
    }

    /** Converts a raster whose bands are in {@code transform}'s order (alpha, if any, last and ignored). */
    private static byte[] toRgb(Raster raster, ColorTransform transform) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        SampleModel model = raster.getSampleModel();
        if (model instanceof ComponentSampleModel components && raster.getDataBuffer() instanceof DataBufferByte buffer
                && buffer.getNumBanks() == 1 && Arrays.stream(components.getBankIndices()).allMatch(b -> b == 0)) {
            // Fast path (TYPE_3BYTE_BGR, JPEG rasters, 8-bit PNG): walk the bytes in place.
            int pixelStride = components.getPixelStride();
            int scanlineStride = components.getScanlineStride();
            int origin = buffer.getOffset()
                    - raster.getSampleModelTranslateY() * scanlineStride
                    - raster.getSampleModelTranslateX() * pixelStride;
            int[] offsets = components.getBandOffsets();
            // A packed three-sample raster (a baseline JPEG's) becomes the RGB array itself: each pixel is read
            // whole before it is written, and the raster is the decoder's own, so a megabyte is neither allocated
            // nor copied.
            boolean inPlace = (transform == ColorTransform.YCBCR || transform == ColorTransform.RGB)
                    && pixelStride == 3 && scanlineStride == 3 * width && origin == 0
                    && Arrays.equals(offsets, new int[] {0, 1, 2}) && buffer.getData().length == 3 * width * height;
            byte[] rgb = inPlace ? buffer.getData() : new byte[width * height * 3];
            if (inPlace && transform == ColorTransform.RGB) {
                return rgb;
            }
            for (int y = 0; y < height; y++) {
                convertRow(transform, buffer.getData(), origin + y * scanlineStride, pixelStride, offsets, width, rgb,
                        y * width * 3);
            }
            return rgb;
        }
        // Anything else (16-bit, packed pixels): fetch samples row by row, scaled to 8 bits as OpenCV does.
        byte[] rgb = new byte[width * height * 3];
        int bands = raster.getNumBands();
        int[] shifts = new int[bands];
        for (int b = 0; b < bands; b++) {
            shifts[b] = model.getSampleSize(b) - 8;
        }
        int[] samples = new int[width * bands];
        byte[] row = new byte[width * bands];
        int[] offsets = new int[bands];
        Arrays.setAll(offsets, b -> b);
        for (int y = 0; y < height; y++) {
            raster.getPixels(0, y, width, 1, samples);
            for (int i = 0; i < samples.length; i++) {
                int shift = shifts[i % bands];
                row[i] = (byte) (shift >= 0 ? samples[i] >> shift : samples[i] << -shift);
            }
            convertRow(transform, row, 0, bands, offsets, width, rgb, y * width * 3);
        }
        return rgb;
    }

    private static void convertRow(ColorTransform transform, byte[] src, int start, int pixelStride, int[] offsets,
            int width, byte[] dst, int out) {
        int end = start + width * pixelStride;
        switch (transform) {
            case GRAY -> {
                for (int s = start + offsets[0]; s < end; s += pixelStride) {
                    byte v = src[s];
                    dst[out++] = v;
                    dst[out++] = v;
                    dst[out++] = v;
                }
            }
            case RGB -> {
                int r = offsets[0];
                int g = offsets[1];
                int b = offsets[2];
                for (int s = start; s < end; s += pixelStride) {
                    dst[out++] = src[s + r];
                    dst[out++] = src[s + g];
                    dst[out++] = src[s + b];
                }
            }
            case YCBCR -> {
                int o0 = offsets[0];
                int o1 = offsets[1];
                int o2 = offsets[2];
                for (int s = start; s < end; s += pixelStride) {
                    int y = (src[s + o0] & 0xFF) + CLAMP_OFFSET;
                    int cb = src[s + o1] & 0xFF;
                    int cr = src[s + o2] & 0xFF;
                    dst[out++] = CLAMP[y + CR_R[cr]];
                    dst[out++] = CLAMP[y + ((CB_G[cb] + CR_G[cr]) >> 16)];
                    dst[out++] = CLAMP[y + CB_B[cb]];
                }
            }
            case CMYK, YCCK -> {
                boolean ycck = transform == ColorTransform.YCCK;
                int o0 = offsets[0];
                int o1 = offsets[1];
                int o2 = offsets[2];
                int o3 = offsets[3];
                for (int s = start; s < end; s += pixelStride) {
                    int c = src[s + o0] & 0xFF;
                    int m = src[s + o1] & 0xFF;
                    int ye = src[s + o2] & 0xFF;
                    int k = src[s + o3] & 0xFF;
                    if (ycck) {
                        // jdcolor.c ycck_cmyk_convert: C, M, Y = 255 - R, G, B of the YCC triple.
                        int luma = c + CLAMP_OFFSET;
                        int cb = m;
                        int cr = ye;
                        c = 255 - (CLAMP[luma + CR_R[cr]] & 0xFF);
                        m = 255 - (CLAMP[luma + ((CB_G[cb] + CR_G[cr]) >> 16)] & 0xFF);
                        ye = 255 - (CLAMP[luma + CB_B[cb]] & 0xFF);
                    }
                    // OpenCV icvCvt_CMYK2BGR_8u_C4C3R on libjpeg's (Adobe-inverted) CMYK.
                    dst[out++] = (byte) (k - ((255 - c) * k >> 8));
                    dst[out++] = (byte) (k - ((255 - m) * k >> 8));
                    dst[out++] = (byte) (k - ((255 - ye) * k >> 8));
                }
            }
        }
    }

    /** Expands palette indices (any bit depth); libpng expands low-bit grey the same way Java's palette does. */
    private static byte[] paletteToRgb(Raster raster, IndexColorModel palette) {
        int width = raster.getWidth();
        int height = raster.getHeight();
        int size = palette.getMapSize();
        byte[] reds = new byte[size];
        byte[] greens = new byte[size];
        byte[] blues = new byte[size];
        palette.getReds(reds);
        palette.getGreens(greens);
        palette.getBlues(blues);
        byte[] rgb = new byte[width * height * 3];
        int[] indices = new int[width];
        int out = 0;
        for (int y = 0; y < height; y++) {
            raster.getSamples(0, y, width, 1, 0, indices);
            for (int x = 0; x < width; x++) {
                // An index past the palette is black in libpng.
                int index = indices[x] < size ? indices[x] : -1;
                rgb[out++] = index < 0 ? 0 : reds[index];
                rgb[out++] = index < 0 ? 0 : greens[index];
                rgb[out++] = index < 0 ? 0 : blues[index];
            }
        }
        return rgb;
    }

    /**
     * Applies an EXIF orientation as OpenCV's ApplyExifOrientation: 2 flip left-right, 3 rotate 180, 4 flip
     * top-bottom, 5 transpose, 6 rotate 90 clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
     */
    static DecodedImage orient(int width, int height, byte[] rgb, int orientation) {
        if (orientation == 1) {
            return new DecodedImage(width, height, rgb);
        }
        // Source pixel index of output pixel (x, y) is origin + x * stepX + y * stepY.
        int last = width * height - 1;
        int lastRow = (height - 1) * width;
        int[] plan = switch (orientation) {
            case 2 -> new int[] {width - 1, -1, width};
            case 3 -> new int[] {last, -1, -width};
            case 4 -> new int[] {lastRow, 1, -width};
            case 5 -> new int[] {0, width, 1};
            case 6 -> new int[] {lastRow, -width, 1};
            case 7 -> new int[] {last, -width, -1};
            case 8 -> new int[] {width - 1, width, -1};
            default -> throw new IllegalArgumentException("EXIF orientation must be 1..8: " + orientation);
        };
        boolean swap = orientation >= 5;
        int outWidth = swap ? height : width;
        int outHeight = swap ? width : height;
        byte[] out = new byte[rgb.length];
        int o = 0;
        for (int y = 0; y < outHeight; y++) {
            int s = plan[0] + y * plan[2];
            for (int x = 0; x < outWidth; x++, s += plan[1]) {
                int i = s * 3;
                out[o++] = rgb[i];
                out[o++] = rgb[i + 1];
                out[o++] = rgb[i + 2];
            }
        }
        return new DecodedImage(outWidth, outHeight, out);
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    private static String hex(byte[] bytes, int length) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < length; i++) {
            text.append(String.format("%02x", bytes[i] & 0xFF));
        }
        return text.toString();
    }
}
