package io.github.yoloslim.eval;

/**
 * One category's average precision (all areas, at most 100 detections per image): {@code ap} over IoU
 * .50:.95 and {@code ap50} at IoU .50, each -1 when the category has no non-crowd ground truth among the
 * evaluated images; {@code gtCount} is that number of non-crowd ground-truth boxes.
 */
public record CategoryAp(int categoryId, double ap, double ap50, int gtCount) {
}
