package io.github.yoloslim.data;

/** One entry of a COCO annotation file's {@code images} array. */
public record CocoImage(long id, String fileName, int width, int height) {
}
