package io.github.yoloslim.eval;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.Category;
import io.github.yoloslim.data.GroundTruthBox;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/**
 * One small hand-worked case per pycocotools rule. Notation in the comments: the detections that are not
 * ignored, in score order, as TP/FP; pr = tp / (tp + fp + eps), made non-increasing from the right; q(r) =
 * pr at the first rank whose recall reaches r, 0 past the end; AP = mean of q over the 101 recall
 * thresholds and the 10 IoU thresholds. eps = 2^-52 makes a precision of 1/1 come out as 1 - 2^-52 while 2/2
 * is exactly 1, so cases use two ground-truth boxes where an exact 1 is wanted.
 */
class CocoEvaluatorTest {

    private static final Offset<Double> HAND = within(1e-12);
    private static final List<Category> ONE_CATEGORY = List.of(new Category(1, "thing"));

    private long nextGtId = 1;

    private GroundTruthBox gt(long image, int category, double x, double y, double w, double h) {
        return new GroundTruthBox(nextGtId++, image, category, x, y, w, h, w * h, false);
    }

    private GroundTruthBox gtWithArea(long image, double x, double y, double w, double h, double area) {
        return new GroundTruthBox(nextGtId++, image, 1, x, y, w, h, area, false);
    }

    private GroundTruthBox crowd(long image, double x, double y, double w, double h) {
        return new GroundTruthBox(nextGtId++, image, 1, x, y, w, h, w * h, true);
    }

    private static Detection det(long image, int category, double x, double y, double w, double h, double score) {
        return new Detection(image, category, x, y, w, h, score);
    }

    private static Detection exact(GroundTruthBox g, double score) {
        return new Detection(g.imageId(), g.categoryId(), g.x(), g.y(), g.width(), g.height(), score);
    }

    private static CocoStats stats(List<GroundTruthBox> gts, List<Detection> dts, long... images) {
        return new CocoEvaluator(1).evaluate(ONE_CATEGORY, images, gts, dts).stats();
    }

    @Test
    void perfectDetectionsScoreOne() {
        // Two large (100x100 = 10000 > 96^2) and two medium (50x50 = 2500) boxes, each detected exactly.
        // all: TP TP TP TP, pr 1-eps, 1, 1, 1 -> non-increasing: all 1 -> AP 1, AR 1.
        // medium: the two large detections match ignored (large) boxes and are ignored: TP TP -> 1; large
        // likewise. small: no box -> -1. AR1: one detection per image -> recall 1/4.
        GroundTruthBox a = gt(1, 1, 0, 0, 100, 100);
        GroundTruthBox b = gt(1, 1, 200, 0, 100, 100);
        GroundTruthBox c = gt(1, 1, 0, 200, 50, 50);
        GroundTruthBox d = gt(1, 1, 100, 200, 50, 50);
        CocoStats s = stats(List.of(a, b, c, d), List.of(exact(a, .9), exact(b, .8), exact(c, .7), exact(d, .6)), 1);

        assertThat(s.toArray()).containsExactly(1, 1, 1, -1, 1, 1, 0.25, 1, 1, -1, 1, 1);
    }

    @Test
    void crowdBoxesMatchManyDetectionsByDetectionAreaAndAreIgnored() {
        // Regular boxes r1, r2 (detected exactly, scores .7, .6); a 200x200 crowd box holding two 50x50
        // detections (.9, .8): IoU with a crowd box is intersection / detection area = 1, so both match it
        // and are ignored (as plain IoU, 2500/40000, they would be false positives).
        // A 40x40 detection (.95) half inside the crowd box: 800/1600 = 0.5.
        // IoU .50: it matches the crowd box too -> TP TP -> AP 1.
        // IoU .55 to .95: it is a false positive -> FP TP TP: pr 0, 1/2, 2/3 -> 2/3 everywhere -> AP 2/3.
        // AP = (1 + 9 * 2/3) / 10 = 0.7; AR 1 at every threshold.
        GroundTruthBox r1 = gt(1, 1, 0, 0, 100, 100);
        GroundTruthBox r2 = gt(1, 1, 0, 150, 100, 100);
        GroundTruthBox crowd = crowd(1, 200, 0, 200, 200);
        List<Detection> dts = List.of(det(1, 1, 210, 10, 50, 50, .9), det(1, 1, 300, 100, 50, 50, .8),
                exact(r1, .7), exact(r2, .6), det(1, 1, 380, 0, 40, 40, .95));

        CocoStats s = stats(List.of(r1, r2, crowd), dts, 1);

        assertThat(s.ap50()).isEqualTo(1);
        assertThat(s.ap75()).isCloseTo(2.0 / 3, HAND);
        assertThat(s.ap()).isCloseTo(0.7, HAND);
        assertThat(s.ar100()).isEqualTo(1);
    }

