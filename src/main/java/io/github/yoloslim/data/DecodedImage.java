package io.github.yoloslim.data;

/**
 * A decoded image as displayed (EXIF orientation applied): 8-bit RGB, interleaved, rows top to bottom, so the
 * sample of channel {@code c} at {@code (x, y)} is {@code rgb[(y * width + x) * 3 + c]}. Records compare arrays by
 * identity; compare {@link #rgb()} with {@link java.util.Arrays#equals(byte[], byte[])}.
 */
public record DecodedImage(int width, int height, byte[] rgb) {

    public DecodedImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
        }
        if (rgb.length != Math.multiplyExact(Math.multiplyExact(width, height), 3)) {
            throw new IllegalArgumentException(
                    "rgb has " + rgb.length + " bytes, expected " + width + "*" + height + "*3");
        }
    }

    /** The displayed size. */
    public ImageSize size() {
        return new ImageSize(width, height);
    }
}
