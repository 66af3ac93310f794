package io.github.yoloslim.prune;

import io.github.yoloslim.prune.DropCurves.Shape;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.DoubleFunction;
import java.util.function.DoubleUnaryOperator;
import java.util.stream.Stream;

import static io.github.yoloslim.prune.DropCurves.BASELINE;
import static io.github.yoloslim.prune.DropCurves.TARGET;
import static io.github.yoloslim.prune.DropCurves.run;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.offset;

/**
 * The search's choice of ratios on cheap synthetic drop curves ({@link DropCurves}), with the real
 * {@link ChannelSelection} rounding a yolov8n-sized set of groups to multiples of 8 to tell models apart.
 */
class RatioSearchTest {

    /** The defaults: {@code maxRatio} 0.5, {@code searchSteps} 8, {@code searchResolution} 0.1. */
    private static final SearchSettings DEFAULTS = settings(8, 0.1);

    private static SearchSettings settings(int steps, double resolution) {
        return new SearchSettings(TARGET, 0.5, steps, resolution, null, null, false, Optional.empty());
    }

    static Stream<Arguments> curves() {
        List<Arguments> curves = new ArrayList<>();
        for (double answer : new double[] {0.01, 0.1, 0.4}) {
            for (Shape shape : List.of(Shape.LINEAR, Shape.QUADRATIC, Shape.KNEE, Shape.LOGISTIC)) {
                for (double noise : new double[] {0, 0.002}) {
                    curves.add(Arguments.of(shape, answer, noise));
                }
            }
        }
        return curves.stream();
    }

    @ParameterizedTest(name = "{0} curve, answer {1}, noise ±{2}")
    @MethodSource("curves")
    void landsWithinOneStepOfTheLargestPassingRatio(Shape shape, double answer, double amplitude) {
        DropCurves.Network network = DropCurves.yoloSized();
        DoubleUnaryOperator drop = network.byRatio(shape.curve(answer, amplitude, 0));
        List<Object> models = new ArrayList<>();
        RatioSearch search = run(DEFAULTS, drop, network::model, models);

        // The truth on the grid: the last ratio before the first failure, and the largest that passes at all. The
        // answer is in channels removed; rounding makes the ratio that removes them larger (0.019 removes 1%).
        double firstCrossing = DropCurves.firstCrossing(drop, 0.5);
        double lastPass = DropCurves.lastPass(drop, 0.5);
        assertThat(network.removedFraction(firstCrossing)).isCloseTo(answer, offset(0.1 * answer + 0.002));
        double chosen = search.passed().orElseThrow();
        // One step: the resolution (10%) below the answer, or the grid's 0.001 where that is coarser; ratios that
        // give the same model are the same answer.
        assertThat(chosen).isLessThanOrEqualTo(lastPass);
        assertThat(network.removedFraction(chosen))
                .isGreaterThanOrEqualTo(network.removedFraction(firstCrossing / 1.1 - 1 / RatioSearch.GRID));
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
        return new DropCurves.Network(groups, scores)::model;
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
        // 1/16 of maxRatio removes 2 channels of 64, which rounding restores: the search starts where it removes.
        assertThat(search.points().get(0).ratio()).isEqualTo(search.smallestReduction());
        assertThat(search.points().get(0).reason()).isEqualTo("start: the smallest reduction (1/16 of maxRatio "
                + "removes nothing after rounding)");
        assertThat(search.stop()).isEqualTo(RatioSearch.Stop.ROUNDING);
        assertThat((Map<?, ?>) modelOf.apply(search.passed().orElseThrow())).hasSize(2);
        assertThat((Map<?, ?>) modelOf.apply(search.failed().orElseThrow())).hasSize(3);
        assertThat(search.points()).anyMatch(p -> p.reason().contains("nearest ratio giving a model not yet "
                + "evaluated"));
    }

    @Test
    void stopsAtTheFirstEvaluationThatNarrowsTheBracketToTheResolution() {
        DropCurves.Network network = DropCurves.yoloSized();
        RatioSearch search = run(settings(20, 0.1), network.byRatio(f -> TARGET * Math.pow(f / 0.1, 2)),
                network::model, new ArrayList<>());
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
        RatioSearch search = run(DEFAULTS, r -> 0, DropCurves.yoloSized()::model, new ArrayList<>());
        assertThat(search.points()).extracting(RatioSearch.Point::ratio).containsExactly(0.031, 0.186, 0.5);
        assertThat(search.stop()).isEqualTo(RatioSearch.Stop.MAX_RATIO_PASSED);
        assertThat(search.passed()).hasValue(0.5);
    }

    @Test
    void aCollapseEverywhereGoesDownToTheSmallestReductionAndStops() {
        DoubleFunction<Object> modelOf = DropCurves.yoloSized()::model;
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
        DropCurves.Network network = DropCurves.yoloSized();
        RatioSearch search = run(settings(2, 0.1), network.byRatio(f -> TARGET * f / 0.4), network::model,
                new ArrayList<>());
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
