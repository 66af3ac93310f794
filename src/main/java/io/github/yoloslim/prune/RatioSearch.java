package io.github.yoloslim.prune;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.function.DoubleFunction;

/**
 * Chooses the ratios the prune search evaluates, one at a time, from the mAP each earlier ratio measured: ask
 * {@link #next}, evaluate, {@link #record}. It holds no models, so tests run it on synthetic drop curves.
 *
 * <p>The first ratio is small (1/16 of {@code maxRatio}): a small prune's drop is measurable without the model
 * collapsing, so it says how steep the curve is. Each later ratio aims at the target on a fitted curve: with
 * y = −ln(mAP / unpruned mAP) (the drop, unsaturated: it grows without bound as mAP goes to 0), y ∝ ratio^k
 * through the two measured points nearest the target, k = 1 while only one is known. Aims are safeguarded: at
 * most ×6 (÷6) beyond the last ratio while only passes (failures) are known, inside the bracket between the
 * largest passing and smallest failing ratio otherwise, at least the resolution away from its ends, and a
 * geometric bisection whenever the curve cannot be fitted or the bracket did not halve in two evaluations.
 *
 * <p>Ratios lie on a grid of 1/1000 from the smallest that removes a channel after rounding up to
 * {@code maxRatio}. Ratios whose selections are equal give the same model; an aim whose model was already
 * evaluated moves to the nearest grid ratio inside the bracket whose model was not, and when there is none the
 * search has found everything the rounding can distinguish.
 */
final class RatioSearch {

    /** Ratios tried lie on this grid (1/1000), so that a report's ratios read plainly. */
    static final double GRID = 1000;

    /**
     * While only one side of the target is known, the next ratio is at most this factor beyond the last: with the
     * start below, the fewest evaluations on SearchBenchmark's synthetic curves (the prune docs give the table).
     */
    static final double MAX_FACTOR = 6;

    /** The first ratio is {@code maxRatio} divided by this. */
    static final double START_DIVISOR = 16;

    /** An aimed ratio stays this fraction of the bracket's logarithmic width away from either end. */
    private static final double MARGIN = 0.15;

    /** Why the search stopped. */
    enum Stop {
        MAX_RATIO_PASSED("maxRatio is within the target: nothing larger to try"),
        SMALLEST_FAILED("even the smallest reduction the rounding allows is beyond the target"),
        NOTHING_TO_REMOVE("no ratio up to maxRatio removes a channel after rounding to roundTo"),
        RESOLUTION("the smallest failing ratio is within searchResolution of the largest passing one"),
        ROUNDING("no other model lies between the largest passing and the smallest failing ratio after rounding "
                + "to roundTo"),
        BUDGET("searchSteps evaluations spent");

        private final String text;

        Stop(String text) {
            this.text = text;
        }

        String text() {
            return text;
        }
    }

    /** A ratio to evaluate and why it was chosen. */
    record Proposal(double ratio, String reason) {
    }

    /** An evaluated ratio. */
    record Point(double ratio, double map, double drop, boolean withinTarget, String reason) {
    }

    private final double baselineMap;
    private final SearchSettings settings;
    private final DoubleFunction<?> modelOf;
    private final Map<Double, Object> models = new HashMap<>();
    private final Set<Object> evaluatedModels = new HashSet<>();
    private final List<Point> points = new ArrayList<>();
    /** The bracket's logarithmic width after each evaluation; infinite while one side is unknown. */
    private final List<Double> widths = new ArrayList<>();
    private final Proposal start;
    private double smallest = Double.NaN;
    private Proposal pending;
    private Stop stop;

    /**
     * @param modelOf what identifies the model a ratio gives (its selection); equal for equal models
     */
    RatioSearch(double baselineMap, SearchSettings settings, DoubleFunction<?> modelOf) {
        this(baselineMap, settings, modelOf, null);
    }

    /**
     * @param start the first ratio to evaluate and why, instead of 1/16 of {@code maxRatio}; null for that
     */
    RatioSearch(double baselineMap, SearchSettings settings, DoubleFunction<?> modelOf, Proposal start) {
        this.baselineMap = baselineMap;
        this.settings = settings;
        this.modelOf = modelOf;
        this.start = start;
        evaluatedModels.add(model(0));
    }

    /** The next ratio to evaluate, or empty when the search is done ({@link #stop} says why). */
    Optional<Proposal> next() {
        if (pending != null) {
            throw new IllegalStateException("record the evaluation of ratio " + pending.ratio() + " first");
        }
        if (stop == null) {
            stop = stopBeforeAiming();
        }
        if (stop != null) {
            return Optional.empty();
        }
        Proposal aim = aim();
        OptionalDouble ratio = untriedNear(aim.ratio());
        if (ratio.isEmpty()) {
            stop = Stop.ROUNDING;
            return Optional.empty();
        }
        String reason = aim.reason();
        if (onGrid(aim.ratio()) != ratio.getAsDouble()) {
            reason += String.format(Locale.ROOT, "; %.3f is the nearest ratio giving a model not yet evaluated",
                    ratio.getAsDouble());
        }
        pending = new Proposal(ratio.getAsDouble(), reason);
        return Optional.of(pending);
    }

