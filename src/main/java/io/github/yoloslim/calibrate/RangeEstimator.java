package io.github.yoloslim.calibrate;

import java.util.Arrays;

/**
 * Chooses a tensor's symmetric INT8 range ({@code amax}; scale = amax / 127) from its
 * {@link ActivationHistogram}. All methods are deterministic functions of the histogram, so equal histograms
 * give bit-identical ranges. Every returned {@code amax} is finite and at least {@link #MIN_AMAX}.
 *
 * <h2>Entropy</h2>
 * TensorRT's documented algorithm (GTC 2017, "8-bit Inference with TensorRT"), in the form of NVIDIA
 * pytorch-quantization's {@code _compute_amax_entropy} with its defaults ({@code start_bin=128},
 * {@code stride=1}), with one change. The fine histogram is resampled to 2048 equal bins {@code b} over
 * {@code [0, absMax]} (mass spread uniformly within each fine bin, the top one ending at {@code absMax}),
 * then, as in pytorch-quantization, {@code b[0]} is replaced by {@code b[1]} so that a spike of zeros does not
 * dominate. For each candidate {@code i} in 128..2048:
 * <ul>
 *   <li>P = {@code b[0..i)} with the outliers {@code sum(b[i..2048))} added to {@code b[i-1]}, normalised;</li>
 *   <li>Q: the unfolded {@code b[0..i)} merged into 128 levels (bin {@code j} goes to level
 *       {@code floor(128·j/i)}), each level's mass spread evenly over its non-zero bins (empty bins stay
 *       empty), normalised to sum 1 over the {@code i} bins;</li>
 *   <li>KL(P‖Q) = Σ P ln(P/Q) over the bins where P &gt; 0.</li>
 * </ul>
 * The change: Q is zero where P is not only in bin {@code i-1}, when it is empty but outliers were folded into
 * it. pytorch-quantization's divergence is then infinite, which forbids clipping at any empty bin, so a
 * tensor whose few outliers sit far beyond a gap would never be clipped. Here that bin's Q is taken as
 * {@value #EMPTY_Q}, below the probability of a single value in any calibration set under 10<sup>12</sup>
 * values: clipping at an empty bin ranks worse than clipping at a bin holding even one value, but a tiny
 * tail may still be clipped when the wider range costs more. Q is not renormalised for it. (On yolov8n's 59
 * Conv inputs over coco-tiny/train2017 this gives the same ranges as an infinite divergence.) The divergences
 * are computed per level rather than per bin, 128 logarithms per candidate. The last (largest) {@code i} with
 * the least divergence wins, as in pytorch-quantization, and {@code amax = i · absMax / 2048}: the upper edge
 * of the range that P and Q describe (pytorch-quantization's {@code calib_bin_edges[i]}). The GTC slides'
 * {@code (i + 0.5) · width} would give a range half a bin wider than the one evaluated, above {@code absMax}
 * when {@code i = 2048}.
 *
 * <h2>Percentile and MSE</h2>
 * Both work on the fine histogram (at least 4096 bins over {@code [0, absMax]}). The percentile interpolates
 * linearly within the bin where the cumulative count reaches the percentage. The squared-error model is
 * {@link #quantizationMse}; {@link RangeMethod#MSE} minimises it over every fine bin edge up to
 * {@code absMax} and {@code absMax} itself, ties going to the larger range.
 *
 * <h2>Empty and all-zero tensors</h2>
 * With no finite value, or only zeros, every method returns {@link #MIN_AMAX}.
 */
public final class RangeEstimator {

    /** The largest INT8 magnitude of symmetric quantization: scale = amax / 127. */
    public static final int INT8_MAX = 127;
    /** The percentile used when none is configured. */
    public static final double DEFAULT_PERCENTILE = 99.99;
    /**
     * The range of a tensor that is all zeros (or had no finite value), and the least range returned for any
     * tensor: 127 · 2<sup>-14</sup> ≈ 0.0078, so that the scale is 2<sup>-14</sup>, the smallest normal
     * float16, exactly. A zero scale makes Q/DQ divide by zero; any positive one represents 0 exactly, so for
     * a tensor that was zero on every calibration image the value only has to be safe: its reciprocal is
     * finite and it stays a normal number in float16 as well as float32. Real ranges are far larger (yolov8n's
     * smallest is about 1), so the floor only ever applies to dead tensors.
     */
    public static final double MIN_AMAX = INT8_MAX * 0x1p-14;

    /** The histogram size and quantization levels of TensorRT's entropy calibration. */
    static final int ENTROPY_BINS = 2048;
    static final int ENTROPY_LEVELS = 128;
    /** Q where it is zero but P is not; see the class comment. */
    static final double EMPTY_Q = 1e-12;
    private static final double LOG_EMPTY_Q = Math.log(EMPTY_Q);

    private RangeEstimator() {
    }

