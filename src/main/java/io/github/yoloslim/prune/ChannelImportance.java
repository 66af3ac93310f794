package io.github.yoloslim.prune;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * Scores the channels of prunable groups. A group's channel is scored on every member (a residual chain ties
 * several convolutions' channels), and the member scores are averaged after dividing each member's by its mean
 * over the group, so no member dominates by the scale of its weights.
 */
final class ChannelImportance {

    private final GraphView graph;
    private final Map<String, NodeProto> nodes = new HashMap<>();
    private final ImportanceCriterion criterion;
    private final List<ChannelGroup> groups;
    private final ActivationImportance measured;
    private final SparsityScales sparsity;

    /**
     * @param criterion {@link ImportanceCriterion#SCALE} only with {@code sparsity}
     * @param measured the scores from calibration images; null when none were measured (then a measured criterion
     *     is refused)
     * @param sparsity the scales a sparsified model carries, or null
     * @throws InvalidInputException when the scales do not fit the model's channel groups
     */
    ChannelImportance(OnnxModel model, ChannelDependencyAnalysis analysis, ImportanceCriterion criterion,
            ActivationImportance measured, SparsityScales sparsity) {
        this.graph = model.graphView();
        model.graph().getNodeList().forEach(node -> nodes.put(node.getName(), node));
        this.criterion = criterion;
        this.groups = analysis.groups();
        this.measured = measured;
        this.sparsity = sparsity;
        if (sparsity != null) {
            for (ChannelGroup group : groups) {
                float[] scales = sparsity.scales().get(group.name());
                if (scales == null || scales.length != group.size()) {
                    throw new InvalidInputException("the channel scales in " + model.source() + " do not fit its "
                            + "graph: channel group " + group.name() + " has " + group.size() + " channels and "
                            + (scales == null ? "no scales" : scales.length + " scales") + ". The model was changed "
                            + "after sparsify wrote it; rerun sparsify on it, or prune by weights with "
                            + "<criterion>l1</criterion>.");
                }
            }
        }
        if (criterion.measured() && measured == null) {
            throw new InvalidInputException("<criterion>" + criterion.id() + "</criterion> scores channels on "
                    + "calibration images, but none were given. Set <calibrationImages> to a folder of images like "
                    + "those the model sees, or use <criterion>l1</criterion>.");
        }
    }

    /** The criterion actually used for {@code group}: {@link ImportanceCriterion#AUTO} resolved. */
    ImportanceCriterion resolve(ChannelGroup group) {
        boolean allNormalized = group.members().stream().allMatch(member -> member.batchNorm() != null);
        if (criterion == ImportanceCriterion.AUTO) {
            if (measured != null) {
                return ImportanceCriterion.RECONSTRUCTION;
            }
            return allNormalized ? ImportanceCriterion.BN_GAMMA : ImportanceCriterion.L1;
        }
        if (criterion == ImportanceCriterion.BN_GAMMA && !allNormalized) {
            throw new InvalidInputException("<criterion>bn-gamma</criterion> needs BatchNormalization after every "
                    + "pruned Conv, but " + group.name() + " has its BatchNorm folded into the weights (as every "
                    + "Ultralytics ONNX export does). Use <criterion>l1</criterion> (or auto): for a network trained "
                    + "with sparsity on γ it removes the same channels.");
        }
        return criterion;
    }

    /** The criteria used over {@code groups}, for the log: e.g. {@code criterion l1}. */
    String describe(List<ChannelGroup> groups) {
        return "criterion " + groups.stream().map(this::resolve).map(ImportanceCriterion::id).distinct().sorted()
                .collect(Collectors.joining(" and "));
    }

    /**
     * The group's channel scores, comparable across groups: for a weight criterion each member's scores divided by
     * their mean over the group, averaged over members; for a measured criterion its relative cost per parameter.
     */
    double[] scores(ChannelGroup group) {
        return averaged(group, true);
    }

    /** The group's channel scores in the criterion's own units, averaged over members (for thresholds). */
    double[] rawScores(ChannelGroup group) {
        return averaged(group, false);
    }

    private double[] averaged(ChannelGroup group, boolean normalised) {
        ImportanceCriterion used = resolve(group);
        if (used.measured()) {
            return measured.scores(groups.indexOf(group), used);
        }
        if (used == ImportanceCriterion.SCALE) {
            // One scale per channel, comparable across groups: no normalisation.
            float[] scales = sparsity.scales().get(group.name());
            double[] magnitudes = new double[scales.length];
            for (int j = 0; j < scales.length; j++) {
                magnitudes[j] = Math.abs(scales[j]);
            }
            return magnitudes;
        }
        double[] total = new double[group.size()];
        for (ChannelGroup.Member member : group.members()) {
            double[] memberScores = memberScores(member, group.size(), used);
            double scale = normalised ? Arrays.stream(memberScores).average().orElse(0) : 1;
            for (int j = 0; j < total.length; j++) {
                total[j] += scale > 0 ? memberScores[j] / scale : 0;
            }
        }
        for (int j = 0; j < total.length; j++) {
            total[j] /= group.members().size();
        }
        return total;
    }

    private double[] memberScores(ChannelGroup.Member member, int size, ImportanceCriterion used) {
        double[] scores = new double[size];
        if (used == ImportanceCriterion.BN_GAMMA) {
            float[] gamma = floats(nodes.get(member.batchNorm()).getInput(1));
            for (int j = 0; j < size; j++) {
                scores[j] = Math.abs(gamma[member.offset() + j]);
            }
            return scores;
        }
        NodeProto conv = nodes.get(member.conv());
        TensorProto weight = graph.initializer(conv.getInput(1)).orElseThrow();
        float[] w = GraphView.floats(weight);
        int perChannel = (int) (GraphView.elementCount(weight) / weight.getDims(0));
        for (int j = 0; j < size; j++) {
            int start = (member.offset() + j) * perChannel;
            double sum = 0;
            for (int k = start; k < start + perChannel; k++) {
                sum += used == ImportanceCriterion.L1 ? Math.abs(w[k]) : (double) w[k] * w[k];
            }
            scores[j] = used == ImportanceCriterion.L1 ? sum : Math.sqrt(sum);
        }
        return scores;
    }

    private float[] floats(String initializer) {
        return GraphView.floats(graph.initializer(initializer).orElseThrow(() -> new IllegalStateException(
                "BatchNormalization scale " + initializer + " is not an initializer")));
    }
}
