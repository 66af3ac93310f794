package io.github.yoloslim.data;

/**
 * One ground-truth box. {@code x, y, width, height} are COCO's {@code bbox} in pixels of the image as
 * displayed (EXIF orientation applied); {@code area} is the annotation's {@code area} field, which COCO
 * evaluation uses for the small/medium/large ranges; a crowd box may match many detections and is ignored.
 */
public record GroundTruthBox(long id, long imageId, int categoryId, double x, double y, double width,
        double height, double area, boolean crowd) {
}
