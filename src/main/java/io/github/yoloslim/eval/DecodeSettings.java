package io.github.yoloslim.eval;

/**
 * How raw YOLOv8 output becomes detections, as Ultralytics validation does it.
 *
 * @param confidenceThreshold a class score must exceed this to make a candidate (validation uses 0.001)
 * @param iouThreshold NMS suppresses a box overlapping a higher-scored box of its class by more than this
 * @param maxDetections at most this many detections per image, highest scores first
 * @param multiLabel every class above the threshold makes a candidate for the same box ({@code yolo val});
 *        false keeps only the best class per box, as deployments do
 */
public record DecodeSettings(double confidenceThreshold, double iouThreshold, int maxDetections, boolean multiLabel) {

    /** Ultralytics' validation defaults: conf 0.001, IoU 0.7, 300 detections, multi-label. */
    public static final DecodeSettings VALIDATION = new DecodeSettings(0.001, 0.7, 300, true);
}
