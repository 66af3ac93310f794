package io.github.yoloslim.calibrate;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Random;

import static io.github.yoloslim.calibrate.RangeEstimator.ENTROPY_BINS;
import static io.github.yoloslim.calibrate.RangeEstimator.ENTROPY_LEVELS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

class RangeEstimatorTest {

    private static final RangeMethod[] ALL = RangeMethod.values();

    private static ActivationHistogram of(float... values) {
        ActivationHistogram h = new ActivationHistogram();
        h.add(values);
        return h;
    }

    private static double amax(ActivationHistogram h, RangeMethod method) {
        return RangeEstimator.amax(h, method, RangeEstimator.DEFAULT_PERCENTILE);
    }

    /** {@code n} standard normal samples followed by {@code outliers} values equal to {@code outlier}. */
    private static ActivationHistogram gaussianWithOutliers(int n, int outliers, float outlier) {
        Random random = new Random(42);
        float[] values = new float[n + outliers];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        Arrays.fill(values, n, n + outliers, outlier);
        return of(values);
    }

    /** 10^6 evenly spaced values (k + 0.5)/10^6 on [0, 1]: a uniform distribution without sampling noise. */
    private static ActivationHistogram evenlySpacedUniform() {
        int n = 1_000_000;
        float[] values = new float[n];
        for (int k = 0; k < n; k++) {
            values[k] = (float) ((k + 0.5) / n);
        }
        return of(values);
    }

    @Test
    void uniformKeepsTheFullRange() {
        ActivationHistogram h = evenlySpacedUniform();
        double absMax = h.absMax();
        assertThat(absMax).isCloseTo(1, within(1e-6));
        assertThat(amax(h, RangeMethod.MINMAX)).isEqualTo(absMax);
        // Every 16-bin level of the full 2048-bin histogram is flat, so Q = P there (KL 0), while any
        // smaller i folds a tail into one bin: the top wins.
        assertThat(amax(h, RangeMethod.ENTROPY)).isEqualTo(absMax);
        // 99.99 % of the values lie below 0.9999.
        assertThat(amax(h, RangeMethod.PERCENTILE)).isCloseTo(0.9999, within(1e-6));
        assertThat(RangeEstimator.amax(h, RangeMethod.PERCENTILE, 50)).isCloseTo(0.5, within(1e-6));
    }

    @Test
    void sampledUniformEntropyStaysWithinAFewBinsOfTheTop() {
        Random random = new Random(1);
        float[] values = new float[1_000_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat();
        }
        ActivationHistogram h = of(values);
        double bin = h.absMax() / ENTROPY_BINS;
        assertThat(amax(h, RangeMethod.ENTROPY)).isBetween(h.absMax() - 4 * bin, (double) h.absMax());
        // Sampling noise of the 99.99th percentile: sqrt(p(1-p)/n) = 1e-5.
        assertThat(amax(h, RangeMethod.PERCENTILE)).isCloseTo(0.9999, within(5e-5));
    }

    @Test
    void mseOnUniformMatchesTheAnalyticOptimum() {
        // On U[0,1] with step s = A/127: error(A) = A·s²/12 (values below s/2 cost x², whose mean over
        // [0, s/2] is also s²/12) + (1-A)³/3 (clipping). d/dA = A²/(4·127²) - (1-A)² = 0 gives
        // A/254 = 1 - A, A = 254/255.
        ActivationHistogram h = evenlySpacedUniform();
        assertThat(amax(h, RangeMethod.MSE)).isCloseTo(254.0 / 255, within(2 * h.binWidth()));
    }

    @Test
    void gaussianWithRareHugeOutliers() {
        // 10^6 N(0,1) samples and 10 values at 1000.
        ActivationHistogram h = gaussianWithOutliers(1_000_000, 10, 1000);
        assertThat(amax(h, RangeMethod.MINMAX)).isEqualTo(1000);
        // Entropy clips the outliers as far as it can: its smallest candidate is 128 of 2048 bins, 1000/16.
        assertThat(amax(h, RangeMethod.ENTROPY)).isBetween(1000.0 / 16, 100.0);
        // Two-sided 99.99 % point of N(0,1) is 3.8906; the 10 outliers move it by 1e-5 of the mass.
        assertThat(amax(h, RangeMethod.PERCENTILE)).isCloseTo(3.89, within(0.1));
        // Squared error keeps these outliers: clipping 10 values by ~995 costs 10·995²/10^6 ≈ 9.9 per value,
        // while with amax 1000 (step 7.9) the bulk rounds to zero at a cost of E[x²] = 1 per value.
        assertThat(amax(h, RangeMethod.MSE)).isGreaterThan(990);
    }

