package io.github.yoloslim.eval;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.Category;
import io.github.yoloslim.data.CocoAnnotations;
import io.github.yoloslim.data.CocoImage;
import io.github.yoloslim.data.GroundTruthBox;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.IntStream;

/**
 * COCO box evaluation that reproduces pycocotools' {@code COCOeval(gt, dt, "bbox")} followed by
 * {@code evaluate(); accumulate(); summarize()} number for number, default parameters only: IoU thresholds
 * .50:.05:.95, 101 recall thresholds, areas all/small/medium/large, at most 1/10/100 detections per image.
 *
 * <p>Everything pycocotools does is mirrored, including its less obvious rules: a crowd box is ignored, its
 * IoU is taken over the detection's area and it may match many detections; score ties keep input order
 * (stable sorts); a detection's area is {@code width * height} while a ground-truth box's is its
 * {@code area} field; a ground-truth box with id 0 counts as unmatched once matched; duplicate annotation
 * ids resolve to the last annotation with that id; means are numpy's pairwise sums.
 *
 * <p>Categories are evaluated in parallel; the result does not depend on the number of threads.
 */
public final class CocoEvaluator {

    /** pycocotools' {@code iouThrs}: {@code np.linspace(.5, .95, 10)}. */
    static final double[] IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
    /** pycocotools' {@code recThrs}: {@code np.linspace(0, 1, 101)}. */
    static final double[] RECALL_THRESHOLDS = linspace(0.0, 1.0, 101);
    /** pycocotools' {@code maxDets}. */
    static final int[] MAX_DETS = {1, 10, 100};
    /** pycocotools' {@code areaRng}, inclusive at both ends: all, small, medium, large. */
    static final double[][] AREA_RANGES = {{0, 1e10}, {0, 32 * 32}, {32 * 32, 96 * 96}, {96 * 96, 1e10}};

    private static final int T = IOU_THRESHOLDS.length;
    private static final int R = RECALL_THRESHOLDS.length;
    private static final int A = AREA_RANGES.length;
    private static final int M = MAX_DETS.length;
    private static final int ALL = 0;
    private static final int SMALL = 1;
    private static final int MEDIUM = 2;
    private static final int LARGE = 3;
    /** Indices into {@link #MAX_DETS}. */
    private static final int UP_TO_1 = 0;
    private static final int UP_TO_10 = 1;
    private static final int UP_TO_100 = 2;
    private static final int MAX_DET = MAX_DETS[UP_TO_100];
    private static final int[] ALL_THRESHOLDS = IntStream.range(0, T).toArray();
    /** {@code np.spacing(1)}, added to the precision's denominator. */
    private static final double EPS = Math.ulp(1.0);

    private final int threads;

    /** An evaluator that uses one thread per available processor. */
    public CocoEvaluator() {
        this(Runtime.getRuntime().availableProcessors());
    }

