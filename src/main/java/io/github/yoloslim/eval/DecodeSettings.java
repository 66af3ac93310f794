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

    /**
     * Refuses out-of-range values, naming the elements they came from: {@code <confidenceThreshold>} and its
     * siblings, or with a prefix such as {@code djl}, {@code <djlConfidenceThreshold>}.
     *
     * @throws io.github.yoloslim.InvalidInputException for the first value out of range
     */
    public void requireInRange(String elementPrefix) {
        if (!(confidenceThreshold >= 0 && confidenceThreshold < 1)) {
            throw EvaluationSettings.invalid(element(elementPrefix, "confidenceThreshold"), confidenceThreshold,
                    "a score in [0, 1), e.g. 0.001 as Ultralytics validates");
        }
        if (!(iouThreshold > 0 && iouThreshold <= 1)) {
            throw EvaluationSettings.invalid(element(elementPrefix, "iouThreshold"), iouThreshold,
                    "an IoU in (0, 1], e.g. 0.7 as Ultralytics validates");
        }
        if (maxDetections < 1) {
            throw EvaluationSettings.invalid(element(elementPrefix, "maxDetections"), maxDetections,
                    "at least 1, e.g. 300 as COCO evaluation expects");
        }
    }

    private static String element(String prefix, String name) {
        return prefix.isEmpty() ? name : prefix + Character.toUpperCase(name.charAt(0)) + name.substring(1);
    }
}
