package io.github.yoloslim.prune;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.function.DoubleFunction;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/**
 * The search's choice of ratios on cheap synthetic drop curves (mAP as a function of the ratio), with the real
 * {@link ChannelSelection} rounding a yolov8n-sized set of groups to multiples of 8 to tell models apart.
 */
class RatioSearchTest {

    private static final double BASELINE = 0.39;
    private static final double TARGET = 0.03;
    /** The defaults: {@code maxRatio} 0.5, {@code searchSteps} 8, {@code searchResolution} 0.1. */
    private static final SearchSettings DEFAULTS = settings(8, 0.1);

    private static SearchSettings settings(int steps, double resolution) {
        return new SearchSettings(TARGET, 0.5, steps, resolution, null, null, false);
    }

    /** 60 groups of 16 to 256 channels (4 960 in all, as yolov8n's 59), random scores, the default floors. */
    private static DoubleFunction<Object> yoloSizedSelection() {
        int[] sizes = {16, 32, 64, 128, 256, 32, 64, 128, 160, 16, 32, 64};
        List<ChannelGroup> groups = new ArrayList<>();
        Map<String, double[]> scores = new LinkedHashMap<>();
        Random random = new Random(7);
        int total = 0;
        for (int g = 0; g < 60; g++) {
            int size = sizes[g % sizes.length];
            groups.add(new ChannelGroup("g" + g, size, List.of()));
            double[] s = new double[size];
            for (int j = 0; j < size; j++) {
                s[j] = 0.2 + random.nextDouble() * (1 + g % 5);
            }
            double mean = java.util.Arrays.stream(s).average().orElseThrow();
            for (int j = 0; j < size; j++) {
                s[j] /= mean;
            }
            scores.put("g" + g, s);
            total += size;
        }
        assertThat(total).isEqualTo(4960);
        SelectionSettings floors = new SelectionSettings(0, -1, 8, 0.25, 8);
        return ratio -> PruneSearch.modelKey(ChannelSelection.select(groups, scores, scores, floors.withRatio(ratio))
                .removed());
    }

    /** Runs a search to its end; the models evaluated are collected in {@code models}. */
    private static RatioSearch run(SearchSettings settings, DoubleUnaryOperator drop, DoubleFunction<Object> modelOf,
            List<Object> models) {
        RatioSearch search = new RatioSearch(BASELINE, settings, modelOf);
        Optional<RatioSearch.Proposal> next;
        while ((next = search.next()).isPresent()) {
            models.add(modelOf.apply(next.get().ratio()));
            search.record(BASELINE - drop.applyAsDouble(next.get().ratio()));
        }
        return search;
    }

    /** Deterministic noise of at most ±{@code amplitude} per ratio. */
    private static double noise(double ratio, double amplitude) {
        return amplitude * (2 * new Random(Double.doubleToLongBits(ratio)).nextDouble() - 1);
    }

    /** Drop curves whose noiseless largest passing ratio is {@code answer}: mAP lost as the ratio grows. */
    static Stream<Arguments> curves() {
        List<Arguments> curves = new ArrayList<>();
        for (double answer : new double[] {0.01, 0.1, 0.4}) {
            for (double noise : new double[] {0, 0.002}) {
                curves.add(Arguments.of("linear", answer, noise, (DoubleUnaryOperator) r -> Math.min(BASELINE,
                        TARGET * r / answer)));
                curves.add(Arguments.of("quadratic", answer, noise, (DoubleUnaryOperator) r -> Math.min(BASELINE,
                        TARGET * Math.pow(r / answer, 2))));
                // Lossless up to 70% of the answer, then steep (a sparsity-trained network's zeroed channels).
                curves.add(Arguments.of("knee", answer, noise, (DoubleUnaryOperator) r -> r < 0.7 * answer ? 0
                        : Math.min(BASELINE, TARGET * Math.pow((r - 0.7 * answer) / (0.3 * answer), 2))));
                // A collapse: mAP falls to nothing within a few multiples of the answer.
                curves.add(Arguments.of("logistic", answer, noise, (DoubleUnaryOperator) r -> {
                    double width = answer / 4;
                    double middle = answer + width * Math.log(BASELINE / TARGET - 1);
                    return BASELINE / (1 + Math.exp(-(r - middle) / width))
                            - BASELINE / (1 + Math.exp(middle / width));
                }));
            }
        }
        return curves.stream();
    }

