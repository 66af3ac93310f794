package io.github.yoloslim.prune;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.runtime.ImageBatches;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * Per-channel statistics of some activations over calibration images: the exact mean of every channel (the value
 * a removed channel most often contributes, which its consumers absorb into their bias) and, for the tensors asked
 * for, the channel covariance from sampled positions (how well the kept channels predict a removed one). Memory
 * holds one batch of activations, a sum per channel and a c×c matrix per tensor.
 */
final class ChannelStatistics {

    /** Positions per image and tensor that the covariance is estimated from. */
    static final int COVARIANCE_SAMPLES = 512;

    /**
     * One tensor's statistics.
     *
     * @param mean each channel's mean over all images and positions
     * @param covariance the channel covariance (c×c), or null when not measured
     */
    record TensorStatistics(double[] mean, DMatrixRMaj covariance) {
    }

    private ChannelStatistics() {
    }

    /**
     * The statistics of every measured tensor, and the images that could be read (the later passes of a prune run
     * on those).
     */
    record Measurement(Map<String, TensorStatistics> statistics, List<Path> readImages) {
    }

    /**
     * Measures {@code tensors} in one pass over {@code images}, the first pass of a prune: unreadable images are
     * skipped or fail as {@code policy} says.
     *
     * @param covarianceOf the tensors (a subset of {@code tensors}) whose covariance is wanted
     */
    static Measurement measure(OnnxModel model, YoloModelInfo info, List<String> tensors, Set<String> covarianceOf,
            List<Path> images, int threads, UnreadableImagePolicy policy, ImageBatches.Source source,
            ProgressListener listener) throws IOException, OrtException {
        Map<String, Accumulator> accumulators = new LinkedHashMap<>();
        BitSet read = ImagePass.run(model, info, new ArrayList<>(tensors), images, threads, policy, source, listener,
                (image, tensor, values, shape) -> accumulators.computeIfAbsent(tensor, k -> new Accumulator(
                        (int) shape[1], covarianceOf.contains(tensor))).add(values, tensor.hashCode() * 31L + image));
        Map<String, TensorStatistics> statistics = new LinkedHashMap<>();
        accumulators.forEach((tensor, accumulator) -> statistics.put(tensor, accumulator.statistics()));
        return new Measurement(statistics, read.stream().mapToObj(images::get).toList());
    }

    /** Channel means only, keyed by tensor, as {@link ChannelPruner#prune} takes them. */
    static Map<String, double[]> means(Map<String, TensorStatistics> statistics) {
        Map<String, double[]> means = new LinkedHashMap<>();
        statistics.forEach((tensor, stats) -> means.put(tensor, stats.mean()));
        return means;
    }

    private static final class Accumulator {
        final int channels;
        final double[] sum;
        long count;
        final DMatrixRMaj products;
        final double[] sampledSum;
        long sampled;

        Accumulator(int channels, boolean covariance) {
            this.channels = channels;
            this.sum = new double[channels];
            this.products = covariance ? new DMatrixRMaj(channels, channels) : null;
            this.sampledSum = new double[channels];
        }

        void add(FloatBuffer values, long seed) {
            int plane = values.remaining() / channels;
            for (int c = 0; c < channels; c++) {
                double total = 0;
                for (int i = c * plane; i < (c + 1) * plane; i++) {
                    total += values.get(i);
                }
                sum[c] += total;
            }
            count += plane;
            if (products == null) {
                return;
            }
            int samples = Math.min(plane, COVARIANCE_SAMPLES);
            SplittableRandom random = new SplittableRandom(seed);
            DMatrixRMaj block = new DMatrixRMaj(samples, channels);
            for (int s = 0; s < samples; s++) {
                int position = samples == plane ? s : random.nextInt(plane);
                for (int c = 0; c < channels; c++) {
                    double value = values.get(c * plane + position);
                    block.data[s * channels + c] = value;
                    sampledSum[c] += value;
                }
            }
            DMatrixRMaj inner = new DMatrixRMaj(channels, channels);
            CommonOps_DDRM.multInner(block, inner);
            CommonOps_DDRM.addEquals(products, inner);
            sampled += samples;
        }

        TensorStatistics statistics() {
            double[] mean = new double[channels];
            for (int c = 0; c < channels; c++) {
                mean[c] = sum[c] / count;
            }
            if (products == null) {
                return new TensorStatistics(mean, null);
            }
            DMatrixRMaj covariance = new DMatrixRMaj(channels, channels);
            for (int a = 0; a < channels; a++) {
                for (int b = 0; b < channels; b++) {
                    covariance.unsafe_set(a, b, products.unsafe_get(a, b) / sampled
                            - sampledSum[a] / sampled * (sampledSum[b] / sampled));
                }
            }
            return new TensorStatistics(mean, covariance);
        }
    }
}
