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
    void sampledValuesAreBinnedWhileMaximumAndCountSeeEveryValue() {
        // 10,001 values over three 4096-value blocks; the samples (offsets 3, 10, 17, ...) stay below 1.5 and
        // the maximum, 1.9, is not sampled, so both histograms have R = 2 and compare bin for bin.
        Random random = new Random(3);
        float[] values = new float[10_001];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextDouble() * 3 - 1.5);
        }
        values[5000] = -1.9f;
        ActivationHistogram sampled = new ActivationHistogram();
        sampled.add(FloatBuffer.wrap(values), 3, 7);
        float[] samples = new float[1429];
        for (int k = 0; k < samples.length; k++) {
            samples[k] = values[3 + 7 * k];
        }
        ActivationHistogram expected = new ActivationHistogram();
        expected.add(samples);

        assertThat(sampled.absMax()).isEqualTo(1.9f);
        assertThat(sampled.count()).isEqualTo(values.length);
        assertThat(sampled.binnedCount()).isEqualTo(expected.count()).isEqualTo(1429);
        assertThat(sampled.binWidth()).isEqualTo(expected.binWidth());
        assertThat(sampled.counts(ActivationHistogram.FINE_BINS - 1))
                .isEqualTo(expected.counts(ActivationHistogram.FINE_BINS - 1));
        assertThat(RangeEstimator.amax(sampled, RangeMethod.MINMAX, 99.99)).isEqualTo(1.9f);
    }

    @Test
    void specialValuesAreCountedWhereverTheyFallAndNeverBinned() {
        float[] values = new float[9000];
        Arrays.fill(values, 0.25f);
        values[0] = Float.NaN; // sampled
        values[1] = Float.POSITIVE_INFINITY; // not sampled
        values[4100] = Float.NaN; // sampled, in the second block
        values[8999] = -Float.NaN; // not sampled
        ActivationHistogram h = new ActivationHistogram();
        h.add(FloatBuffer.wrap(values), 0, 4);

        assertThat(h.nanCount()).isEqualTo(3);
        assertThat(h.infinityCount()).isEqualTo(1);
        assertThat(h.count()).isEqualTo(9000 - 4);
        assertThat(h.binnedCount()).isEqualTo(9000 / 4 - 2);
        assertThat(h.absMax()).isEqualTo(0.25f);
    }

    @Test
    void aTensorWithNoSampleFallsBackToItsMaximum() {
        ActivationHistogram h = new ActivationHistogram();
        h.add(FloatBuffer.wrap(new float[] {0.5f, -3f, 1f}), 5, 2);
        assertThat(h.binnedCount()).isZero();
        assertThat(h.count()).isEqualTo(3);
        for (RangeMethod method : SINGLE) {
            assertThat(RangeEstimator.amax(h, method, 99.99)).as(method.id()).isEqualTo(3.0);
        }
        assertThat(RangeEstimator.quantizationMse(h, 1.0)).isZero();
    }

    @Test
    void rejectsABadSampling() {
        ActivationHistogram h = new ActivationHistogram();
        FloatBuffer values = FloatBuffer.wrap(new float[4]);
        assertThatThrownBy(() -> h.add(values, 0, 0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("stride");
        assertThatThrownBy(() -> h.add(values, -1, 2)).isInstanceOf(IllegalArgumentException.class);
    }
}
