package io.github.yoloslim.prune;

import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.progress.ProgressListener;
import org.assertj.core.data.Percentage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Measured scores on x → p (3×3 + SiLU, 3→8) → a (1×1 + SiLU, 8→6) → b (3×3, 6→5), where a's channel 5 is an exact
 * copy of channel 4 (read by b with the same weights) and channel 3 is constant (zero weights).
 */
class ActivationImportanceTest {

    private static final int SIZE = 32;

    @TempDir
    Path temp;

    private int groupA;
    private ActivationImportance importance;

    private void measure() throws Exception {
        OnnxModel model = YoloGraphs.editInitializer(YoloGraphs.threeConvs(5, true, SIZE), "a/conv.weight", w -> {
            for (int c = 0; c < 8; c++) {
                w[5 * 8 + c] = w[4 * 8 + c];
                w[3 * 8 + c] = 0;
            }
            return w;
        });
        model = YoloGraphs.editInitializer(model, "a/conv.bias", bias -> {
            bias[5] = bias[4];
            return bias;
        });
        model = YoloGraphs.editInitializer(model, "b.weight", w -> {
            for (int o = 0; o < 5; o++) {
                System.arraycopy(w, (o * 6 + 4) * 9, w, (o * 6 + 5) * 9, 9);
            }
            return w;
        });
        ChannelDependencyAnalysis analysis = ChannelDependencyAnalysis.analyze(model);
        for (int g = 0; g < analysis.groups().size(); g++) {
            if (analysis.groups().get(g).members().get(0).conv().equals("a/conv")) {
                groupA = g;
            }
        }
        Set<String> tensors = ActivationImportance.tensors(model, analysis);
        List<Path> images = YoloGraphs.noiseImages(temp.resolve("images"), 4, SIZE, 3);
        YoloModelInfo info = YoloGraphs.info("images", SIZE, "b_output_0", 1, 5, SIZE, SIZE);
        Map<String, ChannelStatistics.TensorStatistics> statistics = ChannelStatistics.measure(model, info,
                new ArrayList<>(tensors), tensors, images, 1, UnreadableImagePolicy.SKIP, ImagePass.READ_BEFORE,
                ProgressListener.silent()).statistics();
        importance = new ActivationImportance(model, analysis, statistics);
    }

    @Test
    void varianceScoresAConstantChannelZeroAndCopiesAlike() throws Exception {
        measure();
        double[] scores = importance.scores(groupA, ImportanceCriterion.VARIANCE);
        double smallestOther = Math.min(scores[0], Math.min(scores[1], scores[2]));
        assertThat(smallestOther).isGreaterThan(0);
        assertThat(scores[3]).isLessThan(smallestOther * 1e-9);
        assertThat(scores[4]).isCloseTo(scores[5], Percentage.withPercentage(1e-6));
    }

    /**
     * One of two copies is nearly free to remove (the other predicts it); the second then costs tens of times more.
     */
    @Test
    void reconstructionRemovesOneCopyFirstAndThenValuesTheOther() throws Exception {
        measure();
        double[] scores = importance.scores(groupA, ImportanceCriterion.RECONSTRUCTION);
        double copyFirst = Math.min(scores[4], scores[5]);
        double copySecond = Math.max(scores[4], scores[5]);
        double smallestOther = Math.min(scores[0], Math.min(scores[1], scores[2]));
        assertThat(scores[3]).isLessThan(smallestOther * 1e-3);
        assertThat(copyFirst).isLessThan(smallestOther / 20);
        assertThat(copySecond).isGreaterThan(copyFirst * 20);
    }
}
