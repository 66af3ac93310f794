package io.github.yoloslim.calibrate;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Streaming statistics of one activation tensor's magnitudes over all calibration images: a fine histogram
 * of {@code |x|}, the maximum {@code |x|}, and counts of finite, NaN and infinite values, all over the values
 * read, which are every value offered or a regular sample of runs of them ({@link #add(FloatBuffer, int, int)}).
 * Memory is fixed (about 100 KiB) however many values are added; no activation is kept.
 *
 * <h2>Binning scheme</h2>
 * The histogram has {@value #FINE_BINS} equal bins over {@code [0, R)}, where {@code R} is a power of two;
 * bin {@code k} holds {@code k·R/N <= |x| < (k+1)·R/N}. {@code R} is the smallest power of two above the
 * largest {@code |x|} seen so far: it is set by the first non-zero value and doubled, as often as needed, when
 * a larger value arrives, by merging bin pairs ({@code 2k}, {@code 2k+1}) into bin {@code k}. Because bin
 * edges are powers of two apart, merging is lossless and the bin index {@code (int) (|x| · N/R)} is exact
 * (scaling a float by a power of two does not round). Two consequences:
 * <ul>
 *   <li>The final histogram depends only on the multiset of values binned, not on their order or on how they
 *       were split into chunks: it is the exact histogram of those values at the final {@code R}. Results are
 *       therefore bit-identical run to run, and {@link #merge} of partial histograms equals one histogram of
 *       all the data.</li>
 *   <li>The maximum always lies in {@code [R/2, R)}, so at least {@code N/2 = 4096} fine bins cover
 *       {@code [0, absMax]}: twice the 2048 bins that TensorRT's entropy calibration uses, which
 *       {@link RangeEstimator} resamples from these.</li>
 * </ul>
 * {@code R} is kept at or above 2<sup>-100</sup> so that {@code N/R} stays a finite float; only tensors
 * whose largest magnitude is below 2<sup>-101</sup> (about 4e-31) get fewer bins, and their range is
 * floored by {@link RangeEstimator#MIN_AMAX} anyway.
 *
 * <h2>Special values</h2>
 * NaN and ±infinity are counted ({@link #nanCount()}, {@link #infinityCount()}) and otherwise ignored: they
 * neither enter the histogram nor the maximum. Zeros (and {@code -0.0}) are ordinary values in bin 0; a tensor
 * of zeros only has {@code absMax() == 0}, which {@link RangeEstimator} turns into a small positive range.
 *
 * <h2>Threads</h2>
 * An instance is not thread-safe: fill it from one thread at a time. Distinct instances share nothing, so
 * different tensors' histograms may be filled concurrently, and partial histograms filled on different
 * threads may be combined with {@link #merge} in any order with the same result.
 */
public final class ActivationHistogram {

    /** log2 of the number of fine bins. */
    static final int FINE_BINS_LOG2 = 13;
    /** The number of fine bins, {@code N}. */
    public static final int FINE_BINS = 1 << FINE_BINS_LOG2;
    /** The least exponent of {@code R}; keeps {@code N/R = 2^(13 - e)} a normal float. */
    private static final int MIN_RANGE_EXPONENT = -100;
    /**
     * The consecutive values read at a time, and the unit of sampling: a 4 KiB run (a memory page when the
     * buffer is page-aligned), so the runs skipped are never fetched from memory.
     */
    static final int RUN = 1024;
    /** Marks "no non-zero value yet, {@code R} not chosen". */
    private static final int NO_RANGE = Integer.MIN_VALUE;

    /*
     * Counts accumulate in an int array, half the cache footprint of longs, and are flushed into the long
     * array before they could overflow, before a rescale and when merging.
     */
    private final int[] recent = new int[FINE_BINS];
    private final long[] flushed = new long[FINE_BINS];
    /** The values in {@code recent}. */
    private long recentTotal;
    /** Runs are read through this array: a bulk copy from a direct buffer lets the max scan vectorise. */
    private final float[] runValues = new float[RUN];

    private int rangeExponent = NO_RANGE;
    /** {@code N/R}; 0 before a range is chosen, which puts zeros (the only values seen then) in bin 0. */
    private float toBin;
    private float absMax;
    private long count;
    private long offered;
    private long nanCount;
    private long infinityCount;

    /** Adds all of {@code values}. */
    public void add(float[] values) {
        add(values, 0, values.length);
    }

    /** Adds {@code values[from..to)}. */
    public void add(float[] values, int from, int to) {
        Objects.checkFromToIndex(from, to, values.length);
        add(FloatBuffer.wrap(values, from, to - from), 0, 1);
    }

    /**
     * Offers the values between the buffer's position and limit, leaving the buffer as it was. They are taken
     * as runs of {@value #RUN} consecutive values from the position (the last may be shorter), and only runs
     * {@code firstRun, firstRun + runStride, …} are read ({@code 0, 1} reads all): every value read is binned
     * and counts towards the maximum and the counts. Reading whole runs rather than every n-th value means the
     * values skipped cost no memory traffic. A direct buffer is read in place, so activations that ONNX Runtime
     * wrote off-heap are never copied whole.
     */
    public void add(FloatBuffer values, int firstRun, int runStride) {
        if (runStride < 1 || firstRun < 0) {
            throw new IllegalArgumentException("need runStride >= 1 and firstRun >= 0, got " + runStride + " and "
                    + firstRun);
        }
        int from = values.position();
        int to = values.limit();
        offered += to - from;
        for (long start = from + (long) firstRun * RUN; start < to; start += (long) runStride * RUN) {
            int length = (int) Math.min(RUN, to - start);
            values.get((int) start, runValues, 0, length);
            if (recentTotal + length > Integer.MAX_VALUE) {
                flush();
            }
            // Math.max keeps a NaN and an infinity, so one test tells whether the run needs the slow path.
            float runMax = 0;
            for (int j = 0; j < length; j++) {
                runMax = Math.max(runMax, Math.abs(runValues[j]));
            }
            if (runMax < Float.POSITIVE_INFINITY) {
                if (runMax > absMax) {
                    grow(runMax);
                }
                binFinite(length);
            } else {
                addWithSpecialValues(length);
            }
        }
    }

    /** Bins a run of finite values no larger than the maximum (so below {@code R}). */
    private void binFinite(int length) {
        int[] bins = recent;
        float scale = toBin;
        for (int j = 0; j < length; j++) {
            bins[(int) (Math.abs(runValues[j]) * scale)]++;
        }
        recentTotal += length;
        count += length;
    }

    /** The rare run with NaN or infinity: value by value, leaving those out of the counts and the bins. */
    private void addWithSpecialValues(int length) {
        for (int j = 0; j < length; j++) {
            float a = Math.abs(runValues[j]);
            if (Float.isNaN(a)) {
                nanCount++;
            } else if (a == Float.POSITIVE_INFINITY) {
                infinityCount++;
            } else {
                if (a > absMax) {
                    grow(a);
                }
                recent[(int) (a * toBin)]++;
                recentTotal++;
                count++;
            }
        }
    }

    /** Makes {@code a} the maximum, doubling {@code R} as often as needed. */
    private void grow(float a) {
        absMax = a;
        int exponent = Math.max(MIN_RANGE_EXPONENT, Math.getExponent(a) + 1);
        if (rangeExponent == NO_RANGE) {
            setRange(exponent);
        } else if (exponent > rangeExponent) {
            flush();
            coarsen(flushed, exponent - rangeExponent);
            setRange(exponent);
        }
    }

    private void setRange(int exponent) {
        rangeExponent = exponent;
        toBin = Math.scalb(1f, FINE_BINS_LOG2 - exponent);
    }

    /** Merges {@code 2^shift} adjacent bins into one, as if {@code R} had been {@code 2^shift} times larger. */
    private static void coarsen(long[] bins, int shift) {
        int kept = shift >= FINE_BINS_LOG2 ? 1 : FINE_BINS >> shift;
        int group = FINE_BINS / kept;
        for (int k = 0; k < kept; k++) {
            long sum = 0;
            for (int j = k * group; j < (k + 1) * group; j++) {
                sum += bins[j];
            }
            bins[k] = sum;
        }
        Arrays.fill(bins, kept, FINE_BINS, 0);
    }

    private void flush() {
        for (int k = 0; k < FINE_BINS; k++) {
            flushed[k] += recent[k];
        }
        Arrays.fill(recent, 0);
        recentTotal = 0;
    }

    /**
     * Adds another histogram's data to this one; {@code other} is not changed. The result is the same as if
     * this histogram had been given all of {@code other}'s values.
     */
    public void merge(ActivationHistogram other) {
        if (other == this) {
            throw new IllegalArgumentException("cannot merge a histogram into itself");
        }
        flush();
        long[] theirs = other.counts(FINE_BINS - 1);
        if (other.rangeExponent != NO_RANGE) {
            if (rangeExponent == NO_RANGE) {
                setRange(other.rangeExponent);
            } else if (other.rangeExponent > rangeExponent) {
                coarsen(flushed, other.rangeExponent - rangeExponent);
                setRange(other.rangeExponent);
            } else if (other.rangeExponent < rangeExponent) {
                coarsen(theirs, rangeExponent - other.rangeExponent);
            }
        }
        for (int k = 0; k < FINE_BINS; k++) {
            flushed[k] += theirs[k];
        }
        absMax = Math.max(absMax, other.absMax);
        count += other.count;
        offered += other.offered;
        nanCount += other.nanCount;
        infinityCount += other.infinityCount;
    }

    /** The largest finite {@code |x|} read; 0 when none (or only zeros) were. */
    public float absMax() {
        return absMax;
    }

    /** The number of finite values read, all of them binned (zeros included; NaN and infinities not). */
    public long count() {
        return count;
    }

    /** The number of values offered, read or skipped by sampling, NaN and infinities included. */
    public long offeredCount() {
        return offered;
    }

    /** The number of NaN values read, which the statistics ignore. */
    public long nanCount() {
        return nanCount;
    }

    /** The number of infinite values (either sign) read, which the statistics ignore. */
    public long infinityCount() {
        return infinityCount;
    }

    /**
     * The fraction of the binned values that a range of {@code amax} clips ({@code |x| > amax}), counting the
     * fine bins that lie wholly above it: exact to within the one bin that holds {@code amax}.
     */
    public double clippedFraction(double amax) {
        if (count == 0 || amax >= absMax) {
            return 0;
        }
        int top = topBin();
        int first = (int) Math.floor(amax / binWidth()) + 1;
        long clipped = 0;
        long[] bins = counts(top);
        for (int k = Math.max(first, 0); k <= top; k++) {
            clipped += bins[k];
        }
        return (double) clipped / count;
    }

    /** The width of a fine bin, {@code R/N}; 0 while no non-zero value has been added. */
    double binWidth() {
        return rangeExponent == NO_RANGE ? 0 : Math.scalb(1.0, rangeExponent - FINE_BINS_LOG2);
    }

    /** The index of the fine bin holding {@link #absMax()}. */
    int topBin() {
        return (int) (absMax * toBin);
    }

    /** The fine bin counts {@code 0..last}, a copy. */
    long[] counts(int last) {
        long[] out = Arrays.copyOf(flushed, last + 1);
        for (int k = 0; k <= last; k++) {
            out[k] += recent[k];
        }
        return out;
    }
}