    @Test
    void scoreTiesKeepInputOrderWithinAnImage() {
        // A false positive and a true positive tie at .5, then a true positive at .4; two boxes.
        // False positive listed first: FP TP TP -> pr 0, 1/2, 2/3 -> 2/3, 2/3, 2/3 -> AP 2/3.
        // True positive listed first: TP FP TP -> pr 1, 1/2, 2/3 -> 1, 2/3, 2/3; recall .5, .5, 1
        // -> q = 1 for r <= .5 (51 thresholds), 2/3 above (50) -> AP = (51 + 50 * 2/3) / 101.
        GroundTruthBox g1 = gt(1, 1, 0, 0, 100, 100);
        GroundTruthBox g2 = gt(1, 1, 0, 200, 100, 100);
        Detection miss = det(1, 1, 400, 400, 50, 50, .5);

        assertThat(stats(List.of(g1, g2), List.of(miss, exact(g1, .5), exact(g2, .4)), 1).ap())
                .isCloseTo(2.0 / 3, HAND);
        assertThat(stats(List.of(g1, g2), List.of(exact(g1, .5), miss, exact(g2, .4)), 1).ap())
                .isCloseTo((51 + 50 * 2.0 / 3) / 101, HAND);
    }

    @Test
    void scoreTiesAcrossImagesFollowImageIdOrderNotInputOrder() {
        // Image 1: box g1, a false positive at .5 and g1's detection at .4. Image 2: box g2, its detection at
        // .5. All detections are concatenated in image id order, then stably sorted: the tie puts image 1's
        // FP first -> FP TP TP -> AP 2/3, whatever order the input lists them in.
        GroundTruthBox g1 = gt(1, 1, 0, 0, 100, 100);
        GroundTruthBox g2 = gt(2, 1, 0, 0, 100, 100);
        Detection fp1 = det(1, 1, 300, 300, 50, 50, .5);
        List<GroundTruthBox> gts = List.of(g1, g2);

        assertThat(stats(gts, List.of(exact(g2, .5), fp1, exact(g1, .4)), 1, 2).ap()).isCloseTo(2.0 / 3, HAND);
        assertThat(stats(gts, List.of(fp1, exact(g1, .4), exact(g2, .5)), 2, 1).ap()).isCloseTo(2.0 / 3, HAND);
    }

    @Test
    void groundTruthSizeIsItsAreaFieldWhileDetectionsUseWidthTimesHeight() {
        // Two 40x40 boxes (1600, medium by their boxes) whose area field says 900 (small), each detected
        // exactly (40x40 = 1600). small: both boxes count; their detections match them, so they are true
        // positives although their own area is medium -> AP small 1, AR small 1. medium: no box is
        // medium by area field -> -1. large: -1.
        GroundTruthBox g1 = gtWithArea(1, 0, 0, 40, 40, 900);
        GroundTruthBox g2 = gtWithArea(1, 100, 0, 40, 40, 900);

        CocoStats s = stats(List.of(g1, g2), List.of(exact(g1, .9), exact(g2, .8)), 1);

        assertThat(new double[] {s.apSmall(), s.arSmall(), s.apMedium(), s.arMedium(), s.apLarge()})
                .containsExactly(1, 1, -1, -1, -1);
    }

    @Test
    void areaRangeBoundariesAreInclusive() {
        // 32x32 = 1024 is both small (<= 32^2) and medium (>= 32^2); 96x96 = 9216 both medium and large.
        GroundTruthBox s1 = gt(1, 1, 0, 0, 32, 32);
        GroundTruthBox s2 = gt(1, 1, 100, 0, 32, 32);
        GroundTruthBox l1 = gt(1, 1, 0, 200, 96, 96);
        GroundTruthBox l2 = gt(1, 1, 200, 200, 96, 96);
        List<GroundTruthBox> gts = List.of(s1, s2, l1, l2);

        CocoStats s = stats(gts, List.of(exact(s1, .9), exact(s2, .8), exact(l1, .7), exact(l2, .6)), 1);

        // small: s1 s2 count, l1 l2 ignored; medium: all four; large: l1 l2. Each perfectly detected.
        assertThat(new double[] {s.apSmall(), s.apMedium(), s.apLarge(), s.arSmall(), s.arMedium(), s.arLarge()})
                .containsExactly(1, 1, 1, 1, 1, 1);
    }