    @ParameterizedTest(name = "{0} curve, answer {1}, noise ±{2}")
    @MethodSource("curves")
    void landsWithinOneStepOfTheLargestPassingRatio(String shape, double answer, double amplitude,
            DoubleUnaryOperator curve) {
        DoubleUnaryOperator drop = r -> Math.max(0, curve.applyAsDouble(r) + noise(r, amplitude));
        DoubleFunction<Object> modelOf = yoloSizedSelection();
        List<Object> models = new ArrayList<>();
        RatioSearch search = run(DEFAULTS, drop, modelOf, models);

        // The truth on the grid: the last ratio before the first failure, and the largest that passes at all.
        double firstCrossing = 0;
        double lastPass = 0;
        boolean failedBefore = false;
        for (int i = 1; i <= 500; i++) {
            boolean passes = drop.applyAsDouble(i / RatioSearch.GRID) <= TARGET;
            failedBefore |= !passes;
            firstCrossing = passes && !failedBefore ? i / RatioSearch.GRID : firstCrossing;
            lastPass = passes ? i / RatioSearch.GRID : lastPass;
        }
        assertThat(firstCrossing).isCloseTo(answer, offset(amplitude > 0 ? 0.1 * answer : 0.01 * answer + 1 / RatioSearch.GRID));
        double chosen = search.passed().orElseThrow();
        // One step: the resolution (10%) below the answer, or the grid's 0.001 where that is coarser.
        assertThat(chosen).isBetween(firstCrossing / 1.1 - 1 / RatioSearch.GRID, lastPass);
        assertThat(search.stop()).isIn(RatioSearch.Stop.RESOLUTION, RatioSearch.Stop.ROUNDING);
        assertThat(search.points()).hasSizeLessThanOrEqualTo(DEFAULTS.steps());
        assertThat(new HashSet<>(models)).hasSameSizeAs(models);
    }

    /** Four groups of 16 channels, kept in multiples of 8: halving one, two, three or all four are the only models. */
    private static DoubleFunction<Object> fourCoarseGroups() {
        List<ChannelGroup> groups = new ArrayList<>();
        Map<String, double[]> scores = new LinkedHashMap<>();
        for (int g = 0; g < 4; g++) {
            groups.add(new ChannelGroup("g" + g, 16, List.of()));
            double[] s = new double[16];
            for (int j = 0; j < 16; j++) {
                s[j] = 0.5 + j / 15.0 + g * 0.01;
            }
            scores.put("g" + g, s);
        }
        SelectionSettings floors = new SelectionSettings(0, -1, 8, 0.25, 8);
        return ratio -> PruneSearch.modelKey(ChannelSelection.select(groups, scores, scores, floors.withRatio(ratio))
                .removed());
    }

    @Test
    void neverEvaluatesAModelTwiceAndStopsWhenTheRoundingLeavesNoModelBetween() {
        DoubleFunction<Object> modelOf = fourCoarseGroups();
        Set<Object> distinct = new HashSet<>();
        for (int i = 0; i <= 500; i++) {
            distinct.add(modelOf.apply(i / RatioSearch.GRID));
        }
        assertThat(distinct).hasSize(5);
        // Fails from the third halved group on (12.5% of the channels each): the answer is two groups.
        DoubleUnaryOperator drop = r -> ((Map<?, ?>) modelOf.apply(r)).size() >= 3 ? 0.05 : 0.01;
        List<Object> models = new ArrayList<>();
        RatioSearch search = run(settings(8, 0), drop, modelOf, models);

        assertThat(new HashSet<>(models)).hasSameSizeAs(models);
        assertThat(search.stop()).isEqualTo(RatioSearch.Stop.ROUNDING);
        assertThat((Map<?, ?>) modelOf.apply(search.passed().orElseThrow())).hasSize(2);
        assertThat((Map<?, ?>) modelOf.apply(search.failed().orElseThrow())).hasSize(3);
        assertThat(search.points()).anyMatch(p -> p.reason().contains("nearest ratio giving a model not yet "
                + "evaluated"));
    }

