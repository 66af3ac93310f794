package io.github.yoloslim.prune;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.function.DoubleFunction;
import java.util.function.DoubleUnaryOperator;

/**
 * Synthetic mAP drop curves for the search, as functions of the fraction of channels removed, passing the target
 * at a known answer, and a yolov8n-sized set of channel groups that the real {@link ChannelSelection} rounds, so
 * that ratios map to models as they do on the real network.
 */
final class DropCurves {

    static final double BASELINE = 0.39;
    static final double TARGET = 0.03;

    private DropCurves() {
    }

    /** How the drop grows with the ratio; each passes through {@link #TARGET} at the answer. */
    enum Shape {
        LINEAR {
            @Override
            double drop(double ratio, double answer) {
                return TARGET * ratio / answer;
            }
        },
        QUADRATIC {
            @Override
            double drop(double ratio, double answer) {
                return TARGET * Math.pow(ratio / answer, 2);
            }
        },
        CUBIC {
            @Override
            double drop(double ratio, double answer) {
                return TARGET * Math.pow(ratio / answer, 3);
            }
        },
        /** mAP falls exponentially: the loss saturates at the whole mAP. */
        SATURATING {
            @Override
            double drop(double ratio, double answer) {
                return BASELINE * (1 - Math.pow(1 - TARGET / BASELINE, ratio / answer));
            }
        },
        /** Lossless up to 70% of the answer, then steep (a sparsity-trained network's zeroed channels). */
        KNEE {
            @Override
            double drop(double ratio, double answer) {
                return ratio < 0.7 * answer ? 0 : TARGET * Math.pow((ratio - 0.7 * answer) / (0.3 * answer), 2);
            }
        },
        /** A collapse: mAP falls to nothing within a few multiples of the answer. */
        LOGISTIC {
            @Override
            double drop(double ratio, double answer) {
                double width = answer / 4;
                double middle = answer + width * Math.log(BASELINE / TARGET - 1);
                return BASELINE / (1 + Math.exp(-(ratio - middle) / width))
                        - BASELINE / (1 + Math.exp(middle / width));
            }
        };

        abstract double drop(double ratio, double answer);

        /** The curve for an answer, never above the whole mAP, with noise of at most ±{@code amplitude}. */
        DoubleUnaryOperator curve(double answer, double amplitude, long seed) {
            return ratio -> Math.max(0, Math.min(BASELINE, drop(ratio, answer)) + noise(ratio, amplitude, seed));
        }
    }

    /** Deterministic noise of at most ±{@code amplitude}, a fixed value per ratio and seed. */
    static double noise(double ratio, double amplitude, long seed) {
        return amplitude == 0 ? 0
                : amplitude * (2 * new Random(Double.doubleToLongBits(ratio) * 31 + seed).nextDouble() - 1);
    }

    /**
     * Channel groups that the real {@link ChannelSelection} rounds: what identifies the model a ratio gives, and
     * the fraction of channels that model removes (the curves' abscissa, so that equal models score equally).
     */
    static final class Network {

        private final List<ChannelGroup> groups;
        private final Map<String, double[]> scores;
        private final int channels;
        private final Map<Double, Map<String, int[]>> selections = new HashMap<>();

        Network(List<ChannelGroup> groups, Map<String, double[]> scores) {
            this.groups = groups;
            this.scores = scores;
            this.channels = groups.stream().mapToInt(ChannelGroup::size).sum();
        }

        Object model(double ratio) {
            return PruneSearch.modelKey(select(ratio));
        }

        double removedFraction(double ratio) {
            return (double) select(ratio).values().stream().mapToInt(removed -> removed.length).sum() / channels;
        }

        /** The drop a curve of the removed fraction gives the model of each ratio. */
        DoubleUnaryOperator byRatio(DoubleUnaryOperator curve) {
            return ratio -> curve.applyAsDouble(removedFraction(ratio));
        }

        private Map<String, int[]> select(double ratio) {
            return selections.computeIfAbsent(ratio, r -> ChannelSelection.select(groups, scores, scores,
                    new SelectionSettings(r, -1, 8, 0.25, 8)).removed());
        }
    }

    private static final Network YOLO_SIZED = yoloSizedNetwork();

    /**
     * 60 groups of 16 to 256 channels (4 960 in all, as yolov8n's 59), random scores, the default floors; one
     * instance, so that its selections are computed once.
     */
    static Network yoloSized() {
        return YOLO_SIZED;
    }

    private static Network yoloSizedNetwork() {
        int[] sizes = {16, 32, 64, 128, 256, 32, 64, 128, 160, 16, 32, 64};
        List<ChannelGroup> groups = new ArrayList<>();
        Map<String, double[]> scores = new LinkedHashMap<>();
        Random random = new Random(7);
        for (int g = 0; g < 60; g++) {
            int size = sizes[g % sizes.length];
            groups.add(new ChannelGroup("g" + g, size, List.of()));
            double[] s = new double[size];
            for (int j = 0; j < size; j++) {
                s[j] = 0.2 + random.nextDouble() * (1 + g % 5);
            }
            double mean = Arrays.stream(s).average().orElseThrow();
            for (int j = 0; j < size; j++) {
                s[j] /= mean;
            }
            scores.put("g" + g, s);
        }
        return new Network(groups, scores);
    }

    /** Runs a search to its end on a curve; the models evaluated are added to {@code models}. */
    static RatioSearch run(SearchSettings settings, DoubleUnaryOperator drop, DoubleFunction<Object> modelOf,
            List<Object> models) {
        RatioSearch search = new RatioSearch(BASELINE, settings, modelOf);
        Optional<RatioSearch.Proposal> next;
        while ((next = search.next()).isPresent()) {
            models.add(modelOf.apply(next.get().ratio()));
            search.record(BASELINE - drop.applyAsDouble(next.get().ratio()));
        }
        return search;
    }

    /** The last grid ratio before the first that fails, up to {@code maxRatio}: the largest passing ratio. */
    static double firstCrossing(DoubleUnaryOperator drop, double maxRatio) {
        double last = 0;
        for (int i = 1; i / RatioSearch.GRID <= maxRatio; i++) {
            if (drop.applyAsDouble(i / RatioSearch.GRID) > TARGET) {
                break;
            }
            last = i / RatioSearch.GRID;
        }
        return last;
    }

    /** The largest grid ratio up to {@code maxRatio} that passes at all. */
    static double lastPass(DoubleUnaryOperator drop, double maxRatio) {
        double last = 0;
        for (int i = 1; i / RatioSearch.GRID <= maxRatio; i++) {
            if (drop.applyAsDouble(i / RatioSearch.GRID) <= TARGET) {
                last = i / RatioSearch.GRID;
            }
        }
        return last;
    }
}