    @Test
    void unmatchedDetectionsOutsideTheAreaRangeAreIgnored() {
        // Two 20x20 boxes (small), detected at .8 and .7; a 200x200 false positive at .9 and a 20x20 false
        // positive at .85.
        // all: FP FP TP TP -> pr 0, 0, 1/3, 1/2 -> 1/2 everywhere -> AP 1/2.
        // small: the large false positive is outside the range and unmatched -> ignored; the small one
        // counts: FP TP TP -> pr 0, 1/2, 2/3 -> AP small 2/3.
        GroundTruthBox g1 = gt(1, 1, 0, 0, 20, 20);
        GroundTruthBox g2 = gt(1, 1, 50, 0, 20, 20);
        List<Detection> dts = List.of(det(1, 1, 300, 300, 200, 200, .9), det(1, 1, 100, 100, 20, 20, .85),
                exact(g1, .8), exact(g2, .7));

        CocoStats s = stats(List.of(g1, g2), dts, 1);

        assertThat(s.ap()).isCloseTo(0.5, HAND);
        assertThat(s.apSmall()).isCloseTo(2.0 / 3, HAND);
    }

    @Test
    void maxDetectionsPerImageLimitRecall() {
        // Twelve boxes, each detected exactly, scores falling: with 1, 10 and 100 detections per image the
        // recall is 1/12, 10/12 and 1 at every IoU threshold.
        List<GroundTruthBox> gts = new ArrayList<>();
        List<Detection> dts = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            GroundTruthBox g = gt(1, 1, 30 * i, 0, 20, 20);
            gts.add(g);
            dts.add(exact(g, 0.99 - i * 0.01));
        }

        CocoStats s = stats(gts, dts, 1);