    @Test
    void stopsAtTheFirstEvaluationThatNarrowsTheBracketToTheResolution() {
        RatioSearch search = run(settings(20, 0.1), r -> TARGET * Math.pow(r / 0.1, 2), yoloSizedSelection(),
                new ArrayList<>());
        assertThat(search.stop()).isEqualTo(RatioSearch.Stop.RESOLUTION);
        double passed = search.passed().orElseThrow();
        double failed = search.failed().orElseThrow();
        assertThat(failed).isLessThanOrEqualTo(passed * 1.1 + 0.5 / RatioSearch.GRID);
        // Without the last point the bracket was still wider.
        List<RatioSearch.Point> before = search.points().subList(0, search.points().size() - 1);
        double passedBefore = before.stream().filter(RatioSearch.Point::withinTarget)
                .mapToDouble(RatioSearch.Point::ratio).max().orElse(0);
        double failedBefore = before.stream().filter(p -> !p.withinTarget()).mapToDouble(RatioSearch.Point::ratio)
                .min().orElse(1);
        assertThat(failedBefore).isGreaterThan(passedBefore * 1.1 + 0.5 / RatioSearch.GRID);
        assertThat(search.points()).first().extracting(RatioSearch.Point::ratio).isEqualTo(0.031);
        assertThat(search.points()).first().extracting(RatioSearch.Point::reason)
                .isEqualTo("start: 1/16 of maxRatio");
    }

    @Test
    void aLosslessCurveBracketsUpToMaxRatioAndStops() {
        RatioSearch search = run(DEFAULTS, r -> 0, yoloSizedSelection(), new ArrayList<>());
        assertThat(search.points()).extracting(RatioSearch.Point::ratio).containsExactly(0.031, 0.124, 0.5);
        assertThat(search.stop()).isEqualTo(RatioSearch.Stop.MAX_RATIO_PASSED);
        assertThat(search.passed()).hasValue(0.5);
    }

    @Test
    void aCollapseEverywhereGoesDownToTheSmallestReductionAndStops() {
        DoubleFunction<Object> modelOf = yoloSizedSelection();
        RatioSearch search = run(DEFAULTS, r -> BASELINE, modelOf, new ArrayList<>());
        double smallest = search.smallestReduction();
        assertThat(((Map<?, ?>) modelOf.apply(smallest))).isNotEmpty();
        assertThat(((Map<?, ?>) modelOf.apply(smallest - 1 / RatioSearch.GRID))).isEmpty();
        // The last ratio tried gives the smallest reduction's model.
        assertThat(modelOf.apply(search.points().get(search.points().size() - 1).ratio()))
                .isEqualTo(modelOf.apply(smallest));
        assertThat(search.points()).allMatch(p -> !p.withinTarget()).hasSizeLessThanOrEqualTo(4);
        assertThat(search.stop()).isEqualTo(RatioSearch.Stop.SMALLEST_FAILED);
        assertThat(search.passed()).isEmpty();
    }

    @Test
    void theBudgetEndsTheSearchWithTheLargestPassSoFar() {
        RatioSearch search = run(settings(2, 0.1), r -> TARGET * r / 0.4, yoloSizedSelection(), new ArrayList<>());
        assertThat(search.points()).hasSize(2);
        assertThat(search.stop()).isEqualTo(RatioSearch.Stop.BUDGET);
        assertThat(search.passed()).hasValue(search.points().get(1).ratio());
    }

    @Test
    void nothingToRemoveUpToMaxRatioEvaluatesNothing() {
        RatioSearch search = run(DEFAULTS, r -> 0, r -> Map.of(), new ArrayList<>());
        assertThat(search.points()).isEmpty();
        assertThat(search.stop()).isEqualTo(RatioSearch.Stop.NOTHING_TO_REMOVE);
        assertThat(search.smallestReduction()).isNaN();
    }
}
