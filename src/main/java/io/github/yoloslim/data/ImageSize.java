package io.github.yoloslim.data;

/** Width and height in pixels of an image as displayed, that is with its EXIF orientation applied. */
public record ImageSize(int width, int height) {
}
