package io.github.yoloslim.eval;

/**
 * One detection in COCO's results format: box {@code x, y, width, height} in original image pixels, the
 * dataset's category id and the confidence score.
 */
public record Detection(long imageId, int categoryId, double x, double y, double width, double height,
        double score) {
}
