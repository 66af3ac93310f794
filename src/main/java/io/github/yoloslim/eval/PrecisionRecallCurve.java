package io.github.yoloslim.eval;

import java.util.Arrays;

/**
 * The precision–recall curve of all categories at one IoU threshold (all areas, at most 100 detections per
 * image): pycocotools' interpolated {@code precision[t, :, k, 0, 2]} at its 101 recall thresholds, averaged over
 * the categories that have ground truth, as Ultralytics plots "all classes".
 *
 * @param recall the recall thresholds, 0 to 1 in steps of 0.01
 * @param precision the mean interpolated precision at each recall threshold, -1 where no category has ground truth
 */
public record PrecisionRecallCurve(double iouThreshold, double[] recall, double[] precision) {

    public PrecisionRecallCurve {
        if (recall.length != precision.length) {
            throw new IllegalArgumentException(recall.length + " recall thresholds but " + precision.length
                    + " precisions");
        }
        recall = recall.clone();
        precision = precision.clone();
    }

    @Override
    public double[] recall() {
        return recall.clone();
    }

    @Override
    public double[] precision() {
        return precision.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof PrecisionRecallCurve that && iouThreshold == that.iouThreshold
                && Arrays.equals(recall, that.recall) && Arrays.equals(precision, that.precision);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * Double.hashCode(iouThreshold) + Arrays.hashCode(recall)) + Arrays.hashCode(precision);
    }

    @Override
    public String toString() {
        return "PrecisionRecallCurve[iou=" + iouThreshold + ", precision=" + Arrays.toString(precision) + "]";
    }
}