    /** Records what the last proposed ratio's model scored. */
    Point record(double map) {
        if (pending == null) {
            throw new IllegalStateException("no ratio proposed");
        }
        double drop = baselineMap - map;
        Point point = new Point(pending.ratio(), map, drop, drop <= settings.targetMapDrop(), pending.reason());
        points.add(point);
        evaluatedModels.add(model(point.ratio()));
        pending = null;
        OptionalDouble passed = passed();
        OptionalDouble failed = failed();
        widths.add(passed.isPresent() && failed.isPresent()
                ? Math.log(failed.getAsDouble() / passed.getAsDouble()) : Double.POSITIVE_INFINITY);
        return point;
    }

    List<Point> points() {
        return List.copyOf(points);
    }

    /** Why the search stopped; null while it runs. */
    Stop stop() {
        return stop;
    }

    /** The largest ratio within the target. */
    OptionalDouble passed() {
        return points.stream().filter(Point::withinTarget).mapToDouble(Point::ratio).max();
    }

    /** The smallest ratio beyond the target. */
    OptionalDouble failed() {
        return points.stream().filter(p -> !p.withinTarget()).mapToDouble(Point::ratio).min();
    }

    /** The smallest ratio that removes anything after rounding, NaN when none up to {@code maxRatio} does. */
    double smallestReduction() {
        if (Double.isNaN(smallest)) {
            Object unpruned = model(0);
            for (double ratio : grid(1 / GRID, settings.maxRatio())) {
                if (!model(ratio).equals(unpruned)) {
                    smallest = ratio;
                    break;
                }
            }
        }
        return smallest;
    }

    private Stop stopBeforeAiming() {
        if (Double.isNaN(smallestReduction())) {
            return Stop.NOTHING_TO_REMOVE;
        }
        OptionalDouble passed = passed();
        OptionalDouble failed = failed();
        if (passed.isPresent() && model(passed.getAsDouble()).equals(model(settings.maxRatio()))) {
            return Stop.MAX_RATIO_PASSED;
        }
        if (failed.isPresent() && model(failed.getAsDouble()).equals(model(smallest))) {
            return Stop.SMALLEST_FAILED;
        }
        // Half a grid step of slack: an aim at the resolution's edge was rounded to the grid.
        if (passed.isPresent() && failed.isPresent()
                && failed.getAsDouble() <= passed.getAsDouble() * (1 + settings.resolution()) + 0.5 / GRID) {
            return Stop.RESOLUTION;
        }
        if (points.size() >= settings.steps()) {
            return Stop.BUDGET;
        }
        return null;
    }

    private Proposal aim() {
        if (points.isEmpty() && this.start != null) {
            return new Proposal(Math.max(this.start.ratio(), smallest), this.start.reason());
        }
        if (points.isEmpty()) {
            double start = settings.maxRatio() / START_DIVISOR;
            return start >= smallest
                    ? new Proposal(start, String.format(Locale.ROOT, "start: 1/%.0f of maxRatio", START_DIVISOR))
                    : new Proposal(smallest, String.format(Locale.ROOT, "start: the smallest reduction (1/%.0f of "
                            + "maxRatio removes nothing after rounding)", START_DIVISOR));
        }
        OptionalDouble passed = passed();
        OptionalDouble failed = failed();
        double resolution = 1 + settings.resolution();
        Fit fit = fit();
        if (failed.isEmpty()) {
            double p = passed.getAsDouble();
            double up = Math.min(settings.maxRatio(), p * MAX_FACTOR);
            double ratio = fit == null ? up : clamp(fit.ratioAtTarget(), p * resolution, up);
            // Within the resolution of maxRatio, maxRatio itself: its pass ends the search.
            return new Proposal(ratio * resolution >= settings.maxRatio() ? settings.maxRatio() : ratio, fit == null
                    ? String.format(Locale.ROOT, "×%.0f: no loss measured yet", MAX_FACTOR) : fit.describe());
        }
        if (passed.isEmpty()) {
            double f = failed.getAsDouble();
            double down = Math.max(smallest, f / MAX_FACTOR);
            double ratio = fit == null ? down : clamp(fit.ratioAtTarget(), down, f / resolution);
            return new Proposal(Math.max(ratio, smallest), fit == null
                    ? String.format(Locale.ROOT, "÷%.0f: the model collapsed", MAX_FACTOR) : fit.describe());
        }
        double p = passed.getAsDouble();
        double f = failed.getAsDouble();
        double middle = Math.sqrt(p * f);
        if (fit == null || stalled()) {
            return new Proposal(middle, fit == null ? "bisection: the curve cannot be fitted"
                    : "bisection: the bracket did not halve in two evaluations");
        }
        double width = Math.log(f / p);
        double low = Math.max(p * Math.exp(MARGIN * width), p * resolution);
        double high = Math.min(p * Math.exp((1 - MARGIN) * width), f / resolution);
        return low > high ? new Proposal(middle, "bisection: the bracket is nearly resolved")
                : new Proposal(clamp(fit.ratioAtTarget(), low, high), fit.describe());
    }

