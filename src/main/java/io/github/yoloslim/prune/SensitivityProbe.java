package io.github.yoloslim.prune;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.OutputLayout;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.progress.ProgressListener;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How much the detections move per unit of layer error, per group: the downstream amplification that a layer's
 * relative error alone does not show (an error next to the Detect head moves boxes directly; one early in the
 * backbone is partly washed out). Each group in turn loses its {@link #FRACTION} lowest-scored channels (means
 * absorbed, no least squares: a probe, not a result), the model runs on a few calibration images, and the
 * detection distortion is divided by the layer error those channels predict.
 *
 * <p>Detection distortion is measured on the candidates that matter: anchors whose best class scores at least
 * {@link #RELEVANT_SCORE} in the original, as {@code 1 − IoU} of the box plus the change of that class's score.
 */
final class SensitivityProbe {

    /** The share of a group's channels each probe removes. */
    static final double FRACTION = 0.25;
    /** Images the probe runs on. */
    static final int IMAGES = 16;
    private static final double RELEVANT_SCORE = 0.05;

    private SensitivityProbe() {
    }

    /**
     * One factor per group (in the analysis's order), scaled so that their median is 1.
     *
     * @param layerError per group, the relative layer error of removing each channel alone (the measured criterion's
     *     cost before dividing by parameters), used to predict the probe's layer error
     * @param scores per group, the channel scores whose lowest the probe removes
     */
    static double[] measure(OnnxModel model, YoloModelInfo info, ChannelDependencyAnalysis analysis,
            Map<String, double[]> scores, Map<String, double[]> layerError, Map<String, double[]> means,
            List<Path> images, int threads, ProgressListener listener) throws IOException, OrtException {
        long start = System.nanoTime();
        List<Path> probeImages = images.subList(0, Math.min(IMAGES, images.size()));
        List<float[]> reference = outputs(model, info, probeImages, threads);
        List<ChannelGroup> groups = analysis.groups();
        double[] factors = new double[groups.size()];
        for (int g = 0; g < groups.size(); g++) {
            ChannelGroup group = groups.get(g);
            double[] groupScores = scores.get(group.name());
            int count = Math.max(1, (int) Math.round(FRACTION * group.size()));
            Integer[] order = new Integer[group.size()];
            Arrays.setAll(order, j -> j);
            Arrays.sort(order, Comparator.comparingDouble((Integer j) -> groupScores[j]).thenComparingInt(j -> j));
            int[] removed = Arrays.stream(order, 0, count).mapToInt(Integer::intValue).sorted().toArray();
            double predicted = 0;
            for (int j : removed) {
                predicted += layerError.get(group.name())[j];
            }
            OnnxModel pruned = ChannelPruner.prune(model, analysis, Map.of(group.name(), removed), means).model();
            List<float[]> probed = outputs(pruned, info, probeImages, threads);
            double distortion = 0;
            for (int i = 0; i < probed.size(); i++) {
                distortion += distortion(reference.get(i), probed.get(i), info);
            }
            distortion /= probed.size();
            factors[g] = distortion / Math.max(predicted, 1e-12);
            listener.detail(String.format(Locale.ROOT, "  sensitivity %-40s removing %d: layer error %.4f, "
                    + "detection distortion %.4f", group.name(), count, predicted, distortion));
        }
        double[] sorted = factors.clone();
        Arrays.sort(sorted);
        double median = sorted[sorted.length / 2];
        for (int g = 0; g < factors.length; g++) {
            factors[g] = median > 0 ? factors[g] / median : 1;
        }
        listener.stage(String.format(Locale.ROOT, "Measured the sensitivity of %d groups on %d images in %.1f s "
                + "(factors %.2f to %.2f of the median)", groups.size(), probeImages.size(),
                (System.nanoTime() - start) / 1e9, sorted[0] / Math.max(median, 1e-12),
                sorted[sorted.length - 1] / Math.max(median, 1e-12)));
        return factors;
    }

    private static List<float[]> outputs(OnnxModel model, YoloModelInfo info, List<Path> images, int threads)
            throws IOException, OrtException {
        List<float[]> outputs = new ArrayList<>();
        ImagePass.run(model, info, List.of(info.outputName()), images, threads, (image, tensor, values, shape) -> {
            float[] copy = new float[values.remaining()];
            values.get(copy);
            outputs.add(copy);
        });
        return outputs;
    }

    /** Mean over relevant anchors of (1 − IoU) plus |Δ score of the original's best class|. */
    static double distortion(float[] original, float[] probed, YoloModelInfo info) {
        int attributes = 4 + info.numClasses();
        int anchors = original.length / attributes;
        boolean attributesFirst = info.layout() == OutputLayout.ATTRIBUTES_FIRST;
        double total = 0;
        int relevant = 0;
        for (int a = 0; a < anchors; a++) {
            int best = 0;
            double bestScore = -1;
            for (int c = 0; c < info.numClasses(); c++) {
                double score = at(original, attributesFirst, anchors, attributes, a, 4 + c);
                if (score > bestScore) {
                    bestScore = score;
                    best = c;
                }
            }
            if (bestScore < RELEVANT_SCORE) {
                continue;
            }
            relevant++;
            double[] boxA = new double[4];
            double[] boxB = new double[4];
            for (int k = 0; k < 4; k++) {
                boxA[k] = at(original, attributesFirst, anchors, attributes, a, k);
                boxB[k] = at(probed, attributesFirst, anchors, attributes, a, k);
            }
            total += 1 - iou(boxA, boxB) + Math.abs(bestScore - at(probed, attributesFirst, anchors, attributes, a,
                    4 + best));
        }
        return relevant == 0 ? 0 : total / relevant;
    }

    private static double at(float[] output, boolean attributesFirst, int anchors, int attributes, int anchor,
            int attribute) {
        return attributesFirst ? output[attribute * anchors + anchor] : output[anchor * attributes + attribute];
    }

    /** IoU of two (cx, cy, w, h) boxes. */
    private static double iou(double[] a, double[] b) {
        double w = Math.min(a[0] + a[2] / 2, b[0] + b[2] / 2) - Math.max(a[0] - a[2] / 2, b[0] - b[2] / 2);
        double h = Math.min(a[1] + a[3] / 2, b[1] + b[3] / 2) - Math.max(a[1] - a[3] / 2, b[1] - b[3] / 2);
        double intersection = Math.max(0, w) * Math.max(0, h);
        double union = a[2] * a[3] + b[2] * b[3] - intersection;
        return union > 0 ? intersection / union : 0;
    }
}