    @Test
    void gaussianWithOneModerateOutlier() {
        // 10^6 N(0,1) samples and one value at 50. Clipping at A costs (50 - A)² for the outlier; the step
        // s = A/127 costs about s²/12 for each of the n = 10^6 values (the tail beyond A ~ 5 is negligible).
        // d/dA: n·A/(6·127²) = 2(50 - A), A = 100/(n/96774 + 2) ≈ 8.1: MSE only half-clips it.
        ActivationHistogram h = gaussianWithOutliers(1_000_000, 1, 50);
        assertThat(amax(h, RangeMethod.MINMAX)).isEqualTo(50);
        assertThat(amax(h, RangeMethod.ENTROPY)).isBetween(50.0 / 16, 10.0);
        assertThat(amax(h, RangeMethod.MSE)).isCloseTo(8.1, within(0.3));
        assertThat(RangeEstimator.quantizationMse(h, amax(h, RangeMethod.MSE)))
                .isLessThan(RangeEstimator.quantizationMse(h, 50))
                .isLessThan(RangeEstimator.quantizationMse(h, amax(h, RangeMethod.ENTROPY)));
    }

    @Test
    void mseIsTheBruteForceOptimumOverAllCandidates() {
        Random random = new Random(3);
        float[] values = new float[3000];
        for (int i = 0; i < values.length; i++) {
            // Exponential bulk, a sparse tail, and zeros.
            values[i] = i % 10 == 0 ? 0 : (float) (-Math.log(1 - random.nextDouble()) * (i % 97 == 0 ? 20 : 1));
        }
        ActivationHistogram h = of(values);
        double width = h.binWidth();
        int top = h.topBin();
        long[] counts = h.counts(top);

        double best = Double.NaN;
        double bestMse = Double.POSITIVE_INFINITY;
        for (int k = 1; k <= top + 1; k++) {
            double amax = k <= top ? k * width : h.absMax();
            double mse = directMse(counts, width, h.absMax(), amax, h.count());
            assertThat(RangeEstimator.quantizationMse(h, amax)).isCloseTo(mse, within(mse * 1e-9));
            if (mse <= bestMse) {
                best = amax;
                bestMse = mse;
            }
        }
        assertThat(amax(h, RangeMethod.MSE)).isEqualTo(best);
        assertThat(best).isLessThan(h.absMax());
        // Between candidates too.
        double amax = 2.345;
        assertThat(RangeEstimator.quantizationMse(h, amax))
                .isCloseTo(directMse(counts, width, h.absMax(), amax, h.count()), within(1e-12));
    }

    /** The error model of {@link RangeEstimator#quantizationMse}, bin by bin. */
    private static double directMse(long[] counts, double width, double absMax, double amax, long n) {
        double step = amax / 127;
        double sum = 0;
        for (int k = 0; k < counts.length; k++) {
            double upper = k == counts.length - 1 ? absMax : (k + 1) * width;
            double x = (k * width + upper) / 2;
            double error = x <= step / 2 ? x * x : x <= amax ? step * step / 12 : (x - amax) * (x - amax);
            sum += counts[k] * error;
        }
        return sum / n;
    }

    @Test
    void percentileInterpolatesWithinTheBin() {
        // absMax 768 -> R = 1024, bin width w = 1/8. 100 zeros in bin 0, 100 values 3w in bin 3 = [3w, 4w),
        // one value 768 = 6144w alone in the top bin, which ends at absMax: 201 values.
        double w = 0.125;
        float[] values = new float[201];
        Arrays.fill(values, 100, 200, (float) (3 * w));
        values[200] = 768;
        ActivationHistogram h = of(values);
        assertThat(h.binWidth()).isEqualTo(w);
        // 25 %: rank 50.25 of the 100 in bin 0 -> 0.5025 of the way through [0, w).
        assertThat(RangeEstimator.amax(h, RangeMethod.PERCENTILE, 25)).isCloseTo(0.5025 * w, within(1e-12));
        // 50 %: rank 100.5, 0.5 of bin 3's 100 -> 3w + 0.005w.
        assertThat(RangeEstimator.amax(h, RangeMethod.PERCENTILE, 50)).isCloseTo(3.005 * w, within(1e-12));
        // 99.5 %: rank 199.995, in bin 3 at 99.995 of 100 -> 3w + 0.99995w.
        assertThat(RangeEstimator.amax(h, RangeMethod.PERCENTILE, 99.5)).isCloseTo(3.99995 * w, within(1e-12));
        // Beyond rank 200 only the top value remains; never above absMax.
        assertThat(RangeEstimator.amax(h, RangeMethod.PERCENTILE, 99.9)).isEqualTo(768);
        assertThat(RangeEstimator.amax(h, RangeMethod.PERCENTILE, 100)).isEqualTo(768);
    }