    /** Whether the bracket is wider than half what it was two evaluations ago. */
    private boolean stalled() {
        int n = widths.size();
        return n >= 3 && Double.isFinite(widths.get(n - 3)) && widths.get(n - 1) > 0.5 * widths.get(n - 3);
    }

    /** y = −ln(mAP / unpruned mAP) ∝ ratio^k through an anchor point. */
    private record Fit(double ratio, double y, double exponent, double targetY) {

        double ratioAtTarget() {
            return ratio * Math.pow(targetY / y, 1 / exponent);
        }

        String describe() {
            return String.format(Locale.ROOT, "aimed at the target on −ln(mAP/unpruned) ∝ ratio^%.2f through "
                    + "ratio %.3f", exponent, ratio);
        }
    }

    private double unsaturated(double map) {
        return -Math.log(map / baselineMap);
    }

    /** The fitted curve, or null when no evaluated point lost a measurable, finite amount. */
    private Fit fit() {
        double targetY = settings.targetMapDrop() >= baselineMap ? Double.POSITIVE_INFINITY
                : unsaturated(baselineMap - settings.targetMapDrop());
        List<Point> usable = points.stream().filter(p -> p.map() > 0 && p.map() < baselineMap).toList();
        Optional<Point> below = usable.stream().filter(Point::withinTarget)
                .max(Comparator.comparingDouble(Point::ratio));
        Optional<Point> above = usable.stream().filter(p -> !p.withinTarget())
                .min(Comparator.comparingDouble(Point::ratio));
        if (below.isPresent() && above.isPresent()) {
            return new Fit(below.get().ratio(), unsaturated(below.get().map()), slope(below.get(), above.get()),
                    targetY);
        }
        if (usable.isEmpty()) {
            return null;
        }
        // One side only: the two points nearest the target, the slope kept plausible (noise can make it anything).
        List<Point> side = usable.stream().sorted(Comparator.comparingDouble(Point::ratio)).toList();
        Point anchor = below.isPresent() ? side.get(side.size() - 1) : side.get(0);
        double exponent = 1;
        if (side.size() >= 2) {
            Point other = below.isPresent() ? side.get(side.size() - 2) : side.get(1);
            double k = slope(other, anchor);
            exponent = k > 0 ? clamp(k, 0.5, 4) : 1;
        }
        return new Fit(anchor.ratio(), unsaturated(anchor.map()), exponent, targetY);
    }

    private double slope(Point a, Point b) {
        return Math.log(unsaturated(b.map()) / unsaturated(a.map())) / Math.log(b.ratio() / a.ratio());
    }

    /**
     * The grid ratio nearest {@code aim} (in log scale) within the open bracket, or within the search's range where
     * a side is unknown, whose model was not evaluated.
     */
    private OptionalDouble untriedNear(double aim) {
        double low = passed().isPresent() ? passed().getAsDouble() + 0.5 / GRID : smallest;
        double high = failed().isPresent() ? failed().getAsDouble() - 0.5 / GRID : settings.maxRatio();
        List<Double> candidates = new ArrayList<>(grid(low, high));
        candidates.sort(Comparator.comparingDouble((Double r) -> Math.abs(Math.log(r / aim))));
        for (double ratio : candidates) {
            if (!evaluatedModels.contains(model(ratio))) {
                return OptionalDouble.of(ratio);
            }
        }
        return OptionalDouble.empty();
    }

    /** The grid ratios in [low, high], and {@code maxRatio} itself when it is in range but off the grid. */
    private List<Double> grid(double low, double high) {
        List<Double> ratios = new ArrayList<>();
        for (long i = Math.round(Math.ceil(low * GRID - 1e-9)); i / GRID <= high + 1e-12; i++) {
            ratios.add(i / GRID);
        }
        double max = settings.maxRatio();
        if (max >= low && max <= high && (ratios.isEmpty() || ratios.get(ratios.size() - 1) < max - 1e-12)) {
            ratios.add(max);
        }
        return ratios;
    }

    private double onGrid(double ratio) {
        return ratio >= settings.maxRatio() ? settings.maxRatio() : Math.round(ratio * GRID) / GRID;
    }

    private Object model(double ratio) {
        return models.computeIfAbsent(ratio, r -> Objects.requireNonNull(modelOf.apply(r)));
    }

    private static double clamp(double value, double low, double high) {
        return Math.max(low, Math.min(high, value));
    }
}
