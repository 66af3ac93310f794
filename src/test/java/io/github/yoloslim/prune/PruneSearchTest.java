package io.github.yoloslim.prune;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.DatasetLoader;
import io.github.yoloslim.data.DatasetSpec;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.EvaluationSettings;
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
 * The search with real evaluations: "pruning" at a ratio yields a detector that finds the ground-truth box exactly
 * (mAP 1) up to a breaking ratio and one 8 px off (IoU 0.6, mAP 0.3) beyond it.
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

    /** A network where every step of the search's grid removes one more channel. */
    private static Map<String, int[]> channelPerGridStep(SelectionSettings settings) {
        int removed = (int) Math.round(settings.ratio() * RatioSearch.GRID);
        return removed == 0 ? Map.of() : Map.of("g", java.util.stream.IntStream.range(0, removed).toArray());
    }

    private PruneSearch.Outcome search(double breaking, double target, boolean failWhenNoReduction) throws Exception {
        return search(breaking, target, failWhenNoReduction, PruneSearch.CandidateTraining.NONE);
    }

    private PruneSearch.Outcome search(double breaking, double target, boolean failWhenNoReduction,
            PruneSearch.CandidateTraining training) throws Exception {
        SearchSettings settings = new SearchSettings(target, 0.5, 8, 0.1, new DatasetSpec(dir, Optional.empty(),
                Optional.empty(), 0), new EvaluationSettings(DecodeSettings.VALIDATION, ModelOverrides.NONE, 1, 0,
                UnreadableImagePolicy.FAIL), failWhenNoReduction, Optional.empty());
        return new PruneSearch(ProgressListener.silent()).run(modelFile, new ModelCost(1000, 1000, 1), exact,
                breakingAbove(breaking), PruneSearchTest::channelPerGridStep, new SelectionSettings(0.1, -1, 1, 0, 1),
                settings, dataset, training);
    }

    /** Training that repairs every candidate up to {@code repairable}: the shifted detector becomes the exact one. */
    private static PruneSearch.CandidateTraining repairingUpTo(double repairable, List<Double> trained) {
        return candidate -> {
            trained.add(candidate.settings().ratio());
            OnnxModel model = candidate.settings().ratio() <= repairable ? detector(32) : candidate.model();
            return new PruneSearch.Trained(new Pruner.Candidate(candidate.settings(), candidate.removed(), model,
                    List.of("trained"), List.of(), candidate.cost(), candidate.seconds() + 2), 0.25, 2.0);
        };
    }

    @Test
    void withTrainingEveryCandidateIsTrainedBeforeItsEvaluationAndTheSearchGoesFurther() throws Exception {
        List<Double> trained = new ArrayList<>();
        PruneSearch.Outcome outcome = search(0.1, 0.01, false, repairingUpTo(0.3, trained));
        assertThat(trained).containsExactlyElementsOf(tried);
        double chosen = outcome.chosen().settings().ratio();
        // Pruned alone the detector breaks above 0.1; trained, it holds up to 0.3.
        assertThat(chosen).isBetween(0.3 / 1.1, 0.3);
        assertThat(outcome.chosen().notes()).containsExactly("trained");
        assertThat(outcome.report().trials()).allMatch(t -> t.distillationLoss() == 0.25
                && t.distillationSeconds() == 2.0 && t.withinTarget() == (t.ratio() <= 0.3));
        assertThat(outcome.report().distillation()).isNull();

        tried.clear();
        PruneSearch.Outcome untrained = search(0.1, 0.01, false);
        assertThat(untrained.chosen().settings().ratio()).isLessThanOrEqualTo(0.1);
        assertThat(untrained.report().trials()).allMatch(t -> t.distillationLoss() == null
                && t.distillationSeconds() == null);
    }

    /** A ranking named {@code name} whose candidates break above {@code breaking}. */
    private PruneSearch.Ranking ranking(String name, double penalty, double breaking, List<String> order) {
        Pruner.CandidateMaker breaks = breakingAbove(breaking);
        return new PruneSearch.Ranking(name, penalty, settings -> {
            order.add(name);
            return breaks.make(settings);
        }, PruneSearchTest::channelPerGridStep);
    }

    private PruneSearch.Outcome searchRankings(List<PruneSearch.Ranking> rankings) throws Exception {
        SearchSettings settings = new SearchSettings(0.01, 0.5, 8, 0.1, new DatasetSpec(dir, Optional.empty(),
                Optional.empty(), 0), new EvaluationSettings(DecodeSettings.VALIDATION, ModelOverrides.NONE, 1, 0,
                UnreadableImagePolicy.FAIL), false, Optional.empty());
        return new PruneSearch(ProgressListener.silent()).run(modelFile, new ModelCost(1000, 1000, 1), exact,
                rankings, new SelectionSettings(0.1, -1, 1, 0, 1), settings, dataset,
                PruneSearch.CandidateTraining.NONE);
    }

    @Test
    void aPenaltyPathCostsOneEvaluationPerStageUnlessTheStageReachesFurther() throws Exception {
        List<String> order = new ArrayList<>();
        PruneSearch.Outcome outcome = searchRankings(List.of(ranking("penalty 0.004", 0.004, 0.2, order),
                ranking("penalty 0.002", 0.002, 0.1, order), ranking("penalty 0.001", 0.001, 0.3, order)));
        PruneReport.Search report = outcome.report();
        List<PruneReport.Trial> trials = report.trials();
        long leaderTrials = order.stream().filter("penalty 0.004"::equals).count();
        // The leader is searched in full; the next stage fails where the leader failed and costs one evaluation.
        assertThat(order.subList(0, (int) leaderTrials)).containsOnly("penalty 0.004");
        assertThat(order.get((int) leaderTrials)).isEqualTo("penalty 0.002");
        assertThat(order.stream().filter("penalty 0.002"::equals)).hasSize(1);
        double leaderFailed = trials.stream().filter(t -> t.ranking().equals("penalty 0.004") && !t.withinTarget())
                .mapToDouble(PruneReport.Trial::ratio).min().orElseThrow();
        PruneReport.Trial challenger = trials.get((int) leaderTrials);
        assertThat(challenger.ratio()).isEqualTo(leaderFailed);
        assertThat(challenger.reason()).isEqualTo("start: where penalty 0.004 failed");
        assertThat(challenger.withinTarget()).isFalse();
        assertThat(challenger.penalty()).isEqualTo(0.002);
        // The last stage passes there, so it is searched on and wins.
        PruneReport.Trial third = trials.get((int) leaderTrials + 1);
        assertThat(third.ranking()).isEqualTo("penalty 0.001");
        assertThat(third.ratio()).isEqualTo(leaderFailed);
        assertThat(third.withinTarget()).isTrue();
        assertThat(report.chosenRanking()).isEqualTo("penalty 0.001");
        assertThat(outcome.chosen().settings().ratio()).isBetween(0.3 / 1.1, 0.3);
        assertThat(report.chosenRatio()).isEqualTo(outcome.chosen().settings().ratio());
        assertThat(report.curve()).extracting(PruneReport.CurvePoint::ratio).containsExactlyInAnyOrderElementsOf(
                trials.stream().filter(t -> t.ranking().equals("penalty 0.001")).map(PruneReport.Trial::ratio)
                        .toList());
        assertThat(report.stopped()).contains("penalty 0.002: failed where the leading ranking failed")
                .contains("penalty 0.004: " + RatioSearch.Stop.RESOLUTION.text());
        assertThat(report.verdict()).startsWith("penalty 0.001, ratio ");
        assertThat(trials).hasSize(order.size());
    }

    @Test
    void aLeaderThatPassesMaxRatioLeavesTheOtherStagesUntried() throws Exception {
        List<String> order = new ArrayList<>();
        PruneSearch.Outcome outcome = searchRankings(List.of(ranking("penalty 0.004", 0.004, 0.9, order),
                ranking("penalty 0.002", 0.002, 0.9, order)));
        assertThat(order).containsOnly("penalty 0.004");
        assertThat(outcome.report().chosenRanking()).isEqualTo("penalty 0.004");
        assertThat(outcome.report().stopped()).contains("penalty 0.002: not tried: penalty 0.004: "
                + RatioSearch.Stop.MAX_RATIO_PASSED.text());
    }

    @Test
    void findsTheLargestRatioWithinTheTargetAndReportsEveryTrial() throws Exception {
        PruneSearch.Outcome outcome = search(0.2, 0.01, false);
        PruneReport.Search report = outcome.report();
        // Brackets upwards from 1/16 of maxRatio by ×6, then narrows to within 10% below the breaking ratio.
        assertThat(tried).startsWith(0.031, 0.186, 0.5).doesNotHaveDuplicates();
        assertThat(report.trials()).extracting(PruneReport.Trial::ratio).containsExactlyElementsOf(tried);
        double chosen = outcome.chosen().settings().ratio();
        assertThat(chosen).isBetween(0.2 / 1.1, 0.2);
        assertThat(report.chosenRatio()).isEqualTo(chosen);
        assertThat(report.failedRatio()).isGreaterThan(0.2).isLessThanOrEqualTo(chosen * 1.1 + 0.0005);
        assertThat(report.stopped()).isEqualTo(RatioSearch.Stop.RESOLUTION.text());
        assertThat(report.baselineMap()).isEqualTo(1.0);
        assertThat(report.maxEvaluations()).isEqualTo(8);
        assertThat(report.smallestRatio()).isEqualTo(0.001);
        assertThat(report.trials()).allMatch(t -> t.withinTarget() == (t.ratio() <= 0.2))
                .allMatch(t -> t.withinTarget() ? t.drop() == 0 : t.drop() > 0.5)
                .allMatch(t -> t.parameterReduction() == t.ratio() && t.channelsRemoved() == 1)
                .allMatch(t -> !t.reason().isEmpty());
        assertThat(report.trials().get(0).reason()).isEqualTo("start: 1/16 of maxRatio");
        assertThat(report.curve()).extracting(PruneReport.CurvePoint::ratio).isSorted()
                .containsExactlyInAnyOrderElementsOf(tried);
        assertThat(report.chosenRanking()).isNull();
        assertThat(report.trials()).allMatch(t -> t.ranking() == null && t.penalty() == null);
        assertThat(report.verdict()).startsWith(String.format(java.util.Locale.ROOT, "ratio %.3f: parameters −%.1f%%",
                chosen, 100 * chosen)).endsWith("after " + tried.size() + " evaluations");
    }

    @Test
    void maxRatioWithinTheTargetEndsTheSearch() throws Exception {
        PruneSearch.Outcome outcome = search(0.9, 0.01, false);
        assertThat(tried).containsExactly(0.031, 0.186, 0.5);
        assertThat(outcome.chosen().settings().ratio()).isEqualTo(0.5);
        assertThat(outcome.report().stopped()).isEqualTo(RatioSearch.Stop.MAX_RATIO_PASSED.text());
        assertThat(outcome.report().failedRatio()).isNull();
    }

    @Test
    void noReductionWithinTheTargetKeepsTheModelUnprunedOrFailsWhenConfigured() throws Exception {
        PruneSearch.Outcome outcome = search(0, 0.01, false);
        assertThat(outcome.chosen().model()).isSameAs(exact);
        assertThat(outcome.chosen().removed()).isEmpty();
        assertThat(outcome.report().chosenRatio()).isNull();
        assertThat(outcome.report().verdict()).isEqualTo("no reduction within 0.010: the smallest ratio tried "
                + "(0.001) dropped mAP50-95 by 0.7000");
        assertThat(outcome.report().stopped()).isEqualTo(RatioSearch.Stop.SMALLEST_FAILED.text());
        assertThat(tried).last().isEqualTo(0.001);

        assertThatThrownBy(() -> search(0, 0.01, true)).isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("no reduction within 0.010")
                .hasMessageContaining("<failWhenNoReduction>false</failWhenNoReduction>");
    }

    @Test
    void badSearchSettingsNameTheElement() {
        assertThatThrownBy(() -> new SearchSettings(-0.1, 0.5, 5, 0.1, null, null, false, Optional.empty()))
                .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("<targetMapDrop>-0.1</targetMapDrop>");
        assertThatThrownBy(() -> new SearchSettings(0.02, 1, 5, 0.1, null, null, false, Optional.empty()))
                .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("<maxRatio>1.0</maxRatio>");
        assertThatThrownBy(() -> new SearchSettings(0.02, 0.5, 0, 0.1, null, null, false, Optional.empty()))
                .isInstanceOf(InvalidInputException.class).hasMessageStartingWith("<searchSteps>0</searchSteps>");
        assertThatThrownBy(() -> new SearchSettings(0.02, 0.5, 5, 1.5, null, null, false, Optional.empty()))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("<searchResolution>1.5</searchResolution>");
    }
}
