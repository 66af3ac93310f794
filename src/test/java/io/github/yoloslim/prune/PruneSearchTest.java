package io.github.yoloslim.prune;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.DatasetLoader;
import io.github.yoloslim.data.DatasetSpec;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.EvaluationSettings;
import io.github.yoloslim.eval.UnreadableImagePolicy;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.testing.SyntheticCoco;
import io.github.yoloslim.testing.TinyDetectors;
import io.github.yoloslim.testing.TinyDetectors.Box;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The search's bisection with real evaluations: "pruning" at a ratio yields a detector that finds the ground-truth
 * box exactly (mAP 1) up to a breaking ratio and one 8 px off (IoU 0.6, mAP 0.3) beyond it.
 */
class PruneSearchTest {

    @TempDir
    Path dir;

    private OnnxModel exact;
    private OnnxModel shifted;
    private Path modelFile;
    private Dataset dataset;
    private final List<Double> tried = new ArrayList<>();

    @BeforeEach
    void writeModelsAndData() throws Exception {
        Path images = SyntheticCoco.write(dir.resolve("data"), 3, 64);
        exact = detector(32);
        shifted = detector(40);
        modelFile = dir.resolve("model.onnx");
        exact.save(modelFile);
        dataset = DatasetLoader.load(new DatasetSpec(images, Optional.empty(), Optional.empty(), 0), List.of("person"))
                .dataset();
    }

    private static OnnxModel detector(float cx) {
        return OnnxModel.of(TinyDetectors.constant(64, 1, List.of("person"), 84, List.of(new Box(cx, 32, 32, 32, 0,
                0.9f))));
    }

    private Pruner.CandidateMaker breakingAbove(double breaking) {
        return settings -> {
            tried.add(settings.ratio());
            OnnxModel model = settings.ratio() <= breaking ? exact : shifted;
            long parameters = Math.round(1000 * (1 - settings.ratio()));
            return new Pruner.Candidate(settings, Map.of("g", new int[] {0}), model, List.of(), List.of(),
                    new ModelCost(parameters, parameters, 1), 0);
        };
    }

    private PruneSearch.Outcome search(double breaking, double target, boolean failWhenNoReduction) throws Exception {
        SearchSettings settings = new SearchSettings(target, 0.5, 5, new DatasetSpec(dir, Optional.empty(),
                Optional.empty(), 0), new EvaluationSettings(DecodeSettings.VALIDATION, ModelOverrides.NONE, 1, 0,
                UnreadableImagePolicy.FAIL), failWhenNoReduction);
        return new PruneSearch(ProgressListener.silent()).run(modelFile, new ModelCost(1000, 1000, 1), exact,
                breakingAbove(breaking), new SelectionSettings(0.1, -1, 1, 0, 1), settings, dataset, dir);
    }

    @Test
    void bisectsToTheLargestRatioWithinTheTarget() throws Exception {
        PruneSearch.Outcome outcome = search(0.2, 0.01, false);
        assertThat(tried).containsExactly(0.5, 0.25, 0.125, 0.19, 0.22);
        assertThat(outcome.chosen().settings().ratio()).isEqualTo(0.19);
        assertThat(outcome.report().chosenRatio()).isEqualTo(0.19);
        assertThat(outcome.report().baselineMap()).isEqualTo(1.0);
        assertThat(outcome.report().trials()).extracting(PruneReport.Trial::withinTarget)
                .containsExactly(false, false, true, true, false);
        assertThat(outcome.report().trials().get(0).drop()).isGreaterThan(0.5);
        assertThat(outcome.report().trials().get(2).parameterReduction()).isEqualTo(0.125);
        assertThat(outcome.report().verdict()).startsWith("ratio 0.190: parameters −19.0%");
    }

    @Test
    void maxRatioWithinTheTargetEndsAfterOneEvaluation() throws Exception {
        PruneSearch.Outcome outcome = search(0.9, 0.01, false);
        assertThat(tried).containsExactly(0.5);
        assertThat(outcome.chosen().settings().ratio()).isEqualTo(0.5);
    }

    @Test
    void noReductionWithinTheTargetKeepsTheModelUnprunedOrFailsWhenConfigured() throws Exception {
        PruneSearch.Outcome outcome = search(0, 0.01, false);
        assertThat(outcome.chosen().model()).isSameAs(exact);
        assertThat(outcome.chosen().removed()).isEmpty();
        assertThat(outcome.report().chosenRatio()).isNull();
        assertThat(outcome.report().verdict()).startsWith("no reduction within 0.010");

        assertThatThrownBy(() -> search(0, 0.01, true)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("no reduction within 0.010")
                .hasMessageContaining("<failWhenNoReduction>false</failWhenNoReduction>");
    }

    @Test
    void badSearchSettingsNameTheElement() {
        assertThatThrownBy(() -> new SearchSettings(-0.1, 0.5, 5, null, null, false))
                .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("<targetMapDrop>-0.1</targetMapDrop>");
        assertThatThrownBy(() -> new SearchSettings(0.02, 1, 5, null, null, false))
                .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("<maxRatio>1.0</maxRatio>");
        assertThatThrownBy(() -> new SearchSettings(0.02, 0.5, 0, null, null, false))
                .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("<searchSteps>0</searchSteps>");
    }
}
