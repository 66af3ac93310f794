package io.github.yoloslim.train;

import io.github.yoloslim.InvalidInputException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Sparsity training's trainable channel scales: one factor per channel of each group of coupled Conv output
 * channels (channels that a pruner must remove together share one factor, so they fall to zero together), applied
 * to the Convs' folded weights and biases ({@code W·s}, {@code b·s}, which scales the Conv's output before its
 * activation), trained with an L1 penalty, and folded into the written model when the weights trained beside
 * them (with the weights frozen the model is written as loaded and the scales go to its metadata).
 *
 * @param groups the scaled channel groups
 * @param penalty λ of the L1 term {@code λ·Σ|s|} added to the loss (in the loss's units, per channel): a scale
 *        whose loss gradient stays below λ is driven to (about) zero, the others hold where the loss resists
 *        their shrinking with a gradient of λ
 * @param scaleLearningRate the scales' peak learning rate, absolute (they start at 1); follows the same warm-up
 *        and cosine schedule as the weights, and so does the penalty
 * @param threshold channels whose scale's magnitude ends below this are the ones to prune; with trained weights
 *        those scales become exactly zero before they are folded in (the L1 term drives the unneeded ones to about
 *        zero; exactly zero makes pruning them change nothing)
 * @param trainWeights whether the Conv weights train beside the scales. When they do, they can absorb a shrinking
 *        scale (SiLU is about linear near zero, so the next layer can scale back up what a smaller scale took
 *        away), and the penalty shrinks every scale alike instead of choosing channels
 * @param initialScales the scales to start from by group name (a previous stage of a penalty path); a group not
 *        named starts at 1
 */
public record ChannelScaling(List<Group> groups, double penalty, double scaleLearningRate, double threshold,
        boolean trainWeights, Map<String, float[]> initialScales) {

    public ChannelScaling {
        groups = List.copyOf(groups);
        initialScales = Collections.unmodifiableMap(new LinkedHashMap<>(initialScales));
        for (Group group : groups) {
            float[] initial = initialScales.get(group.name());
            if (initial != null && initial.length != group.size()) {
                throw new IllegalArgumentException("group " + group.name() + " has " + group.size() + " channels but "
                        + initial.length + " initial scales");
            }
        }
        if (!(penalty > 0 && penalty <= 1)) {
            throw new InvalidInputException("<penalty>" + penalty + "</penalty> is out of range: use a value in (0, "
                    + "1], e.g. 0.001. It weighs the L1 term λ·Σ|s| on the channel scales against the distillation "
                    + "loss; at 0 nothing becomes sparse, larger removes more.");
        }
        if (!(scaleLearningRate > 0 && scaleLearningRate < 1)) {
            throw new InvalidInputException("<scaleLearningRate>" + scaleLearningRate + "</scaleLearningRate> is out "
                    + "of range: use a positive rate below 1, e.g. 0.02.");
        }
        if (groups.isEmpty()) {
            throw new InvalidInputException("the model has no prunable channel group, so sparsity training has "
                    + "nothing to scale. Sparsify an Ultralytics YOLOv8 export (`yolo export format=onnx`), whose "
                    + "Convs prune channel by channel.");
        }
    }

    /** The same scaling with another penalty, starting from {@code scales}: the next stage of a penalty path. */
    public ChannelScaling nextStage(double nextPenalty, Map<String, float[]> scales) {
        return new ChannelScaling(groups, nextPenalty, scaleLearningRate, threshold, trainWeights, scales);
    }

    /**
     * Channels {@code [offset, offset + size)} of every member Conv's output share the group's {@code size} scales.
     *
     * @param name the group's name (as the pruner names it)
     */
    public record Group(String name, int size, List<Member> members) {

        public Group {
            members = List.copyOf(members);
        }
    }

    /**
     * A Conv whose output channels {@code [offset, offset + size)} belong to a group.
     *
     * @param weight the Conv's weight initializer
     * @param bias its bias initializer, or null when it has none
     */
    public record Member(String weight, String bias, int offset) {
    }
}
