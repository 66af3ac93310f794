package io.github.yoloslim.eval;

import java.util.List;

/**
 * One model's evaluation on a dataset: the COCO numbers plus what a reader of the report needs to trust them.
 *
 * @param model the model file as given
 * @param sha256 the model file's content hash
 * @param modelSummary input size, output layout and classes, as recognised
 * @param stats the 12 COCO numbers
 * @param perClass AP per dataset category that the model predicts
 * @param curves the precision–recall curves at IoU 0.5 and 0.75 over all categories
 * @param images images evaluated
 * @param skippedImages images that could not be read, with the reason; left out of the evaluation
 * @param unmappedClasses model classes with no dataset category, whose detections were dropped
 * @param detections detections kept after NMS, over all images
 * @param seconds wall time of the evaluation, decoding and inference included
 */
public record ModelEvaluation(String model, String sha256, String modelSummary, CocoStats stats,
        List<CategoryAp> perClass, List<PrecisionRecallCurve> curves, int images, List<String> skippedImages,
        List<String> unmappedClasses, long detections, double seconds) {

    /** Changes when the record gains fields, so that caches of older snapshots of one version are not read. */
    public static final int FORMAT = 2;

    public ModelEvaluation {
        perClass = List.copyOf(perClass);
        curves = List.copyOf(curves);
        skippedImages = List.copyOf(skippedImages);
        unmappedClasses = List.copyOf(unmappedClasses);
    }
}
