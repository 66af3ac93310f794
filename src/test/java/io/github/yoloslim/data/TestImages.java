package io.github.yoloslim.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.zip.CRC32;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;

/** Builds small image files byte by byte for decoder and loader tests. */
final class TestImages {

    private TestImages() {
    }

    /** Encodes with the JDK's JPEG writer at quality 1.0 (a BufferedImage, or a raw Raster for 4 channels). */
    static byte[] jpeg(Object imageOrRaster) throws IOException {
        ImageWriter writer = null;
        for (Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("jpeg"); it.hasNext();) {
            ImageWriter candidate = it.next();
            // The JDK's writer stores a Raster's samples without colour conversion, which the CMYK tests need.
            if (candidate.getClass().getName().startsWith("com.sun.")) {
                writer = candidate;
            }
        }
        ImageWriteParam param = writer.getDefaultWriteParam();
        param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        param.setCompressionQuality(1.0f);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            IIOImage image = imageOrRaster instanceof Raster raster ? new IIOImage(raster, null, null)
                    : new IIOImage((BufferedImage) imageOrRaster, null, null);
            writer.write(null, image, param);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    static byte[] png(BufferedImage image) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ImageIO.write(image, "png", bytes);
        return bytes.toByteArray();
    }

    /** Inserts a marker segment right after a JPEG's SOI. */
    static byte[] withSegment(byte[] jpeg, int marker, byte[] payload) {
        ByteBuffer out = ByteBuffer.allocate(jpeg.length + payload.length + 4);
        out.put(jpeg, 0, 2);
        out.put((byte) 0xFF).put((byte) marker).putShort((short) (payload.length + 2)).put(payload);
        out.put(jpeg, 2, jpeg.length - 2);
        return out.array();
    }

    /** A JPEG with an APP1 Exif segment whose IFD0 holds just the orientation. */
    static byte[] withExifOrientation(byte[] jpeg, int orientation) {
        ByteBuffer app1 = ByteBuffer.allocate(6 + 26);
        app1.put("Exif\0\0".getBytes(StandardCharsets.US_ASCII));
        app1.put(tiffWithOrientation(orientation));
        return withSegment(jpeg, 0xE1, app1.array());
    }

    /** Big-endian TIFF header, one IFD entry: tag 0x0112 (orientation), SHORT, count 1. */
    static byte[] tiffWithOrientation(int orientation) {
        ByteBuffer tiff = ByteBuffer.allocate(26);
        tiff.put((byte) 'M').put((byte) 'M').putShort((short) 42).putInt(8);
        tiff.putShort((short) 1);
        tiff.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
        tiff.putInt(0);
        return tiff.array();
    }

    /** Adobe APP14 payload with the given colour transform (0 CMYK/RGB, 1 YCbCr, 2 YCCK). */
    static byte[] adobe(int transform) {
        return new byte[] {'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, (byte) transform};
    }

    /** Inserts a PNG chunk (with its CRC) after the IHDR chunk. */
    static byte[] withPngChunk(byte[] png, String type, byte[] data) {
        int afterHeader = 8 + 25;
        byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        ByteBuffer out = ByteBuffer.allocate(png.length + 12 + data.length);
        out.put(png, 0, afterHeader);
        out.putInt(data.length).put(typeBytes).put(data).putInt((int) crc.getValue());
        out.put(png, afterHeader, png.length - afterHeader);
        return out.array();
    }

    /** An 8-bit interleaved raster with the given number of bands. */
    static WritableRaster raster(int width, int height, int bands) {
        return Raster.createInterleavedRaster(DataBuffer.TYPE_BYTE, width, height, bands, null);
    }

    /** An RGB image whose four quadrants are red, green, blue and white (top-left, top-right, ...). */
    static BufferedImage quadrants(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                boolean right = x >= width / 2;
                boolean bottom = y >= height / 2;
                int rgb = !bottom ? (!right ? 0xFF0000 : 0x00FF00) : (!right ? 0x0000FF : 0xFFFFFF);
                image.setRGB(x, y, rgb);
            }
        }
        return image;
    }
}
