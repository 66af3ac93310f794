package io.github.yoloslim.prune;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.testing.OrtRuns;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LeastSquaresRecoveryTest {

    private static final int SIZE = 32;
    private static final long[] SHAPE = {1, 3, SIZE, SIZE};

    @TempDir
    Path temp;

    /**
     * {@code a} is a linear 1×1 Conv whose channels 4 and 5 are combinations of channels 0–3 (weights and biases
     * alike, so the relation also holds in the zero padding); {@code b} is a 3×3 Conv reading all six. Removing 4 and
     * 5 and re-solving {@code b} must reproduce the original output everywhere, border included; mean absorption
     * alone cannot.
     */
    @Test
    void reSolvedConsumerReproducesTheOriginalWhenRemovedChannelsAreLinearlyDependent() throws Exception {
        OnnxModel original = dependentChannels();
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(original);
        Map<String, int[]> removed = Map.of(group(analysis, "a"), new int[] {4, 5});
        List<Path> images = images(6);
        YoloModelInfo info = info();
        Map<String, double[]> means = ChannelStatistics.means(ChannelStatistics.measure(original, info,
                List.of("a_output_0"), Set.of(), images, 1, UnreadableImagePolicy.SKIP, ImagePass.READ_BEFORE,
                ProgressListener.silent()).statistics());
        OnnxModel absorbed = ChannelPruner.prune(original, analysis, removed, means).model();
        List<ChannelPruner.ConvChannels> consumers = ChannelPruner.convChannels(original, analysis, removed).values()
                .stream().filter(ChannelPruner.ConvChannels::losesInputs).toList();
        assertThat(consumers).extracting(ChannelPruner.ConvChannels::output).containsExactly("b_output_0");

        LeastSquaresRecovery.Result result = LeastSquaresRecovery.recover(original, absorbed, info, consumers, images,
                new RecoverySettings(RecoveryMethod.LEAST_SQUARES, 1e-9, 8), 1, ProgressListener.silent());

        assertThat(result.layers()).singleElement().satisfies(fit -> {
            assertThat(fit.errorBefore()).isGreaterThan(1e-3);
            assertThat(fit.errorAfter()).isLessThan(1e-8);
            assertThat(fit.unknowns()).isEqualTo(4 * 9 + 1);
        });
        float[] input = YoloGraphs.input(SHAPE, 11);
        float[] expected = OrtRuns.run(original, input, SHAPE);
        double recovered = YoloGraphs.maxAbsDiff(expected, OrtRuns.run(result.model(), input, SHAPE));
        double meansOnly = YoloGraphs.maxAbsDiff(expected, OrtRuns.run(absorbed, input, SHAPE));
        System.out.printf("least squares: max |recovered - original| = %.3g, means only %.3g%n", recovered, meansOnly);
        assertThat(recovered).isLessThan(1e-3);
        assertThat(meansOnly).isGreaterThan(0.1);
        assertThat(GraphView.floats(result.model().graphView().initializer("b.weight").orElseThrow()))
                .hasSize(5 * 4 * 9);
    }

    /**
     * Channels a sparsity-trained network has already zeroed are removed losslessly, and least squares keeps it so:
     * the absorbed start already fits exactly, and the ridge pulls towards it.
     */
    @Test
    void zeroedChannelsStayLossless() throws Exception {
        OnnxModel original = YoloGraphs.editInitializer(YoloGraphs.editInitializer(dependentChannels(), "a.weight",
                w -> {
                    Arrays.fill(w, 4 * 8, 6 * 8, 0f);
                    return w;
                }), "a.bias", bias -> {
                    bias[4] = 0;
                    bias[5] = 0;
                    return bias;
                });
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(original);
        Map<String, int[]> removed = Map.of(group(analysis, "a"), new int[] {4, 5});
        OnnxModel pruned = ChannelPruner.prune(original, analysis, removed, Map.of()).model();
        List<ChannelPruner.ConvChannels> consumers = ChannelPruner.convChannels(original, analysis, removed).values()
                .stream().filter(ChannelPruner.ConvChannels::losesInputs).toList();
        LeastSquaresRecovery.Result result = LeastSquaresRecovery.recover(original, pruned, info(), consumers,
                images(4), new RecoverySettings(RecoveryMethod.LEAST_SQUARES, 0.1, 8), 1, ProgressListener.silent());
        float[] input = YoloGraphs.input(SHAPE, 12);
        float[] expected = OrtRuns.run(original, input, SHAPE);
        assertThat(YoloGraphs.maxAbsDiff(expected, OrtRuns.run(pruned, input, SHAPE))).isLessThan(1e-5);
        assertThat(YoloGraphs.maxAbsDiff(expected, OrtRuns.run(result.model(), input, SHAPE))).isLessThan(1e-4);
        assertThat(result.layers()).singleElement().satisfies(fit -> assertThat(fit.errorAfter()).isLessThan(1e-9));
    }

    /** The same images and settings give the same weights, bit for bit, whatever the thread count. */
    @Test
    void deterministic() throws Exception {
        OnnxModel original = dependentChannels();
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(original);
        Map<String, int[]> removed = Map.of(group(analysis, "a"), new int[] {0, 5});
        OnnxModel pruned = ChannelPruner.prune(original, analysis, removed, Map.of()).model();
        List<ChannelPruner.ConvChannels> consumers = new ArrayList<>(ChannelPruner.convChannels(original, analysis,
                removed).values().stream().filter(ChannelPruner.ConvChannels::losesInputs).toList());
        List<Path> images = images(3);
        RecoverySettings settings = new RecoverySettings(RecoveryMethod.LEAST_SQUARES, 0.1, 2);
        byte[] one = LeastSquaresRecovery.recover(original, pruned, info(), consumers, images, settings, 1,
                ProgressListener.silent()).model().toBytes();
        byte[] two = LeastSquaresRecovery.recover(original, pruned, info(), consumers, images, settings, 2,
                ProgressListener.silent()).model().toBytes();
        assertThat(two).isEqualTo(one);
    }

    @Test
    void badSettingsNameTheElement() {
        assertThatThrownBy(() -> new RecoverySettings(RecoveryMethod.LEAST_SQUARES, 0, 8))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("<ridge>0.0</ridge>");
        assertThatThrownBy(() -> new RecoverySettings(RecoveryMethod.LEAST_SQUARES, 0.1, 0))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("<rowsPerUnknown>0</rowsPerUnknown>");
        assertThatThrownBy(() -> RecoveryMethod.parse("lsq", "recovery"))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("least-squares");
    }

    /**
     * x → p (3×3 Conv + SiLU, 3→8) → a (linear 1×1, 8→6, channels 4 and 5 linear in 0–3) → b (3×3, 6→5) → output.
     * {@code p} makes a's kept channels linearly independent (a 1×1 map of the 3 image channels would not be).
     */
    static OnnxModel dependentChannels() {
        OnnxModel model = YoloGraphs.threeConvs(3, false, SIZE);
        model = YoloGraphs.editInitializer(model, "a.weight", w -> {
            for (int c = 0; c < 8; c++) {
                w[4 * 8 + c] = 0.5f * w[c] + w[8 + c];
                w[5 * 8 + c] = w[2 * 8 + c] - 2 * w[3 * 8 + c];
            }
            return w;
        });
        return YoloGraphs.editInitializer(model, "a.bias", bias -> {
            bias[4] = 0.5f * bias[0] + bias[1];
            bias[5] = bias[2] - 2 * bias[3];
            return bias;
        });
    }

    private static String group(ChannelDependencyAnalysis analysis, String conv) {
        return analysis.groups().stream().filter(group -> group.members().get(0).conv().equals(conv)).findFirst()
                .orElseThrow().name();
    }

    private List<Path> images(int count) throws IOException {
        return YoloGraphs.noiseImages(temp.resolve("images" + count), count, SIZE, 7);
    }

    private static YoloModelInfo info() {
        return YoloGraphs.info("images", SIZE, "b_output_0", 1, 5, SIZE, SIZE);
    }
}
