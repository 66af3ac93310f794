package io.github.yoloslim.eval;

/**
 * COCO's twelve summary numbers for box detection, in pycocotools' {@code stats} order: AP over IoU
 * .50:.95, AP at .50 and .75, AP for small, medium and large objects, AR with at most 1, 10 and 100
 * detections per image, and AR for small, medium and large objects. A value is -1 when no category had a
 * ground-truth box in that setting, as in pycocotools.
 */
public record CocoStats(double ap, double ap50, double ap75, double apSmall, double apMedium, double apLarge,
        double ar1, double ar10, double ar100, double arSmall, double arMedium, double arLarge) {

    /** The twelve numbers in pycocotools' {@code stats} order. */
    public double[] toArray() {
        return new double[] {ap, ap50, ap75, apSmall, apMedium, apLarge, ar1, ar10, ar100, arSmall, arMedium,
                arLarge};
    }

    /** The inverse of {@link #toArray()}. */
    public static CocoStats of(double... stats) {
        if (stats.length != 12) {
            throw new IllegalArgumentException("COCO stats are 12 numbers, got " + stats.length);
        }
        return new CocoStats(stats[0], stats[1], stats[2], stats[3], stats[4], stats[5], stats[6], stats[7],
                stats[8], stats[9], stats[10], stats[11]);
    }
}
