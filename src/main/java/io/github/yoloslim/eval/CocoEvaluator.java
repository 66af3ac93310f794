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
import java.util.function.IntConsumer;
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
 * <p>Categories are evaluated in parallel, largest first; the result does not depend on the number of
 * threads.
 */
public final class CocoEvaluator {

    /** pycocotools' {@code iouThrs}: {@code np.linspace(.5, .95, 10)}. */
    static final double[] IOU_THRESHOLDS = linspace(0.5, 0.95, 10);
    /** The thresholds as pycocotools compares with them: {@code min(t, 1 - 1e-10)}. */
    private static final double[] THRESHOLDS = Arrays.stream(IOU_THRESHOLDS).map(t -> Math.min(t, 1 - 1e-10)).toArray();
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
    /** A detection's {@code tp} or {@code fp} bits at every threshold. */
    private static final short ALL_BITS = (short) ((1 << T) - 1);
    private static final int PAGE_MASK = DetectionTable.PAGE_SIZE - 1;

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
        return evaluate(groundTruth, DetectionTable.of(detections));
    }

    /** As {@link #evaluate(CocoAnnotations, List)}, for detections read into columns. */
    CocoEvalResult evaluate(CocoAnnotations groundTruth, DetectionTable detections) {
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
        return evaluate(categories, imageIds, groundTruth, DetectionTable.of(detections));
    }

    /** As {@link #evaluate(List, long[], List, List)}, for detections read into columns. */
    CocoEvalResult evaluate(List<Category> categories, long[] imageIds, List<GroundTruthBox> groundTruth,
            DetectionTable detections) {
        ExecutorService pool = threads > 1 ? Executors.newFixedThreadPool(threads, CocoEvaluator::daemon) : null;
        try {
            Input in = new Input(categories, imageIds, groundTruth, detections);
            int cats = in.cats.length;
            CategoryCurves[] curves = new CategoryCurves[cats];
            // Largest categories first, so that the last tasks to start are short ones.
            long[] work = new long[cats];
            Arrays.setAll(work, in::work);
            int[] order = IntStream.range(0, cats).boxed().sorted((a, b) -> Long.compare(work[b], work[a]))
                    .mapToInt(Integer::intValue).toArray();
            forEach(pool, order, k -> curves[k] = in.evaluateCategory(k));
            return summarize(in.cats, curves);
        } finally {
            if (pool != null) {
                pool.shutdownNow();
            }
        }
    }

    private static Thread daemon(Runnable r) {
        Thread t = new Thread(r, "coco-eval");
        t.setDaemon(true);
        return t;
    }

    /** Runs {@code body} on each of {@code items}, on the pool when there is one, and waits for all. */
    private static void forEach(ExecutorService pool, int[] items, IntConsumer body) {
        if (pool == null || items.length < 2) {
            for (int item : items) {
                body.accept(item);
            }
            return;
        }
        List<Future<?>> futures = new ArrayList<>(items.length);
        for (int item : items) {
            futures.add(pool.submit(() -> body.accept(item)));
        }
        try {
            for (Future<?> f : futures) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("COCO evaluation was interrupted", e);
        } catch (ExecutionException e) {
            futures.forEach(f -> f.cancel(true));
            throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
        }
    }

    private static int[] range(int n) {
        int[] r = new int[n];
        for (int j = 0; j < n; j++) {
            r[j] = j;
        }
        return r;
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
        return new CocoEvalResult(stats, perCategory, List.of(curve(curves, t50[0]), curve(curves, t75[0])));
    }

    /**
     * The mean over categories of {@code precision[t, r, k, all areas, 100 detections]} at each recall threshold,
     * skipping -1 as {@link #precisionMean} does.
     */
    private static PrecisionRecallCurve curve(CategoryCurves[] curves, int t) {
        double[] precision = new double[R];
        double[] values = new double[curves.length];
        for (int r = 0; r < R; r++) {
            int n = 0;
            for (CategoryCurves c : curves) {
                double v = c.precision[((ALL * M + UP_TO_100) * T + t) * R + r];
                if (v > -1) {
                    values[n++] = v;
                }
            }
            precision[r] = n == 0 ? -1 : numpyMean(values, n);
        }
        return new PrecisionRecallCurve(IOU_THRESHOLDS[t], RECALL_THRESHOLDS, precision);
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

    /**
     * The inputs regrouped by category: ground truth in primitive arrays sorted by (category, image) in
     * pycocotools' order, detections left in their pages and listed per category in input order (a handle is
     * {@code page << PAGE_BITS | position}). Nothing is sized by categories times images.
     */
    private static final class Input {
        final int[] cats;
        final long[] images;
        final int imageCount;

        /** Category k's boxes are {@code [gtStart[k], gtStart[k + 1])}, by image, then in pycocotools' order. */
        final int[] gtStart;
        final int[] gImage;
        final double[] gx;
        final double[] gy;
        final double[] gw;
        final double[] gh;
        final double[] gArea;
        final boolean[] gCrowd;
        /** pycocotools records a match as the ground truth's id and tests it against 0: id 0 reads unmatched. */
        final boolean[] gIdNonZero;

        /** Every chunk's pages, in input order; a handle is {@code page << PAGE_BITS | position}. */
        final double[][] values;
        final int[][] pageImages;
        /** For each page, its chunk's map from image dictionary index to evaluated image index (or -1). */
        final int[][] imageMaps;
        /**
         * Category k's detections: {@code [first handle, count]} pairs, one per chunk that has any. A chunk
         * keeps each category's detections together, in input order.
         */
        final int[][] dtRanges;

        Input(List<Category> categories, long[] imageIds, List<GroundTruthBox> gts, DetectionTable dts) {
            cats = categories.stream().mapToInt(Category::id).sorted().distinct().toArray();
            images = Arrays.stream(imageIds).sorted().distinct().toArray();
            imageCount = images.length;

            int[] gtSource = groundTruthListing(gts);
            int[] gtCategory = new int[gtSource.length];
            int[] gtImage = new int[gtSource.length];
            for (int e = 0; e < gtSource.length; e++) {
                GroundTruthBox g = gts.get(gtSource[e]);
                gtCategory[e] = Arrays.binarySearch(cats, g.categoryId());
                gtImage[e] = gtCategory[e] < 0 ? -1 : Arrays.binarySearch(images, g.imageId());
                if (gtImage[e] < 0) {
                    gtCategory[e] = -1;
                }
            }
            // Stable by image, then stable by category: sorted by (category, image), listing order within.
            int[] byImage = stableOrder(gtImage, imageCount, range(gtSource.length));
            int[] sorted = stableOrder(gtCategory, cats.length, byImage);
            gtStart = starts(gtCategory, cats.length);
            int ng = sorted.length;
            gImage = new int[ng];
            gx = new double[ng];
            gy = new double[ng];
            gw = new double[ng];
            gh = new double[ng];
            gArea = new double[ng];
            gCrowd = new boolean[ng];
            gIdNonZero = new boolean[ng];
            for (int j = 0; j < ng; j++) {
                GroundTruthBox g = gts.get(gtSource[sorted[j]]);
                requireFinite(g.x() + g.y() + g.width() + g.height() + g.area(), "ground-truth box", g);
                gImage[j] = gtImage[sorted[j]];
                gx[j] = g.x();
                gy[j] = g.y();
                gw[j] = g.width();
                gh[j] = g.height();
                gArea[j] = g.area();
                gCrowd[j] = g.crowd();
                gIdNonZero[j] = g.id() != 0;
            }

            List<DetectionTable.Chunk> chunks = dts.chunks;
            int pages = chunks.stream().mapToInt(c -> c.values().size()).sum();
            values = new double[pages][];
            pageImages = new int[pages][];
            imageMaps = new int[pages][];
            long[] catIds = Arrays.stream(cats).asLongStream().toArray();
            List<List<Integer>> ranges = new ArrayList<>();
            for (int k = 0; k < cats.length; k++) {
                ranges.add(new ArrayList<>());
            }
            int p = 0;
            for (DetectionTable.Chunk chunk : chunks) {
                for (Detection d : chunk.nonFinite) {
                    if (Arrays.binarySearch(cats, d.categoryId()) >= 0
                            && Arrays.binarySearch(images, d.imageId()) >= 0) {
                        throw notFinite("detection", d);
                    }
                }
                int[] imageMap = chunk.imageIds.indicesIn(images);
                int[] categoryMap = chunk.categoryIds.indicesIn(catIds);
                int firstHandle = p << DetectionTable.PAGE_BITS;
                for (int c = 0; c < categoryMap.length; c++) {
                    int count = chunk.categoryStart(c + 1) - chunk.categoryStart(c);
                    if (categoryMap[c] >= 0 && count > 0) {
                        ranges.get(categoryMap[c]).add(firstHandle + chunk.categoryStart(c));
                        ranges.get(categoryMap[c]).add(count);
                    }
                }
                for (int q = 0; q < chunk.values().size(); q++, p++) {
                    values[p] = chunk.values().get(q);
                    pageImages[p] = chunk.images().get(q);
                    imageMaps[p] = imageMap;
                }
            }
            dtRanges = ranges.stream().map(r -> r.stream().mapToInt(Integer::intValue).toArray()).toArray(int[][]::new);
        }

        private static void requireFinite(double sum, String what, Record box) {
            if (!Double.isFinite(sum)) {
                throw notFinite(what, box);
            }
        }

        private static InvalidInputException notFinite(String what, Record box) {
            return new InvalidInputException(
                    "COCO evaluation needs finite numbers; this " + what + " has a NaN or infinity: " + box);
        }

        /** A measure of category k's work, to start the largest first. */
        long work(int k) {
            long n = 0;
            for (int r = 1; r < dtRanges[k].length; r += 2) {
                n += dtRanges[k][r];
            }
            return n + 4L * (gtStart[k + 1] - gtStart[k]);
        }

        /**
         * The annotations (indices into {@code gts}) in the order pycocotools' {@code _prepare} files them.
         * It lists the ids of the annotations on evaluated images and categories, image by image, then loads
         * each id; when ids repeat, each listing loads the last annotation with that id. With unique ids this
         * is just the evaluated annotations in file order, image by image.
         */
        private int[] groundTruthListing(List<GroundTruthBox> gts) {
            int n = gts.size();
            int[] imageOf = new int[n];
            for (int j = 0; j < n; j++) {
                GroundTruthBox g = gts.get(j);
                imageOf[j] = Arrays.binarySearch(cats, g.categoryId()) < 0 ? -1
                        : Arrays.binarySearch(images, g.imageId());
            }
            int[] byImage = stableOrder(imageOf, imageCount, range(n));
            Map<Long, Integer> lastWithId = lastIndexOfRepeatedIds(gts);
            if (!lastWithId.isEmpty()) {
                for (int e = 0; e < byImage.length; e++) {
                    byImage[e] = lastWithId.getOrDefault(gts.get(byImage[e]).id(), byImage[e]);
                }
            }
            return byImage;
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
            // Group the detections on evaluated images by image (a stable counting sort): image i's are
            // grouped[start[i], start[i + 1]).
            int[] ranges = dtRanges[k];
            int n = 0;
            for (int r = 1; r < ranges.length; r += 2) {
                n += ranges[r];
            }
            int[] handles = new int[n];
            int[] imageOf = new int[n];
            int[] start = new int[imageCount + 1];
            n = 0;
            for (int r = 0; r < ranges.length; r += 2) {
                for (int h = ranges[r], end = h + ranges[r + 1]; h < end; h++) {
                    int p = h >>> DetectionTable.PAGE_BITS;
                    int i = imageMaps[p][pageImages[p][h & PAGE_MASK]];
                    if (i >= 0) {
                        handles[n] = h;
                        imageOf[n++] = i;
                        start[i + 1]++;
                    }
                }
            }
            int kept = 0;
            int maxDt = 0;
            for (int i = 0; i < imageCount; i++) {
                kept += Math.min(start[i + 1], MAX_DET);
                maxDt = Math.max(maxDt, start[i + 1]);
                start[i + 1] += start[i];
            }
            int[] grouped = new int[n];
            int[] next = Arrays.copyOf(start, imageCount);
            for (int s = 0; s < n; s++) {
                grouped[next[imageOf[s]]++] = handles[s];
            }
            int gFrom = gtStart[k];
            int gTo = gtStart[k + 1];
            int maxGt = 0;
            for (int g = gFrom, run = 0; g < gTo; g++) {
                run = g > gFrom && gImage[g] == gImage[g - 1] ? run + 1 : 1;
                maxGt = Math.max(maxGt, run);
            }
            Cell cell = new Cell(maxDt, maxGt);
            // The kept detections (at most 100 per image, best first), images in id order.
            double[] score = new double[kept];
            byte[] rank = new byte[kept];
            // Bit t: a true (false) positive at IoU threshold t; neither: ignored. One row per area range.
            short[] tp = new short[A * kept];
            short[] fp = new short[A * kept];
            int[] nonIgnoredGt = new int[A];
            int pos = 0;
            for (int i = 0, g = gFrom; i < imageCount; i++) {
                int d0 = start[i];
                int nd = start[i + 1] - d0;
                int g0 = g;
                while (g < gTo && gImage[g] == i) {
                    g++;
                }
                if (nd > 0 || g > g0) {
                    pos += cell.evaluate(grouped, d0, nd, g0, g - g0, score, rank, tp, fp, pos, nonIgnoredGt);
                }
            }
            return accumulate(score, rank, tp, fp, nonIgnoredGt);
        }

        /** One image's evaluation for one category, with room for the largest image of the category. */
        private final class Cell {
            private final int[] order;
            private final double[] key;
            private final int[] scratch;
            private final double[] bx = new double[MAX_DET];
            private final double[] by = new double[MAX_DET];
            private final double[] bw = new double[MAX_DET];
            private final double[] bh = new double[MAX_DET];
            private final double[] bArea = new double[MAX_DET];
            private final boolean[] inside = new boolean[MAX_DET];
            /** Detection d's boxes with IoU of at least .5 (the lowest threshold): [candStart[d], candStart[d + 1]). */
            private final int[] candStart = new int[MAX_DET + 1];
            /** The detections that have such boxes, in score order; only they can match. */
            private final int[] matchable = new int[MAX_DET];
            private int matchables;
            private final int[] candGt;
            private final double[] candIou;
            /** Detection d's highest IoU among them: no threshold above it can match. */
            private final double[] candMax = new double[MAX_DET];
            private final boolean[] ignored;
            /** Bit t: the box is matched at threshold t. */
            private final short[] taken;

            Cell(int maxDt, int maxGt) {
                order = new int[maxDt];
                key = new double[maxDt];
                scratch = new int[maxDt];
                candGt = new int[Math.min(maxDt, MAX_DET) * maxGt];
                candIou = new double[candGt.length];
                ignored = new boolean[maxGt];
                taken = new short[maxGt];
            }

            /**
             * pycocotools' {@code evaluateImg} on one image: the detections {@code grouped[d0, d0 + nd)} and the
             * boxes {@code [g0, g0 + ng)}. Writes the kept detections from {@code pos} (with {@code kept} the
             * length of a row of {@code tp} and {@code fp}) and returns how many were kept.
             */
            int evaluate(int[] grouped, int d0, int nd, int g0, int ng, double[] score, byte[] rank, short[] tp,
                    short[] fp, int pos, int[] nonIgnoredGt) {
                int kept = score.length;
                for (int j = 0; j < nd; j++) {
                    int h = grouped[d0 + j];
                    order[j] = j;
                    // + 0.0 turns -0.0 into 0.0, which numpy's sort treats as equal.
                    key[j] = values[h >>> DetectionTable.PAGE_BITS][(h & PAGE_MASK) * DetectionTable.VALUES + 4] + 0.0;
                }
                sortByScoreDescending(order, 0, nd, key, scratch);
                int dets = Math.min(nd, MAX_DET);
                for (int d = 0; d < dets; d++) {
                    int h = grouped[d0 + order[d]];
                    double[] v = values[h >>> DetectionTable.PAGE_BITS];
                    int o = (h & PAGE_MASK) * DetectionTable.VALUES;
                    bx[d] = v[o];
                    by[d] = v[o + 1];
                    bw[d] = v[o + 2];
                    bh[d] = v[o + 3];
                    bArea[d] = bw[d] * bh[d];
                    score[pos + d] = key[order[d]];
                    rank[pos + d] = (byte) d;
                }
                candidates(dets, g0, ng);
                for (int a = 0; a < A; a++) {
                    double lo = AREA_RANGES[a][0];
                    double hi = AREA_RANGES[a][1];
                    int regular = 0;
                    for (int j = 0; j < ng; j++) {
                        double area = gArea[g0 + j];
                        ignored[j] = gCrowd[g0 + j] || area < lo || area > hi;
                        regular += ignored[j] ? 0 : 1;
                    }
                    nonIgnoredGt[a] += regular;
                    int row = a * kept + pos;
                    // Unmatched, a detection is a false positive inside the area range and ignored outside it.
                    for (int d = 0; d < dets; d++) {
                        inside[d] = !(bArea[d] < lo || bArea[d] > hi);
                        fp[row + d] = inside[d] ? ALL_BITS : 0;
                    }
                    if (matchables > 0) {
                        match(g0, ng, tp, fp, row);
                    }
                }
                return dets;
            }

            /** maskApi.c's {@code bbIou}, over the detection's area for crowd boxes; keeps IoUs of .5 and up. */
            private void candidates(int dets, int g0, int ng) {
                int n = 0;
                matchables = 0;
                for (int d = 0; d < dets; d++) {
                    candStart[d] = n;
                    for (int j = 0; j < ng; j++) {
                        int g = g0 + j;
                        double w = Math.min(bw[d] + bx[d], gw[g] + gx[g]) - Math.max(bx[d], gx[g]);
                        if (w <= 0) {
                            continue;
                        }
                        double h = Math.min(bh[d] + by[d], gh[g] + gy[g]) - Math.max(by[d], gy[g]);
                        if (h <= 0) {
                            continue;
                        }
                        double inter = w * h;
                        double iou = inter / (gCrowd[g] ? bArea[d] : bArea[d] + gw[g] * gh[g] - inter);
                        if (iou >= THRESHOLDS[0]) {
                            candGt[n] = j;
                            candIou[n] = iou;
                            n++;
                        }
                    }
                    if (n > candStart[d]) {
                        matchable[matchables++] = d;
                        double max = 0;
                        for (int c = candStart[d]; c < n; c++) {
                            max = Math.max(max, candIou[c]);
                        }
                        candMax[d] = max;
                    }
                }
                candStart[dets] = n;
            }

            /**
             * pycocotools' greedy matching at every IoU threshold for one area range, detections in score
             * order. Its loop walks the boxes regular first, then ignored, each in file order, keeps the last
             * one with the highest IoU (at least the threshold) that is free at that threshold (or crowd), and
             * stops at the ignored ones once it holds a regular one: so a detection takes its best free
             * regular box, or failing that its best ignored one, ties going to the later box. Only boxes with
             * IoU .5 and up can qualify; detections without any match nothing and keep the defaults.
             */
            private void match(int g0, int ng, short[] tp, short[] fp, int row) {
                Arrays.fill(taken, 0, ng, (short) 0);
                for (int q = 0; q < matchables; q++) {
                    int d = matchable[q];
                    int from = candStart[d];
                    int to = candStart[d + 1];
                    for (int t = 0; t < T && THRESHOLDS[t] <= candMax[d]; t++) {
                        short bit = (short) (1 << t);
                        double bestRegular = THRESHOLDS[t];
                        double bestIgnored = THRESHOLDS[t];
                        int regular = -1;
                        int other = -1;
                        for (int c = from; c < to; c++) {
                            int j = candGt[c];
                            double v = candIou[c];
                            if ((taken[j] & bit) != 0 && !gCrowd[g0 + j]) {
                                continue;
                            }
                            if (ignored[j]) {
                                if (v >= bestIgnored) {
                                    bestIgnored = v;
                                    other = j;
                                }
                            } else if (v >= bestRegular) {
                                bestRegular = v;
                                regular = j;
                            }
                        }
                        int m = regular >= 0 ? regular : other;
                        if (m < 0) {
                            continue;
                        }
                        taken[m] |= bit;
                        // dtIgnore = gtIgnore of the match, or (no match id and outside the area range).
                        boolean positive = gIdNonZero[g0 + m];
                        if (ignored[m] || (!positive && !inside[d])) {
                            fp[row + d] &= (short) ~bit;
                        } else if (positive) {
                            fp[row + d] &= (short) ~bit;
                            tp[row + d] |= bit;
                        }
                    }
                }
            }
        }
    }

    /** Where each key's run begins when {@code key} (entries -1 left out) is sorted: {@code keys + 1} entries. */
    private static int[] starts(int[] key, int keys) {
        int[] start = new int[keys + 1];
        for (int k : key) {
            if (k >= 0) {
                start[k + 1]++;
            }
        }
        for (int k = 0; k < keys; k++) {
            start[k + 1] += start[k];
        }
        return start;
    }

    /** The items of {@code order} stably sorted by {@code key[item]} in {@code [0, keys)}; key -1 left out. */
    private static int[] stableOrder(int[] key, int keys, int[] order) {
        int[] next = starts(key, keys);
        int[] out = new int[next[keys]];
        for (int j : order) {
            if (key[j] >= 0) {
                out[next[key[j]]++] = j;
            }
        }
        return out;
    }

    /**
     * pycocotools' {@code accumulate} for one category, in one pass over the detections per area range and
     * detection limit. Ignored detections are skipped rather than carried as repeats of the previous recall
     * and precision: repeats never change the interpolated precision, the searchsorted lookups, nor the
     * last recall. Only the precision at each true positive is kept: precision falls at a false positive,
     * so the interpolated precision (the highest at or after a rank) is always one at a true positive, and
     * recall first reaches a threshold at one.
     */
    private static CategoryCurves accumulate(double[] score, byte[] rank, short[] tp, short[] fp,
            int[] nonIgnoredGt) {
        int kept = score.length;
        int[] sorted = range(kept);
        // All images' detections concatenated in image order, then one stable sort by score.
        sortByScoreDescending(sorted, 0, kept, score, new int[kept]);
        double[] precision = new double[A * M * T * R];
        double[] recall = new double[A * M * T];
        Arrays.fill(precision, -1);
        Arrays.fill(recall, -1);
        int[] selected = new int[kept];
        // A true positive takes a regular box of its image, each at most once: at most npig of them.
        double[][] atTp = new double[T][Arrays.stream(nonIgnoredGt).max().orElse(0)];
        int[] tps = new int[T];
        int[] fps = new int[T];
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
                Arrays.fill(tps, 0);
                Arrays.fill(fps, 0);
                // False positives at every threshold, the usual case, are counted once for all.
                int allFp = 0;
                int row = a * kept;
                for (int s = 0; s < n; s++) {
                    int tb = tp[row + selected[s]];
                    int fb = fp[row + selected[s]];
                    if (tb == 0) {
                        if (fb == ALL_BITS) {
                            allFp++;
                        } else {
                            for (int t = 0; fb != 0; t++, fb >>>= 1) {
                                fps[t] += fb & 1;
                            }
                        }
                        continue;
                    }
                    for (int t = 0; t < T; t++) {
                        if ((tb >>> t & 1) != 0) {
                            int k = ++tps[t];
                            atTp[t][k - 1] = k / ((double) (fps[t] + allFp) + k + EPS);
                        } else {
                            fps[t] += fb >>> t & 1;
                        }
                    }
                }
                for (int t = 0; t < T; t++) {
                    int curve = (a * M + mi) * T + t;
                    int events = tps[t];
                    recall[curve] = (double) events / npig;
                    double[] pr = atTp[t];
                    for (int j = events - 1; j > 0; j--) {
                        if (pr[j] > pr[j - 1]) {
                            pr[j - 1] = pr[j];
                        }
                    }
                    // np.searchsorted(rc, recThrs, side='left'); past the end, precision stays 0.
                    int p = 0;
                    for (int r = 0; r < R; r++) {
                        while (p < events && (double) (p + 1) / npig < RECALL_THRESHOLDS[r]) {
                            p++;
                        }
                        precision[curve * R + r] = p < events ? pr[p] : 0;
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