    /**
     * The range by {@code method}: positive, finite, at least {@link #MIN_AMAX}.
     *
     * @param percentile for {@link RangeMethod#PERCENTILE}, in (0, 100]; otherwise ignored
     */
    public static double amax(ActivationHistogram histogram, RangeMethod method, double percentile) {
        if (method == RangeMethod.PERCENTILE && !(percentile > 0 && percentile <= 100)) {
            throw new IllegalArgumentException("percentile must be in (0, 100], got " + percentile);
        }
        if (histogram.count() == 0 || histogram.absMax() == 0) {
            return MIN_AMAX;
        }
        Magnitudes m = Magnitudes.of(histogram);
        double amax = switch (method) {
            case MINMAX -> m.absMax();
            case PERCENTILE -> percentile(m, percentile);
            case ENTROPY -> entropy(m);
            case MSE -> new ErrorModel(m).best() * m.width();
        };
        return Math.max(MIN_AMAX, amax);
    }

    /**
     * The expected squared error per value of quantizing the tensor with symmetric range {@code amax}, from its
     * fine histogram, each bin's values taken at the bin's centre {@code x} (the top bin's centre is the
     * middle of {@code [its lower edge, absMax]}). With step {@code s = amax/127}: a value with
     * {@code x <= s/2} rounds to zero and costs {@code x²}; one with {@code s/2 < x <= amax} costs the
     * rounding noise {@code s²/12} (uniform within its step); one with {@code x > amax} is clipped and costs
     * {@code (x - amax)²}. The dead zone is exact because activations crowd around zero, where the uniform
     * noise model would overcharge wide ranges. 0 for an empty or all-zero tensor.
     */
    public static double quantizationMse(ActivationHistogram histogram, double amax) {
        if (!(amax > 0 && amax < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("amax must be positive and finite, got " + amax);
        }
        if (histogram.count() == 0 || histogram.absMax() == 0) {
            return 0;
        }
        Magnitudes m = Magnitudes.of(histogram);
        return new ErrorModel(m).mse(amax);
    }

    /**
     * A non-empty fine histogram with a positive maximum, in bin units: bin {@code k} spans {@code [k, k+1)},
     * except the top one, which spans {@code [topBin, top]}.
     *
     * @param counts the counts of bins {@code 0..topBin}
     * @param width  the width of a bin in value units
     * @param top    {@code absMax} in bin units (exact: the width is a power of two)
     */
    private record Magnitudes(long[] counts, double width, double top, float absMax, long total) {
        static Magnitudes of(ActivationHistogram h) {
            double width = h.binWidth();
            return new Magnitudes(h.counts(h.topBin()), width, h.absMax() / width, h.absMax(), h.count());
        }

        int topBin() {
            return counts.length - 1;
        }

        /** The upper end of bin {@code k}. */
        double upper(int k) {
            return k == topBin() ? top : k + 1;
        }
    }

    private static double percentile(Magnitudes m, double percentile) {
        double target = percentile / 100 * m.total();
        long below = 0;
        for (int k = 0; k <= m.topBin(); k++) {
            long c = m.counts()[k];
            if (c > 0 && below + c >= target) {
                double value = k + (m.upper(k) - k) * ((target - below) / c);
                return Math.min(value * m.width(), m.absMax());
            }
            below += c;
        }
        // Only rounding in target can get here; the answer is then the top.
        return m.absMax();
    }

    private static double entropy(Magnitudes m) {
        double[] divergences = entropyDivergences(resample(m, ENTROPY_BINS));
        int best = ENTROPY_LEVELS;
        for (int i = ENTROPY_LEVELS + 1; i <= ENTROPY_BINS; i++) {
            if (divergences[i] <= divergences[best]) {
                best = i;
            }
        }
        return (double) m.absMax() * best / ENTROPY_BINS;
    }

    /**
     * The fine histogram spread onto {@code n} equal bins over {@code [0, absMax]}, each fine bin's count
     * spread uniformly over its extent. Fine edges are integers and coarse edges {@code j·top/n} are exact
     * doubles, so an edge that coincides with another splits nothing.
     */
    private static double[] resample(Magnitudes m, int n) {
        double top = m.top();
        double[] out = new double[n];
        for (int k = 0; k <= m.topBin(); k++) {
            long c = m.counts()[k];
            if (c == 0) {
                continue;
            }
            double lo = k;
            double hi = m.upper(k);
            if (hi <= lo) {
                out[n - 1] += c; // the top bin is the single point absMax
                continue;
            }
            int j = (int) Math.min(n - 1, Math.floor(lo * n / top));
            if (j > 0 && j * top / n > lo) {
                j--;
            }
            for (; j < n && j * top / n < hi; j++) {
                double overlap = Math.min(hi, (j + 1) * top / n) - Math.max(lo, j * top / n);
                if (overlap > 0) {
                    out[j] += c * (overlap / (hi - lo));
                }
            }
        }
        return out;
    }

    /**
     * KL(P‖Q) for each candidate bin count {@code i} in 128..{@code histogram.length} (index {@code i};
     * lower indices are NaN), as described in the class comment. The histogram must have mass beyond bin 0.
     */
    static double[] entropyDivergences(double[] histogram) {
        int n = histogram.length;
        double[] b = histogram.clone();
        b[0] = b[1];
        double[] mass = new double[n + 1];
        int[] nonZero = new int[n + 1];
        double[] massLogMass = new double[n + 1];
        for (int j = 0; j < n; j++) {
            mass[j + 1] = mass[j] + b[j];
            nonZero[j + 1] = nonZero[j] + (b[j] > 0 ? 1 : 0);
            massLogMass[j + 1] = massLogMass[j] + (b[j] > 0 ? b[j] * Math.log(b[j]) : 0);
        }
        // Suffix sums for the outliers, so that a small tail is not the difference of two large sums.
        double[] tail = new double[n + 1];
        for (int j = n - 1; j >= 0; j--) {
            tail[j] = tail[j + 1] + b[j];
        }
        double total = mass[n];
        double[] divergence = new double[n + 1];
        Arrays.fill(divergence, Double.NaN);
        double logTotal = Math.log(total);
        for (int i = ENTROPY_LEVELS; i <= n; i++) {
            double last = b[i - 1];
            double qTotal = mass[i];
            // Σ over non-empty bins j < i-1 of b_j · (ln b_j - ln total - ln q_j); divided by total below.
            double sum = massLogMass[i - 1] - mass[i - 1] * logTotal;
            double logQLast = LOG_EMPTY_Q;
            for (int level = 0; level < ENTROPY_LEVELS; level++) {
                int start = (level * i + ENTROPY_LEVELS - 1) / ENTROPY_LEVELS;
                int end = ((level + 1) * i + ENTROPY_LEVELS - 1) / ENTROPY_LEVELS;
                int bins = nonZero[end] - nonZero[start];
                if (bins == 0) {
                    continue;
                }
                // Summed afresh, not as a difference of prefix sums: tail levels are tiny next to the total.
                boolean lastLevel = level == ENTROPY_LEVELS - 1;
                double inner = 0;
                for (int j = start; j < (lastLevel ? i - 1 : end); j++) {
                    inner += b[j];
                }
                double logQ = Math.log((lastLevel ? inner + last : inner) / bins / qTotal);
                sum -= inner * logQ;
                if (lastLevel && last > 0) {
                    logQLast = logQ;
                }
            }
            double kl = sum / total;
            double pLast = (last + tail[i]) / total;
            if (pLast > 0) {
                kl += pLast * (Math.log(pLast) - logQLast);
            }
            divergence[i] = kl;
        }
        return divergence;
    }

    /** {@link #quantizationMse}'s model with prefix sums, so each range costs O(log bins). */
    private static final class ErrorModel {
        private final Magnitudes m;
        /** Bin centres, increasing. */
        private final double[] x;
        /** Prefix sums over bins {@code [0, k)}: count, count·x². */
        private final double[] below0;
        private final double[] below2;
        /** Suffix sums over bins {@code [k, end)}: count, count·x, count·x². */
        private final double[] above0;
        private final double[] above1;
        private final double[] above2;

        ErrorModel(Magnitudes m) {
            this.m = m;
            int bins = m.counts().length;
            x = new double[bins];
            for (int k = 0; k < bins; k++) {
                x[k] = (k + m.upper(k)) / 2;
            }
            below0 = new double[bins + 1];
            below2 = new double[bins + 1];
            for (int k = 0; k < bins; k++) {
                double c = m.counts()[k];
                below0[k + 1] = below0[k] + c;
                below2[k + 1] = below2[k] + c * x[k] * x[k];
            }
            above0 = new double[bins + 1];
            above1 = new double[bins + 1];
            above2 = new double[bins + 1];
            for (int k = bins - 1; k >= 0; k--) {
                double c = m.counts()[k];
                above0[k] = above0[k + 1] + c;
                above1[k] = above1[k + 1] + c * x[k];
                above2[k] = above2[k + 1] + c * x[k] * x[k];
            }
        }

        /** The mean squared error per value for a range {@code amax} in value units. */
        double mse(double amax) {
            double w = m.width();
            return errorSum(amax / w) * w * w / m.total();
        }

        /** The summed squared error, in squared bin units, for a range {@code a} in bin units. */
        private double errorSum(double a) {
            double step = a / INT8_MAX;
            int zero = atOrBelow(step / 2);
            int inRange = atOrBelow(a);
            double rounded = (below0[inRange] - below0[zero]) * step * step / 12;
            double clipped = above2[inRange] - 2 * a * above1[inRange] + a * a * above0[inRange];
            return below2[zero] + rounded + Math.max(0, clipped);
        }

        /** The number of bins whose centre is at most {@code t}. */
        private int atOrBelow(double t) {
            int lo = 0;
            int hi = x.length;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (x[mid] <= t) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }

        /** The range in bin units with the least error among the fine bin edges and the top; ties go up. */
        double best() {
            double best = m.top();
            double bestError = errorSum(best);
            for (int k = m.topBin(); k >= 1; k--) {
                double error = errorSum(k);
                if (error < bestError) {
                    best = k;
                    bestError = error;
                }
            }
            return best;
        }
    }
}
