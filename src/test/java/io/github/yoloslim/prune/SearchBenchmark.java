package io.github.yoloslim.prune;

import io.github.yoloslim.prune.DropCurves.Shape;

import java.util.ArrayList;
import java.util.Locale;
import java.util.Optional;
import java.util.function.DoubleUnaryOperator;

/**
 * What the search's settings cost on synthetic drop curves ({@link DropCurves}): for every shape and answer from
 * 0.005 to beyond {@code maxRatio}, the evaluations spent and the ratio chosen, then the mean and the worst, and
 * how many searches chose within the resolution of the noiseless answer (within a further 10% with noise).
 *
 * <p>Run: {@code mvn -B -q test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.github.yoloslim.prune.SearchBenchmark -Dexec.args="8 0.1 0.005"} (steps, resolution,
 * noise amplitude; 5 noise seeds when the amplitude is not 0).
 */
public final class SearchBenchmark {

    private static final double[] ANSWERS = {0.005, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.4, 0.45, 0.6};

    private SearchBenchmark() {
    }

    public static void main(String[] args) {
        int steps = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        double resolution = args.length > 1 ? Double.parseDouble(args[1]) : 0.1;
        double amplitude = args.length > 2 ? Double.parseDouble(args[2]) : 0;
        SearchSettings settings = new SearchSettings(DropCurves.TARGET, 0.5, steps, resolution, null, null, false, Optional.empty());
        DropCurves.Network network = DropCurves.yoloSized();
        int searches = 0;
        int evaluations = 0;
        int worst = 0;
        int within = 0;
        for (Shape shape : Shape.values()) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-10s", shape));
            for (double answer : ANSWERS) {
                for (long seed = 0; seed < (amplitude > 0 ? 5 : 1); seed++) {
                    DoubleUnaryOperator curve = network.byRatio(shape.curve(answer, amplitude, seed));
                    RatioSearch search = DropCurves.run(settings, curve, network::model, new ArrayList<>());
                    DoubleUnaryOperator noiseless = network.byRatio(shape.curve(answer, 0, 0));
                    double truth = DropCurves.firstCrossing(noiseless, settings.maxRatio());
                    double slack = amplitude > 0 ? 0.1 * truth : 0;
                    double chosen = search.passed().orElse(0);
                    boolean close = chosen <= truth + slack + 1e-9 && network.removedFraction(chosen)
                            >= network.removedFraction(truth / (1 + resolution) - 1 / RatioSearch.GRID - slack);
                    int n = search.points().size();
                    searches++;
                    evaluations += n;
                    worst = Math.max(worst, n);
                    within += close ? 1 : 0;
                    if (seed == 0) {
                        line.append(String.format(Locale.ROOT, "  %.3f:%d%s%.3f", answer, n, close ? "→" : "✗",
                                chosen));
                    }
                }
            }
            System.out.println(line);
        }
        System.out.printf(Locale.ROOT, "steps %d, resolution %.2f, noise ±%.3f: %d searches, %.2f evaluations on "
                + "average, %d at most, %d within the resolution%n", steps, resolution, amplitude, searches,
                (double) evaluations / searches, worst, within);
    }
}