    @Test
    void percentileOutsideItsRangeIsRefused() {
        ActivationHistogram h = of(1, 2, 3);
        for (double bad : new double[] {0, -1, 100.5, Double.NaN}) {
            assertThatThrownBy(() -> RangeEstimator.amax(h, RangeMethod.PERCENTILE, bad))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("percentile");
        }
        // Ignored by methods that do not use it.
        assertThat(RangeEstimator.amax(h, RangeMethod.MINMAX, Double.NaN)).isEqualTo(3);
    }

    @Test
    void allZeroAndEmptyTensorsGetTheMinimumRange() {
        ActivationHistogram zeros = of(new float[1000]);
        zeros.add(new float[] {-0f, Float.NaN});
        for (ActivationHistogram h : new ActivationHistogram[] {zeros, new ActivationHistogram(),
                of(Float.NaN, Float.POSITIVE_INFINITY), of(Float.MIN_VALUE)}) {
            for (RangeMethod method : ALL) {
                double amax = RangeEstimator.amax(h, method, 99.99);
                assertThat(amax).as(method.id()).isEqualTo(RangeEstimator.MIN_AMAX);
                // The scale is exactly 2^-14, float16's smallest normal number.
                assertThat((float) (amax / 127)).isEqualTo(0x1p-14f);
                assertThat(RangeEstimator.quantizationMse(h, amax)).isFinite().isLessThan(1e-80);
            }
        }
        assertThat(zeros.count()).isEqualTo(1001);
        assertThat(zeros.absMax()).isZero();
        assertThat(RangeEstimator.quantizationMse(zeros, 1)).isZero();
        assertThatThrownBy(() -> RangeEstimator.quantizationMse(zeros, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void everyRangeIsPositiveFiniteAndAtMostAbsMax() {
        ActivationHistogram h = gaussianWithOutliers(100_000, 3, 20);
        for (RangeMethod method : ALL) {
            double amax = RangeEstimator.amax(h, method, 99.99);
            assertThat(amax).as(method.id()).isPositive().isLessThanOrEqualTo(h.absMax());
            assertThat(RangeEstimator.quantizationMse(h, amax)).as(method.id())
                    .isGreaterThanOrEqualTo(RangeEstimator.quantizationMse(h, amax(h, RangeMethod.MSE)));
        }
    }

    @Test
    void entropyDivergencesMatchTheLiteralAlgorithm() {
        Random random = new Random(11);
        for (int round = 0; round < 3; round++) {
            double[] bins = new double[ENTROPY_BINS];
            for (int j = 0; j < bins.length; j++) {
                double bulk = 1e4 * Math.exp(-j / (50.0 + 200 * round));
                // Gaps (empty bins, including some just before outliers), fractional counts, a far tail.
                bins[j] = random.nextInt(7) == 0 ? 0 : bulk * (0.5 + random.nextDouble()) + (j > 1500 ? 0.3 : 0);
            }
            bins[2047] = 3;
            double[] fast = RangeEstimator.entropyDivergences(bins);
            for (int i = ENTROPY_LEVELS; i <= ENTROPY_BINS; i++) {
                double literal = literalDivergence(bins, i);
                assertThat(fast[i]).as("i=%d", i).isCloseTo(literal, within(1e-12 + 1e-12 * Math.abs(literal)));
            }
        }
    }

    /** KL(P‖Q) for candidate {@code i}, building P and Q in full as TensorRT's pseudo-code describes. */
    private static double literalDivergence(double[] histogram, int i) {
        double[] b = histogram.clone();
        b[0] = b[1];
        double[] p = Arrays.copyOf(b, i);
        for (int j = i; j < b.length; j++) {
            p[i - 1] += b[j];
        }
        double[] levelMass = new double[ENTROPY_LEVELS];
        int[] levelNonZero = new int[ENTROPY_LEVELS];
        for (int j = 0; j < i; j++) {
            if (b[j] > 0) {
                levelMass[j * ENTROPY_LEVELS / i] += b[j];
                levelNonZero[j * ENTROPY_LEVELS / i]++;
            }
        }
        double[] q = new double[i];
        for (int j = 0; j < i; j++) {
            if (b[j] > 0) {
                q[j] = levelMass[j * ENTROPY_LEVELS / i] / levelNonZero[j * ENTROPY_LEVELS / i];
            }
        }
        double pSum = Arrays.stream(p).sum();
        double qSum = Arrays.stream(q).sum();
        double kl = 0;
        for (int j = 0; j < i; j++) {
            if (p[j] > 0) {
                double pj = p[j] / pSum;
                double qj = q[j] > 0 ? q[j] / qSum : RangeEstimator.EMPTY_Q;
                kl += pj * Math.log(pj / qj);
            }
        }
        return kl;
    }
}