        assertThat(s.ar1()).isCloseTo(1.0 / 12, HAND);
        assertThat(s.ar10()).isCloseTo(10.0 / 12, HAND);
        assertThat(s.ar100()).isEqualTo(1);
    }

    @Test
    void onlyTheHundredBestDetectionsOfAnImageCount() {
        // 101 false positives at .5 and the one true detection at .4: it is 102nd and dropped -> recall 0.
        // At .6 it is first -> recall 1.
        GroundTruthBox g = gt(1, 1, 0, 0, 20, 20);
        List<Detection> dts = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            dts.add(det(1, 1, 100 + i, 100, 20, 20, .5));
        }
        List<Detection> late = new ArrayList<>(dts);
        late.add(exact(g, .4));
        List<Detection> early = new ArrayList<>(dts);
        early.add(exact(g, .6));

        assertThat(stats(List.of(g), late, 1).ar100()).isZero();
        assertThat(stats(List.of(g), early, 1).ar100()).isEqualTo(1);
    }

    @Test
    void categoriesWithoutGroundTruthAreLeftOutOfTheMeans() {
        // Category 1: two boxes, detected exactly -> AP 1. Category 2: detections only -> no curve (-1).
        // Category 3: only a crowd box, which is ignored, and a detection on it -> -1. The means skip -1.
        List<Category> categories = List.of(new Category(3, "c"), new Category(1, "a"), new Category(2, "b"));
        GroundTruthBox a1 = gt(1, 1, 0, 0, 50, 50);
        GroundTruthBox a2 = gt(1, 1, 100, 0, 50, 50);
        GroundTruthBox c = new GroundTruthBox(nextGtId++, 1, 3, 0, 200, 100, 100, 10000, true);
        List<Detection> dts = List.of(exact(a1, .9), exact(a2, .8), det(1, 2, 0, 0, 50, 50, .95), exact(c, .7));

        CocoEvalResult r = new CocoEvaluator(2).evaluate(categories, new long[] {1}, List.of(a1, a2, c), dts);

        assertThat(r.stats().ap()).isEqualTo(1);
        assertThat(r.stats().ar100()).isEqualTo(1);
        assertThat(r.perCategory()).containsExactly(new CategoryAp(1, 1, 1, 2), new CategoryAp(2, -1, -1, 0),
                new CategoryAp(3, -1, -1, 0));
    }

    @Test
    void noGroundTruthAtAllGivesMinusOneEverywhere() {
        CocoStats s = stats(List.of(), List.of(det(1, 1, 0, 0, 10, 10, .9)), 1);

        assertThat(s.toArray()).containsOnly(-1);
    }

    @Test
    void precisionIsInterpolatedAtTheHundredAndOneRecallThresholds() {
        // Four boxes; detections in score order TP FP TP FP FP TP (the fourth box is missed).
        // recall    .25  .25  .5   .5   .5   .75
        // pr        1    1/2  2/3  1/2  2/5  1/2
        // monotone  1    2/3  2/3  1/2  1/2  1/2
        // q(r): r <= .25 (26 thresholds) -> 1; .25 < r <= .5 (25) -> 2/3; .5 < r <= .75 (25) -> 1/2; above
        // (25) -> 0. AP = (26 + 25 * 2/3 + 25 / 2) / 101 at every IoU threshold; AR = .75.
        List<GroundTruthBox> gts = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            gts.add(gt(1, 1, 100 * i, 0, 50, 50));
        }
        List<Detection> dts = List.of(exact(gts.get(0), .9), det(1, 1, 0, 300, 50, 50, .8), exact(gts.get(1), .7),
                det(1, 1, 100, 300, 50, 50, .6), det(1, 1, 200, 300, 50, 50, .5), exact(gts.get(2), .4));

        CocoStats s = stats(gts, dts, 1);

        assertThat(s.ap()).isCloseTo((26 + 25 * 2.0 / 3 + 25 / 2.0) / 101, HAND);
        assertThat(s.ar100()).isEqualTo(0.75);
    }

    @Test
    void boxesOnImagesOutsideTheEvaluatedSetAreLeftOut() {
        // Image 1: two boxes, detected exactly -> AP 1. Image 2 is not evaluated: its missed box and its
        // high-scoring false positive change nothing.
        GroundTruthBox g1 = gt(1, 1, 0, 0, 50, 50);
        GroundTruthBox g2 = gt(1, 1, 100, 0, 50, 50);
        GroundTruthBox other = gt(2, 1, 0, 0, 50, 50);
        List<Detection> dts = List.of(exact(g1, .9), exact(g2, .8), det(2, 1, 300, 300, 50, 50, .99));

        CocoStats s = stats(List.of(g1, g2, other), dts, 1);

        assertThat(new double[] {s.ap(), s.ar100()}).containsExactly(1, 1);
    }

    @Test
    void aMatchOnGroundTruthIdZeroCountsAsUnmatched() {
        // pycocotools records a match as the box id and reads 0 as "no match": the detection of box id 0 is
        // a false positive (and the box stays missed), the other is a true positive: FP TP -> pr 0, 1/2 ->
        // AP 1/2 over recall (0, .5], 0 above -> (51 * 1/2) / 101; AR = 1/2.
        GroundTruthBox zero = new GroundTruthBox(0, 1, 1, 0, 0, 50, 50, 2500, false);
        GroundTruthBox g = gt(1, 1, 100, 0, 50, 50);

        CocoStats s = stats(List.of(zero, g), List.of(exact(zero, .9), exact(g, .8)), 1);

        assertThat(s.ap()).isCloseTo(51 * 0.5 / 101, HAND);
        assertThat(s.ar100()).isEqualTo(0.5);
    }

    @Test
    void nonFiniteNumbersAreRejected() {
        assertThatThrownBy(() -> stats(List.of(), List.of(det(1, 1, 0, 0, 10, 10, Double.NaN)), 1))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("NaN");
    }

    @Test
    void thresholdsAreNumpyLinspaceBitForBit() {
        // Hex from numpy 2.4: np.linspace(.5, .95, 10).
        assertThat(Arrays.stream(CocoEvaluator.IOU_THRESHOLDS).mapToObj(Double::toHexString)).containsExactly(
                "0x1.0p-1", "0x1.199999999999ap-1", "0x1.3333333333333p-1", "0x1.4cccccccccccdp-1",
                "0x1.6666666666666p-1", "0x1.8p-1", "0x1.999999999999ap-1", "0x1.b333333333333p-1",
                "0x1.cccccccccccccp-1", "0x1.e666666666666p-1");
        assertThat(CocoEvaluator.RECALL_THRESHOLDS).hasSize(101);
        assertThat(CocoEvaluator.RECALL_THRESHOLDS[100]).isEqualTo(1.0);
    }

    @Test
    void meansUseNumpysPairwiseSummation() {
        // Values from numpy 2.4's np.mean; a left-to-right sum gives 0.10231023102310087 and
        // 10.000000000000002.
        double[] a = new double[1010];
        for (int i = 0; i < a.length; i++) {
            a[i] = i < 1000 ? 0.1 : 1.0 / 3;
        }
        double[] b = new double[199];
        for (int i = 0; i < b.length; i++) {
            b[i] = 0.1 * (i + 1);
        }

        assertThat(CocoEvaluator.numpyMean(a, a.length)).isEqualTo(0.10231023102310231);
        assertThat(CocoEvaluator.numpyMean(b, b.length)).isEqualTo(10.0);
    }

    @Test
    void scoreSortIsStableAndDescendingLikeNumpysMergesortOfMinusScore() {
        SplittableRandom random = new SplittableRandom(7);
        for (int n : new int[] {0, 1, 5, 16, 17, 100, 1000, 5000}) {
            double[] key = new double[n];
            for (int i = 0; i < n; i++) {
                key[i] = random.nextInt(20) / 10.0; // many ties
            }
            int[] idx = IntStream.range(0, n).toArray();

            CocoEvaluator.sortByScoreDescending(idx, 0, n, key, new int[n]);

            Integer[] expected = IntStream.range(0, n).boxed().toArray(Integer[]::new);
            Arrays.sort(expected, Comparator.comparingDouble((Integer i) -> -key[i])); // stable
            assertThat(idx).containsExactly(Arrays.stream(expected).mapToInt(Integer::intValue).toArray());
        }
    }
}