    /** An evaluator that uses up to {@code threads} threads (one per category at most). */
    public CocoEvaluator(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + threads);
        }
        this.threads = threads;
    }

    /**
     * Evaluates detections against a COCO annotation file's boxes on all of its images and categories, as
     * pycocotools does by default.
     */
    public CocoEvalResult evaluate(CocoAnnotations groundTruth, List<Detection> detections) {
        long[] imageIds = groundTruth.images().stream().mapToLong(CocoImage::id).toArray();
        return evaluate(groundTruth.categories(), imageIds, groundTruth.annotations(), detections);
    }

    /**
     * Evaluates detections against ground truth.
     *
     * @param categories the categories to evaluate (pycocotools' {@code params.catIds}: normally every
     *        category of the annotation file, including those without boxes)
     * @param imageIds the images to evaluate (pycocotools' {@code params.imgIds}); order and repeats do not
     *        matter
     * @param groundTruth all annotations in file order; those on other images or categories are left out.
     *        Annotation order matters where pycocotools' does: it breaks IoU ties
     * @param detections in input order, which breaks score ties; those on other images or categories are
     *        left out
     * @throws InvalidInputException when a box or score is not finite
     */
    public CocoEvalResult evaluate(List<Category> categories, long[] imageIds, List<GroundTruthBox> groundTruth,
            List<Detection> detections) {
        Input in = new Input(categories, imageIds, groundTruth, detections);
        CategoryCurves[] curves = new CategoryCurves[in.cats.length];
        int workers = Math.min(threads, curves.length);
        if (workers <= 1) {
            for (int k = 0; k < curves.length; k++) {
                curves[k] = in.evaluateCategory(k);
            }
        } else {
            ExecutorService pool = Executors.newFixedThreadPool(workers);
            try {
                List<Future<CategoryCurves>> futures = new ArrayList<>();
                for (int k = 0; k < curves.length; k++) {
                    int category = k;
                    futures.add(pool.submit(() -> in.evaluateCategory(category)));
                }
                for (int k = 0; k < curves.length; k++) {
                    curves[k] = futures.get(k).get();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("COCO evaluation was interrupted", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } finally {
                pool.shutdownNow();
            }
        }
        return summarize(in.cats, curves);
    }

    /** pycocotools' {@code summarize()}, plus per-category AP taken from the same precision array. */
    private static CocoEvalResult summarize(int[] cats, CategoryCurves[] curves) {
        int[] t50 = thresholdIndex(0.5);
        int[] t75 = thresholdIndex(0.75);
        CocoStats stats = new CocoStats(
                precisionMean(curves, ALL_THRESHOLDS, ALL, UP_TO_100),
                precisionMean(curves, t50, ALL, UP_TO_100),
                precisionMean(curves, t75, ALL, UP_TO_100),
                precisionMean(curves, ALL_THRESHOLDS, SMALL, UP_TO_100),
                precisionMean(curves, ALL_THRESHOLDS, MEDIUM, UP_TO_100),
                precisionMean(curves, ALL_THRESHOLDS, LARGE, UP_TO_100),
                recallMean(curves, ALL, UP_TO_1),
                recallMean(curves, ALL, UP_TO_10),
                recallMean(curves, ALL, UP_TO_100),
                recallMean(curves, SMALL, UP_TO_100),
                recallMean(curves, MEDIUM, UP_TO_100),
                recallMean(curves, LARGE, UP_TO_100));
        List<CategoryAp> perCategory = new ArrayList<>(cats.length);
        for (int k = 0; k < cats.length; k++) {
            CategoryCurves[] one = {curves[k]};
            perCategory.add(new CategoryAp(cats[k], precisionMean(one, ALL_THRESHOLDS, ALL, UP_TO_100),
                    precisionMean(one, t50, ALL, UP_TO_100), curves[k].nonIgnoredGt[ALL]));
        }
        return new CocoEvalResult(stats, perCategory);
    }

    /** {@code np.where(iouThr == p.iouThrs)[0]}: exact equality, as pycocotools looks the threshold up. */
    private static int[] thresholdIndex(double iou) {
        return IntStream.range(0, T).filter(t -> IOU_THRESHOLDS[t] == iou).toArray();
    }

    /**
     * {@code np.mean(s[s > -1])} over {@code precision[t, :, :, area, maxDet]}, walked in numpy's C order
     * (threshold, recall, category); -1 when no entry is above -1.
     */
    private static double precisionMean(CategoryCurves[] curves, int[] thresholds, int area, int maxDet) {
        double[] values = new double[thresholds.length * R * curves.length];
        int n = 0;
        for (int t : thresholds) {
            for (int r = 0; r < R; r++) {
                for (CategoryCurves c : curves) {
                    double v = c.precision[((area * M + maxDet) * T + t) * R + r];
                    if (v > -1) {
                        values[n++] = v;
                    }
                }
            }
        }
        return n == 0 ? -1 : numpyMean(values, n);
    }

    /** {@code np.mean(s[s > -1])} over {@code recall[:, :, area, maxDet]} (threshold, category order). */
    private static double recallMean(CategoryCurves[] curves, int area, int maxDet) {
        double[] values = new double[T * curves.length];
        int n = 0;
        for (int t = 0; t < T; t++) {
            for (CategoryCurves c : curves) {
                double v = c.recall[(area * M + maxDet) * T + t];
                if (v > -1) {
                    values[n++] = v;
                }
            }
        }
        return n == 0 ? -1 : numpyMean(values, n);
    }

    /** numpy's {@code np.mean} of {@code a[0, n)}: {@code 0.0 + pairwise sum}, divided by n. */
    static double numpyMean(double[] a, int n) {
        return (0.0 + pairwiseSum(a, 0, n)) / n;
    }

    /** numpy's {@code pairwise_sum}: 8 accumulators within blocks of 128, halves (multiples of 8) above. */
    private static double pairwiseSum(double[] a, int from, int n) {
        if (n < 8) {
            double res = 0.0;
            for (int i = from; i < from + n; i++) {
                res += a[i];
            }
            return res;
        } else if (n <= 128) {
            double r0 = a[from];
            double r1 = a[from + 1];
            double r2 = a[from + 2];
            double r3 = a[from + 3];
            double r4 = a[from + 4];
            double r5 = a[from + 5];
            double r6 = a[from + 6];
            double r7 = a[from + 7];
            int i = 8;
            for (; i < n - (n % 8); i += 8) {
                int j = from + i;
                r0 += a[j];
                r1 += a[j + 1];
                r2 += a[j + 2];
                r3 += a[j + 3];
                r4 += a[j + 4];
                r5 += a[j + 5];
                r6 += a[j + 6];
                r7 += a[j + 7];
            }
            double res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
            for (; i < n; i++) {
                res += a[from + i];
            }
            return res;
        } else {
            int n2 = n / 2;
            n2 -= n2 % 8;
            return pairwiseSum(a, from, n2) + pairwiseSum(a, from + n2, n - n2);
        }
    }

    /** {@code np.linspace(start, stop, num)}: {@code i * step + start}, the last one exactly {@code stop}. */
    static double[] linspace(double start, double stop, int num) {
        double step = (stop - start) / (num - 1);
        double[] y = new double[num];
        for (int i = 0; i < num; i++) {
            y[i] = i * step + start;
        }
        y[num - 1] = stop;
        return y;
    }

    /** pycocotools' {@code precision[:, :, k, :, :]} and {@code recall[:, k, :, :]} for one category. */
    private record CategoryCurves(double[] precision, double[] recall, int[] nonIgnoredGt) {
    }

    /** Indices sorted stably by cell (entries with cell -1 left out), and where each cell starts. */
    private record Grouping(int[] order, int[] start) {

        static Grouping byCell(int[] cellOf, int cells) {
            int[] start = new int[cells + 1];
            for (int c : cellOf) {
                if (c >= 0) {
                    start[c + 1]++;
                }
            }
            for (int c = 0; c < cells; c++) {
                start[c + 1] += start[c];
            }
            int[] next = Arrays.copyOf(start, cells);
            int[] order = new int[start[cells]];
            for (int j = 0; j < cellOf.length; j++) {
                if (cellOf[j] >= 0) {
                    order[next[cellOf[j]]++] = j;
                }
            }
            return new Grouping(order, start);
        }
    }

    /**
     * The inputs regrouped by (category, image) into primitive arrays: cell {@code k * imageCount + i} holds
     * category k's boxes on image i, ground truth in pycocotools' order and detections in input order.
     */
    private static final class Input {
        final int[] cats;
        final long[] images;
        final int imageCount;

        final int[] gtStart;
        final double[] gx;
        final double[] gy;
        final double[] gw;
        final double[] gh;
        final double[] gArea;
        final boolean[] gCrowd;
        /** pycocotools records a match as the ground truth's id and tests it against 0: id 0 reads unmatched. */
        final boolean[] gIdNonZero;

        final int[] dtStart;
        final double[] dx;
        final double[] dy;
        final double[] dw;
        final double[] dh;
        final double[] dScore;

        Input(List<Category> categories, long[] imageIds, List<GroundTruthBox> gts, List<Detection> dts) {
            cats = categories.stream().mapToInt(Category::id).sorted().distinct().toArray();
            images = Arrays.stream(imageIds).sorted().distinct().toArray();
            imageCount = images.length;
            int cells = cats.length * imageCount;

            int[] gtSource = groundTruthListing(gts);
            int[] gtCell = new int[gtSource.length];
            for (int e = 0; e < gtSource.length; e++) {
                GroundTruthBox g = gts.get(gtSource[e]);
                gtCell[e] = cell(g.categoryId(), g.imageId());
            }
            Grouping gtGroups = Grouping.byCell(gtCell, cells);
            gtStart = gtGroups.start();
            int ng = gtGroups.order().length;
            gx = new double[ng];
            gy = new double[ng];
            gw = new double[ng];
            gh = new double[ng];
            gArea = new double[ng];
            gCrowd = new boolean[ng];
            gIdNonZero = new boolean[ng];
            for (int j = 0; j < ng; j++) {
                GroundTruthBox g = gts.get(gtSource[gtGroups.order()[j]]);
                requireFinite(g.x() + g.y() + g.width() + g.height() + g.area(), "ground-truth box", g);
                gx[j] = g.x();
                gy[j] = g.y();
                gw[j] = g.width();
                gh[j] = g.height();
                gArea[j] = g.area();
                gCrowd[j] = g.crowd();
                gIdNonZero[j] = g.id() != 0;
            }

            int[] dtCell = new int[dts.size()];
            for (int j = 0; j < dtCell.length; j++) {
                Detection d = dts.get(j);
                dtCell[j] = cell(d.categoryId(), d.imageId());
            }
            Grouping dtGroups = Grouping.byCell(dtCell, cells);
            dtStart = dtGroups.start();
            int nd = dtGroups.order().length;
            dx = new double[nd];
            dy = new double[nd];
            dw = new double[nd];
            dh = new double[nd];
            dScore = new double[nd];
            for (int j = 0; j < nd; j++) {
                Detection d = dts.get(dtGroups.order()[j]);
                requireFinite(d.x() + d.y() + d.width() + d.height() + d.score(), "detection", d);
                dx[j] = d.x();
                dy[j] = d.y();
                dw[j] = d.width();
                dh[j] = d.height();
                // + 0.0 turns -0.0 into 0.0, which numpy's sort treats as equal.
                dScore[j] = d.score() + 0.0;
            }
        }

        private static void requireFinite(double sum, String what, Record box) {
            if (!Double.isFinite(sum)) {
                throw new InvalidInputException(
                        "COCO evaluation needs finite numbers; this " + what + " has a NaN or infinity: " + box);
            }
        }

        /** The cell of (category id, image id), or -1 when either is not evaluated. */
        private int cell(int categoryId, long imageId) {
            int k = Arrays.binarySearch(cats, categoryId);
            int i = Arrays.binarySearch(images, imageId);
            return k < 0 || i < 0 ? -1 : k * imageCount + i;
        }

        /**
         * The annotations (indices into {@code gts}) in the order pycocotools' {@code _prepare} files them.
         * It lists the ids of the annotations on evaluated images and categories, image by image, then loads
         * each id; when ids repeat, each listing loads the last annotation with that id. With unique ids this
         * is just the evaluated annotations in file order, which the grouping by cell keeps.
         */
        private int[] groundTruthListing(List<GroundTruthBox> gts) {
            int n = gts.size();
            int[] imageOf = new int[n];
            int listed = 0;
            for (int j = 0; j < n; j++) {
                GroundTruthBox g = gts.get(j);
                imageOf[j] = cell(g.categoryId(), g.imageId()) < 0 ? -1 : Arrays.binarySearch(images, g.imageId());
                listed += imageOf[j] < 0 ? 0 : 1;
            }
            Map<Long, Integer> lastWithId = lastIndexOfRepeatedIds(gts);
            int[] byImage = Grouping.byCell(imageOf, imageCount).order();
            if (lastWithId.isEmpty()) {
                return byImage;
            }
            int[] source = new int[listed];
            for (int e = 0; e < listed; e++) {
                source[e] = lastWithId.getOrDefault(gts.get(byImage[e]).id(), byImage[e]);
            }
            return source;
        }

        /** For each id that occurs more than once, the index of the last annotation with it; usually empty. */
        private static Map<Long, Integer> lastIndexOfRepeatedIds(List<GroundTruthBox> gts) {
            long[] ids = gts.stream().mapToLong(GroundTruthBox::id).sorted().toArray();
            Map<Long, Integer> last = new HashMap<>();
            for (int j = 1; j < ids.length; j++) {
                if (ids[j] == ids[j - 1]) {
                    last.put(ids[j], -1);
                }
            }
            for (int j = 0; j < gts.size() && !last.isEmpty(); j++) {
                long id = gts.get(j).id();
                if (last.containsKey(id)) {
                    last.put(id, j);
                }
            }
            return last;
        }

        /** pycocotools' {@code evaluateImg} for each image of category k, then its {@code accumulate}. */
        CategoryCurves evaluateCategory(int k) {
            int base = k * imageCount;
            int kept = 0;
            int maxDt = 0;
            int maxGt = 0;
            for (int c = base; c < base + imageCount; c++) {
                int nd = dtStart[c + 1] - dtStart[c];
                kept += Math.min(nd, MAX_DET);
                maxDt = Math.max(maxDt, nd);
                maxGt = Math.max(maxGt, gtStart[c + 1] - gtStart[c]);
            }
            // The kept detections (at most 100 per image, best first), images in id order.
            double[] score = new double[kept];
            byte[] rank = new byte[kept];
            // Bit t: a true (false) positive at IoU threshold t; neither: ignored. One row per area range.
            short[] tp = new short[A * kept];
            short[] fp = new short[A * kept];
            int[] nonIgnoredGt = new int[A];

            int[] order = new int[maxDt];
            int[] scratch = new int[maxDt];
            double[] iou = new double[Math.min(maxDt, MAX_DET) * maxGt];
            boolean[] gtIgnored = new boolean[maxGt];
            int[] gtOrder = new int[maxGt];
            boolean[] gtMatched = new boolean[maxGt];
            int pos = 0;
            for (int c = base; c < base + imageCount; c++) {
                int g0 = gtStart[c];
                int ng = gtStart[c + 1] - g0;
                int d0 = dtStart[c];
                int nd = dtStart[c + 1] - d0;
                if (ng == 0 && nd == 0) {
                    continue;
                }
                for (int j = 0; j < nd; j++) {
                    order[j] = d0 + j;
                }
                sortByScoreDescending(order, 0, nd, dScore, scratch);
                int dets = Math.min(nd, MAX_DET);
                computeIou(order, dets, g0, ng, iou);
                for (int a = 0; a < A; a++) {
                    double lo = AREA_RANGES[a][0];
                    double hi = AREA_RANGES[a][1];
                    // Ground truth as pycocotools orders it: a stable sort that puts ignored boxes last.
                    int regular = 0;
                    for (int g = 0; g < ng; g++) {
                        double area = gArea[g0 + g];
                        gtIgnored[g] = gCrowd[g0 + g] || area < lo || area > hi;
                        if (!gtIgnored[g]) {
                            gtOrder[regular++] = g;
                        }
                    }
                    for (int g = 0, n = regular; g < ng; g++) {
                        if (gtIgnored[g]) {
                            gtOrder[n++] = g;
                        }
                    }
                    nonIgnoredGt[a] += regular;
                    for (int t = 0; t < T; t++) {
                        match(t, a, lo, hi, order, dets, g0, ng, iou, gtOrder, regular, gtMatched, tp, fp,
                                a * kept + pos);
                    }
                }
                for (int j = 0; j < dets; j++) {
                    score[pos + j] = dScore[order[j]];
                    rank[pos + j] = (byte) j;
                }
                pos += dets;
            }
            return accumulate(score, rank, tp, fp, nonIgnoredGt);
        }

        /** maskApi.c's {@code bbIou}: {@code iou[d * ng + g]}, over the detection's area for crowd boxes. */
        private void computeIou(int[] order, int dets, int g0, int ng, double[] iou) {
            for (int d = 0; d < dets; d++) {
                int q = order[d];
                double da = dw[q] * dh[q];
                for (int g = 0; g < ng; g++) {
                    int j = g0 + g;
                    double o = 0;
                    double w = Math.min(dw[q] + dx[q], gw[j] + gx[j]) - Math.max(dx[q], gx[j]);
                    if (w > 0) {
                        double h = Math.min(dh[q] + dy[q], gh[j] + gy[j]) - Math.max(dy[q], gy[j]);
                        if (h > 0) {
                            double inter = w * h;
                            double union = gCrowd[j] ? da : da + gw[j] * gh[j] - inter;
                            o = inter / union;
                        }
                    }
                    iou[d * ng + g] = o;
                }
            }
        }

        /**
         * pycocotools' greedy matching at IoU threshold t for one image and area range, written as bits:
         * {@code tp}/{@code fp} bit t of each detection at {@code row + d}. {@code gtOrder} lists the
         * ground truth with the {@code regular} non-ignored boxes first.
         */
        private void match(int t, int a, double lo, double hi, int[] order, int dets, int g0, int ng,
                double[] iou, int[] gtOrder, int regular, boolean[] gtMatched, short[] tp, short[] fp, int row) {
            short bit = (short) (1 << t);
            double threshold = Math.min(IOU_THRESHOLDS[t], 1 - 1e-10);
            Arrays.fill(gtMatched, 0, ng, false);
            for (int d = 0; d < dets; d++) {
                double best = threshold;
                int m = -1;
                for (int gi = 0; gi < ng; gi++) {
                    int g = gtOrder[gi];
                    if (gtMatched[gi] && !gCrowd[g0 + g]) {
                        continue;
                    }
                    // Matched a regular box and only ignored ones are left: stop.
                    if (m > -1 && m < regular && gi >= regular) {
                        break;
                    }
                    double v = iou[d * ng + g];
                    if (v < best) {
                        continue;
                    }
                    best = v;
                    m = gi;
                }
                int q = order[d];
                double area = dw[q] * dh[q];
                boolean outside = area < lo || area > hi;
                boolean positive;
                boolean ignored;
                if (m == -1) {
                    positive = false;
                    ignored = outside;
                } else {
                    gtMatched[m] = true;
                    positive = gIdNonZero[g0 + gtOrder[m]];
                    // dtIgnore = gtIgnore of the match, or (dtMatches == 0 and outside the area range).
                    ignored = m >= regular || (!positive && outside);
                }
                if (!ignored) {
                    if (positive) {
                        tp[row + d] |= bit;
                    } else {
                        fp[row + d] |= bit;
                    }
                }
            }
        }
    }

    /**
     * pycocotools' {@code accumulate} for one category. Ignored detections are skipped rather than carried
     * as repeats of the previous recall and precision: repeats never change the interpolated precision,
     * the searchsorted lookups, nor the last recall.
     */
    private static CategoryCurves accumulate(double[] score, byte[] rank, short[] tp, short[] fp,
            int[] nonIgnoredGt) {
        int kept = score.length;
        int[] sorted = new int[kept];
        Arrays.setAll(sorted, j -> j);
        // All images' detections concatenated in image order, then one stable sort by score.
        sortByScoreDescending(sorted, 0, kept, score, new int[kept]);
        double[] precision = new double[A * M * T * R];
        double[] recall = new double[A * M * T];
        Arrays.fill(precision, -1);
        Arrays.fill(recall, -1);
        int[] selected = new int[kept];
        double[] rc = new double[kept];
        double[] pr = new double[kept];
        for (int mi = 0; mi < M; mi++) {
            // The top maxDet of each image; a subsequence of the stable sort is the stable sort of it.
            int n = 0;
            for (int j : sorted) {
                if (rank[j] < MAX_DETS[mi]) {
                    selected[n++] = j;
                }
            }
            for (int a = 0; a < A; a++) {
                int npig = nonIgnoredGt[a];
                if (npig == 0) {
                    continue;
                }
                for (int t = 0; t < T; t++) {
                    int bit = 1 << t;
                    int count = 0;
                    int tps = 0;
                    int fps = 0;
                    for (int s = 0; s < n; s++) {
                        int slot = a * kept + selected[s];
                        if ((tp[slot] & bit) != 0) {
                            tps++;
                        } else if ((fp[slot] & bit) != 0) {
                            fps++;
                        } else {
                            continue;
                        }
                        rc[count] = (double) tps / npig;
                        pr[count] = tps / ((double) fps + tps + EPS);
                        count++;
                    }
                    int curve = (a * M + mi) * T + t;
                    recall[curve] = count > 0 ? rc[count - 1] : 0;
                    for (int j = count - 1; j > 0; j--) {
                        if (pr[j] > pr[j - 1]) {
                            pr[j - 1] = pr[j];
                        }
                    }
                    // np.searchsorted(rc, recThrs, side='left'); past the end, precision stays 0.
                    int p = 0;
                    for (int r = 0; r < R; r++) {
                        while (p < count && rc[p] < RECALL_THRESHOLDS[r]) {
                            p++;
                        }
                        precision[curve * R + r] = p < count ? pr[p] : 0;
                    }
                }
            }
        }
        return new CategoryCurves(precision, recall, nonIgnoredGt);
    }

    /**
     * Sorts {@code idx[from, to)} by {@code key[idx[j]]}, highest first, keeping the order of equal keys:
     * numpy's {@code argsort(-key, kind='mergesort')}. {@code scratch} must be at least {@code to} long.
     */
    static void sortByScoreDescending(int[] idx, int from, int to, double[] key, int[] scratch) {
        if (to - from <= 16) {
            for (int i = from + 1; i < to; i++) {
                int v = idx[i];
                double kv = key[v];
                int j = i - 1;
                while (j >= from && key[idx[j]] < kv) {
                    idx[j + 1] = idx[j];
                    j--;
                }
                idx[j + 1] = v;
            }
            return;
        }
        int mid = (from + to) >>> 1;
        sortByScoreDescending(idx, from, mid, key, scratch);
        sortByScoreDescending(idx, mid, to, key, scratch);
        if (key[idx[mid - 1]] >= key[idx[mid]]) {
            return;
        }
        System.arraycopy(idx, from, scratch, from, mid - from);
        int i = from;
        int j = mid;
        int out = from;
        while (i < mid && j < to) {
            idx[out++] = key[scratch[i]] >= key[idx[j]] ? scratch[i++] : idx[j++];
        }
        while (i < mid) {
            idx[out++] = scratch[i++];
        }
    }
}
