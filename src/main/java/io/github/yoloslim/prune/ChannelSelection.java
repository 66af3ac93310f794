package io.github.yoloslim.prune;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Chooses the channels to remove from each group.
 *
 * <p>By ratio: all prunable channels are ranked together by their group-normalised score (each group's scores
 * divided by the group's mean, see {@link ChannelImportance}) and the lowest go first. Raw norms differ by orders
 * of magnitude between layers (the stem's weights are large, the neck's small), so a global ranking of raw
 * scores would empty whole layers before touching others; normalised, every layer gives up its own weakest
 * channels and the budget goes where a layer's channels are unequal. By threshold: every channel scoring below
 * it in the criterion's own units (|γ| for a sparsity-trained network, where pruned channels are near zero).
 *
 * <p>Either way each group keeps at least {@code max(minChannels, ceil(minKeptFraction × size))} channels and a
 * kept count that is a multiple of {@code roundTo} (rounded to the nearest multiple for a ratio, up for a
 * threshold, never above the group's size); the channels restored or additionally removed by rounding are the
 * highest- or lowest-scored ones. Ties break by group order, then channel index, so the choice is deterministic.
 */
final class ChannelSelection {

    /** The channels to remove per group, and one line for each group whose choice was limited. */
    record Selection(Map<String, int[]> removed, List<String> notes) {
    }

    private ChannelSelection() {
    }

    /**
     * @param normalised per group, scores with mean 1 (for ratios)
     * @param raw per group, scores in the criterion's units (for thresholds)
     */
    static Selection select(List<ChannelGroup> groups, Map<String, double[]> normalised, Map<String, double[]> raw,
            SelectionSettings settings) {
        Map<String, boolean[]> remove = new LinkedHashMap<>();
        List<String> notes = new ArrayList<>();
        groups.forEach(group -> remove.put(group.name(), new boolean[group.size()]));
        if (settings.byThreshold()) {
            for (ChannelGroup group : groups) {
                double[] scores = raw.get(group.name());
                boolean[] marks = remove.get(group.name());
                int below = 0;
                for (int j = 0; j < group.size(); j++) {
                    marks[j] = scores[j] < settings.threshold();
                    below += marks[j] ? 1 : 0;
                }
                int keep = roundUp(Math.max(group.size() - below, minKeep(group, settings)), settings.roundTo(),
                        group.size());
                if (keep > group.size() - below && below > 0) {
                    notes.add(group.name() + ": <threshold> would remove " + below + " of " + group.size()
                            + " channels; keeping " + keep + " (<minChannels>, <minKeptFraction>, <roundTo>)");
                }
                adjust(marks, scores, keep);
            }
        } else {
            rankGlobally(groups, normalised, remove, settings);
            for (ChannelGroup group : groups) {
                boolean[] marks = remove.get(group.name());
                int kept = group.size() - count(marks);
                if (kept == group.size()) {
                    continue;
                }
                int keep = Math.max(roundNearest(kept, settings.roundTo(), group.size()),
                        roundUp(minKeep(group, settings), settings.roundTo(), group.size()));
                adjust(marks, normalised.get(group.name()), keep);
            }
        }
        Map<String, int[]> removed = new LinkedHashMap<>();
        remove.forEach((name, marks) -> {
            int[] channels = new int[count(marks)];
            for (int j = 0, k = 0; j < marks.length; j++) {
                if (marks[j]) {
                    channels[k++] = j;
                }
            }
            if (channels.length > 0) {
                removed.put(name, channels);
            }
        });
        return new Selection(removed, notes);
    }

    private record Candidate(int group, int channel, double score) {
    }

    /** Marks the globally lowest normalised scores until the ratio is reached, within each group's minimum. */
    private static void rankGlobally(List<ChannelGroup> groups, Map<String, double[]> normalised,
            Map<String, boolean[]> remove, SelectionSettings settings) {
        List<Candidate> candidates = new ArrayList<>();
        long total = 0;
        for (int g = 0; g < groups.size(); g++) {
            double[] scores = normalised.get(groups.get(g).name());
            for (int j = 0; j < scores.length; j++) {
                candidates.add(new Candidate(g, j, scores[j]));
            }
            total += scores.length;
        }
        candidates.sort(Comparator.comparingDouble(Candidate::score).thenComparingInt(Candidate::group)
                .thenComparingInt(Candidate::channel));
        long target = Math.round(settings.ratio() * total);
        int[] removedPerGroup = new int[groups.size()];
        long removed = 0;
        for (Candidate candidate : candidates) {
            if (removed == target) {
                break;
            }
            ChannelGroup group = groups.get(candidate.group());
            if (group.size() - removedPerGroup[candidate.group()] > minKeep(group, settings)) {
                remove.get(group.name())[candidate.channel()] = true;
                removedPerGroup[candidate.group()]++;
                removed++;
            }
        }
    }

    /** Makes exactly {@code keep} channels stay: restores the best removed ones or removes the worst kept ones. */
    private static void adjust(boolean[] marks, double[] scores, int keep) {
        Integer[] order = new Integer[marks.length];
        Arrays.setAll(order, j -> j);
        Arrays.sort(order, Comparator.comparingDouble((Integer j) -> scores[j]).thenComparingInt(j -> j));
        int kept = marks.length - count(marks);
        for (int k = order.length - 1; k >= 0 && kept < keep; k--) {
            if (marks[order[k]]) {
                marks[order[k]] = false;
                kept++;
            }
        }
        for (int k = 0; k < order.length && kept > keep; k++) {
            if (!marks[order[k]]) {
                marks[order[k]] = true;
                kept--;
            }
        }
    }

    private static int minKeep(ChannelGroup group, SelectionSettings settings) {
        int floor = Math.max(settings.minChannels(), (int) Math.ceil(settings.minKeptFraction() * group.size()));
        return Math.min(group.size(), Math.max(1, floor));
    }

    private static int roundUp(int channels, int multiple, int size) {
        return Math.min(size, (channels + multiple - 1) / multiple * multiple);
    }

    private static int roundNearest(int channels, int multiple, int size) {
        int rounded = (int) Math.round((double) channels / multiple) * multiple;
        return Math.min(size, Math.max(multiple, rounded));
    }

    private static int count(boolean[] marks) {
        int n = 0;
        for (boolean mark : marks) {
            n += mark ? 1 : 0;
        }
        return n;
    }
}
