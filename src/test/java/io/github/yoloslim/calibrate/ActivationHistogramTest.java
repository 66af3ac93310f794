package io.github.yoloslim.calibrate;

import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Random;
import java.util.stream.IntStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ActivationHistogramTest {

    private static final RangeMethod[] SINGLE = {RangeMethod.ENTROPY, RangeMethod.MINMAX,
            RangeMethod.PERCENTILE, RangeMethod.MSE};

    /** Chunks whose scale doubles every other chunk, so the range grows many times while streaming. */
    private static float[][] growingChunks() {
        Random random = new Random(7);
        float[][] chunks = new float[24][];
        for (int c = 0; c < chunks.length; c++) {
            double scale = Math.pow(2, c / 2.0) * 1e-3;
            chunks[c] = new float[20_000];
            for (int i = 0; i < chunks[c].length; i++) {
                chunks[c][i] = (float) (random.nextGaussian() * scale);
            }
        }
        return chunks;
    }

    private static ActivationHistogram streamed(float[][] chunks) {
        ActivationHistogram h = new ActivationHistogram();
        for (float[] chunk : chunks) {
            h.add(chunk);
        }
        return h;
    }

    private static float[] concat(float[][] chunks) {
        float[] all = new float[Arrays.stream(chunks).mapToInt(c -> c.length).sum()];
        int at = 0;
        for (float[] chunk : chunks) {
            System.arraycopy(chunk, 0, all, at, chunk.length);
            at += chunk.length;
        }
        return all;
    }

    private static void assertSameStatistics(ActivationHistogram actual, ActivationHistogram expected) {
        assertThat(actual.absMax()).isEqualTo(expected.absMax());
        assertThat(actual.count()).isEqualTo(expected.count());
        assertThat(actual.binWidth()).isEqualTo(expected.binWidth());
        assertThat(actual.counts(ActivationHistogram.FINE_BINS - 1))
                .isEqualTo(expected.counts(ActivationHistogram.FINE_BINS - 1));
        for (RangeMethod method : SINGLE) {
            // Bit-identical, not merely within a bin: the histogram itself is order-independent.
            assertThat(RangeEstimator.amax(actual, method, 99.99))
                    .as(method.id()).isEqualTo(RangeEstimator.amax(expected, method, 99.99));
        }
    }

    @Test
    void streamingWithGrowingMaximaEqualsAllAtOnceSortedByMagnitude() {
        float[][] chunks = growingChunks();
        float[] all = concat(chunks);
        // Ascending magnitude: the range doubles as late as possible, bin by bin.
        float[] ascending = new float[all.length];
        int[] order = IntStream.range(0, all.length).boxed()
                .sorted(Comparator.comparingDouble(i -> Math.abs(all[i]))).mapToInt(Integer::intValue).toArray();
        for (int i = 0; i < order.length; i++) {
            ascending[i] = all[order[i]];
        }
        ActivationHistogram allAtOnce = new ActivationHistogram();
        allAtOnce.add(ascending);

        ActivationHistogram streamed = streamed(chunks);
        assertSameStatistics(streamed, allAtOnce);
        assertSameStatistics(streamed, streamed(chunks));

        float[][] reversed = chunks.clone();
        Collections.reverse(Arrays.asList(reversed));
        assertSameStatistics(streamed(reversed), allAtOnce);
        // absMax lies in [R/2, R): at least half the fine bins cover [0, absMax].
        assertThat(streamed.topBin()).isBetween(ActivationHistogram.FINE_BINS / 2, ActivationHistogram.FINE_BINS - 1);
    }

    @Test
    void mergingPartialHistogramsEqualsOneHistogram() {
        float[][] chunks = growingChunks();
        ActivationHistogram small = new ActivationHistogram();
        ActivationHistogram large = new ActivationHistogram();
        for (int c = 0; c < chunks.length; c++) {
            (c < 20 ? small : large).add(chunks[c]);
        }
        large.add(new float[] {Float.NaN, Float.NEGATIVE_INFINITY});
        ActivationHistogram whole = streamed(chunks);

        ActivationHistogram a = new ActivationHistogram();
        a.merge(small);
        a.merge(large);
        ActivationHistogram b = new ActivationHistogram();
        b.merge(large);
        b.merge(small);
        assertSameStatistics(a, whole);
        assertSameStatistics(b, whole);
        assertThat(a.nanCount()).isEqualTo(1);
        assertThat(a.infinityCount()).isEqualTo(1);
        assertThatThrownBy(() -> a.merge(a)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void clippedFractionCountsTheValuesAboveARange() {
        float[] values = new float[1000];
        for (int i = 0; i < values.length; i++) {
            values[i] = (i % 2 == 0 ? 1 : -1) * (i + 1);
        }
        ActivationHistogram histogram = new ActivationHistogram();
        histogram.add(values);
        // Bins are 1/8 wide over [0, 1024): every integer has a bin of its own, so the counts are exact.
        assertThat(histogram.clippedFraction(900)).isEqualTo(0.1);
        assertThat(histogram.clippedFraction(999.5)).isEqualTo(0.001);
        assertThat(histogram.clippedFraction(1000)).isZero();
        assertThat(histogram.clippedFraction(0.5)).isEqualTo(1.0);
        assertThat(new ActivationHistogram().clippedFraction(1)).isZero();
    }

    @Test
    void addsASubrangeOnly() {
        ActivationHistogram h = new ActivationHistogram();
        h.add(new float[] {100, 1, -2, 3, 100}, 1, 4);
        assertThat(h.absMax()).isEqualTo(3f);
        assertThat(h.count()).isEqualTo(3);
        assertThatThrownBy(() -> h.add(new float[2], 1, 3)).isInstanceOf(IndexOutOfBoundsException.class);
    }

    @Test
    void binsAreExactPowerOfTwoIntervals() {
        // absMax 3 -> R = 4, width 4/8192 = 2^-11: 0.5 = bin 1024, 2^-11 = bin 1, just below it = bin 0.
        ActivationHistogram h = new ActivationHistogram();
        h.add(new float[] {3, -0.5f, 0x1p-11f, Math.nextDown(0x1p-11f), -0f});
        assertThat(h.binWidth()).isEqualTo(0x1p-11);
        long[] counts = h.counts(ActivationHistogram.FINE_BINS - 1);
        assertThat(counts[0]).isEqualTo(2);
        assertThat(counts[1]).isEqualTo(1);
        assertThat(counts[1024]).isEqualTo(1);
        assertThat(counts[6144]).isEqualTo(1);
        assertThat(Arrays.stream(counts).sum()).isEqualTo(5);
    }

    @Test
    void oneBinCountsBeyondTheIntRange() {
        // 520 · 2^22 = 2.18e9 equal values, more than an int holds, all in bin 4096 ([1, 1 + 2^-12) at R = 2).
        float[] ones = new float[1 << 22];
        Arrays.fill(ones, 1f);
        ActivationHistogram h = new ActivationHistogram();
        for (int k = 0; k < 520; k++) {
            h.add(ones);
        }
        long expected = 520L << 22;
        assertThat(h.count()).isEqualTo(expected);
        assertThat(h.counts(h.topBin())[4096]).isEqualTo(expected);
    }

    @Test
    void countsNanAndInfinityAndLeavesThemOut() {
        float[] clean = growingChunks()[10];
        float[] dirty = new float[clean.length + 5];
        dirty[0] = Float.NaN; // before any range is chosen
        dirty[1] = Float.POSITIVE_INFINITY;
        System.arraycopy(clean, 0, dirty, 2, clean.length);
        dirty[clean.length + 2] = Float.NEGATIVE_INFINITY;
        dirty[clean.length + 3] = Float.NaN;
        dirty[clean.length + 4] = -Float.NaN;
        ActivationHistogram h = new ActivationHistogram();
        h.add(dirty);
        ActivationHistogram expected = new ActivationHistogram();
        expected.add(clean);

        assertThat(h.nanCount()).isEqualTo(3);
        assertThat(h.infinityCount()).isEqualTo(2);
        assertSameStatistics(h, expected);
        assertThat(h.count()).isEqualTo(clean.length);
        assertThat(RangeEstimator.amax(h, RangeMethod.ENTROPY, 99.99))
                .isEqualTo(RangeEstimator.amax(expected, RangeMethod.ENTROPY, 99.99));
    }

    @Test
    void extremeMagnitudesStayFinite() {
        ActivationHistogram h = new ActivationHistogram();
        h.add(new float[] {Float.MIN_VALUE, 0, -Float.MAX_VALUE, 1});
        assertThat(h.absMax()).isEqualTo(Float.MAX_VALUE);
        for (RangeMethod method : SINGLE) {
            double amax = RangeEstimator.amax(h, method, 50);
            assertThat(amax).as(method.id()).isFinite().isPositive().isLessThanOrEqualTo(Float.MAX_VALUE);
        }
        assertThat(RangeEstimator.amax(h, RangeMethod.MINMAX, 99.99)).isEqualTo(Float.MAX_VALUE);
    }

    @Test
    void sampledRunsAreReadWhole() {
        // 10,001 values = 9 full runs and one of 785; runs 1, 4 and 7 are read, and so is the short last run
        // when the stride lands on it (first run 0, stride 3: runs 0, 3, 6, 9).
        int run = ActivationHistogram.RUN;
        Random random = new Random(3);
        float[] values = new float[10_001];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 3 - 1.5);
        }
        values[2 * run + 5] = -1.9f; // in run 2, never read below
        values[9 * run + 700] = 1.7f; // in the short last run
        for (int first : new int[] {0, 1}) {
            ActivationHistogram sampled = new ActivationHistogram();
            sampled.add(FloatBuffer.wrap(values), first, 3);
            ActivationHistogram expected = new ActivationHistogram();
            for (int k = first; k * run < values.length; k += 3) {
                expected.add(values, k * run, Math.min(values.length, (k + 1) * run));
            }

            assertThat(sampled.offeredCount()).isEqualTo(values.length);
            assertThat(sampled.count()).isEqualTo(expected.count())
                    .isEqualTo(first == 0 ? 3 * run + (values.length - 9 * run) : 3 * run);
            assertThat(sampled.absMax()).isEqualTo(expected.absMax()).isLessThan(1.9f);
            assertThat(sampled.absMax() == 1.7f).isEqualTo(first == 0);
            assertThat(sampled.binWidth()).isEqualTo(expected.binWidth());
            assertThat(sampled.counts(ActivationHistogram.FINE_BINS - 1))
                    .isEqualTo(expected.counts(ActivationHistogram.FINE_BINS - 1));
        }
    }

    @Test
    void specialValuesAreCountedInTheRunsReadAndNeverBinned() {
        int run = ActivationHistogram.RUN;
        float[] values = new float[9000];
        Arrays.fill(values, 0.25f);
        values[0] = Float.NaN; // run 0, read
        values[1] = Float.POSITIVE_INFINITY; // run 0, read
        values[run + 3] = Float.NaN; // run 1, skipped
        values[4 * run + 10] = Float.NEGATIVE_INFINITY; // run 4, read
        values[8999] = -Float.NaN; // run 8, read
        ActivationHistogram h = new ActivationHistogram();
        h.add(FloatBuffer.wrap(values), 0, 2);

        assertThat(h.nanCount()).isEqualTo(2);
        assertThat(h.infinityCount()).isEqualTo(2);
        long read = 4L * run + (9000 - 8 * run);
        assertThat(h.count()).isEqualTo(read - 4);
        assertThat(h.offeredCount()).isEqualTo(9000);
        assertThat(h.absMax()).isEqualTo(0.25f);
    }

    @Test
    void aTensorWithNoRunReadHasNoRange() {
        ActivationHistogram h = new ActivationHistogram();
        h.add(FloatBuffer.wrap(new float[] {0.5f, -3f, 1f}), 5, 7);
        assertThat(h.count()).isZero();
        assertThat(h.offeredCount()).isEqualTo(3);
        for (RangeMethod method : SINGLE) {
            assertThat(RangeEstimator.amax(h, method, 99.99)).as(method.id()).isEqualTo(RangeEstimator.MIN_AMAX);
        }
        assertThat(RangeEstimator.quantizationMse(h, 1.0)).isZero();
    }

    @Test
    void rejectsABadSampling() {
        ActivationHistogram h = new ActivationHistogram();
        FloatBuffer values = FloatBuffer.wrap(new float[4]);
        assertThatThrownBy(() -> h.add(values, 0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("runStride");
        assertThatThrownBy(() -> h.add(values, -1, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
