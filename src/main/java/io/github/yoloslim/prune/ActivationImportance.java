package io.github.yoloslim.prune;

import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.prune.ChannelDependencyAnalysis.Piece;
import io.github.yoloslim.prune.ChannelStatistics.TensorStatistics;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Channel scores from activations on calibration images, in units that compare across layers: the error a removal
 * causes in the consuming Convs' outputs, relative to those outputs' energy, per parameter the removal saves.
 *
 * <p>A channel {@code p} of an activation read by Convs with weights {@code W} contributes {@code W[:, p]·x_p} to
 * their outputs. Replaced by its mean (bias absorption) it leaves an error of energy {@code w_p·Var(x_p)} with
 * {@code w_p = ‖W[:, p]‖²} ({@link ImportanceCriterion#VARIANCE}). Least-squares recovery can also re-create the
 * part of {@code x_p} that the kept channels predict linearly, so what is lost is only the conditional variance
 * {@code 1 / (Σ⁻¹)_pp} ({@link ImportanceCriterion#RECONSTRUCTION}); there channels are removed greedily, the
 * precision matrix downdated after each, so two copies of one feature are not both scored as redundant.
 *
 * <p>Costs are divided by {@code Σ_p w_p·Var(x_p)} of the activation (a layer's relative error) and by the
 * parameters one channel of the group carries, so the global ranking spends the budget where removal is cheap per
 * parameter saved: that is the sensitivity-aware allocation. A group's scores are non-decreasing in its removal
 * order, so a global ranking takes each group's channels in that order.
 */
final class ActivationImportance {

    /** Ridge on the covariance, relative to its mean diagonal, so that constant or duplicate channels invert. */
    private static final double RIDGE = 1e-3;

    private final OnnxModel model;
    private final ChannelDependencyAnalysis analysis;
    private final Map<String, TensorStatistics> statistics;
    private final GraphView graph;
    private final Map<String, double[]> computed = new HashMap<>();

    ActivationImportance(OnnxModel model, ChannelDependencyAnalysis analysis,
            Map<String, TensorStatistics> statistics) {
        this.model = model;
        this.analysis = analysis;
        this.statistics = statistics;
        this.graph = model.graphView();
    }

    /** The activations whose statistics the scores need: every followed activation that a Conv reads. */
    static Set<String> tensors(OnnxModel model, ChannelDependencyAnalysis analysis) {
        Set<String> tensors = new LinkedHashSet<>();
        for (NodeProto node : model.graph().getNodeList()) {
            if (node.getOpType().equals("Conv") && analysis.layouts().containsKey(node.getInput(0))) {
                tensors.add(node.getInput(0));
            }
        }
        return tensors;
    }

    /** Where one group's channels sit in one consumed activation, and what reading them costs. */
    private record Placement(String tensor, int offset, int length, double[] weightEnergy, double energy) {
    }

    /** Scores for group {@code index} of the analysis under {@code criterion} (VARIANCE or RECONSTRUCTION). */
    double[] scores(int index, ImportanceCriterion criterion) {
        return computed.computeIfAbsent(criterion.id() + "/" + index, key -> compute(index, criterion)).clone();
    }

    private double[] compute(int index, ImportanceCriterion criterion) {
        ChannelGroup group = analysis.groups().get(index);
        List<Placement> placements = placements(index);
        double perChannel = parametersPerChannel(group, placements);
        double[] scores = new double[group.size()];
        if (criterion == ImportanceCriterion.VARIANCE) {
            double[] errors = meanReplacementErrors(index);
            for (int j = 0; j < scores.length; j++) {
                scores[j] = errors[j] / perChannel;
            }
            return scores;
        }
        Map<String, DMatrixRMaj> precisions = new LinkedHashMap<>();
        for (Placement placement : placements) {
            precisions.computeIfAbsent(placement.tensor(), tensor -> precision(statistics.get(tensor).covariance()));
        }
        boolean[] removed = new boolean[group.size()];
        double running = 0;
        for (int step = 0; step < group.size(); step++) {
            int best = -1;
            double bestCost = Double.POSITIVE_INFINITY;
            for (int j = 0; j < group.size(); j++) {
                if (removed[j]) {
                    continue;
                }
                double cost = 0;
                for (Placement placement : placements) {
                    int p = placement.offset() + j;
                    // The ridge keeps a constant channel's conditional variance at about the ridge; it cannot
                    // exceed the channel's own variance, which is 0 for a constant.
                    double variance = statistics.get(placement.tensor()).covariance().unsafe_get(p, p);
                    cost += relative(placement, p, Math.min(variance,
                            1 / precisions.get(placement.tensor()).unsafe_get(p, p)));
                }
                if (cost < bestCost) {
                    bestCost = cost;
                    best = j;
                }
            }
            removed[best] = true;
            running = Math.max(running, bestCost);
            scores[best] = running / perChannel;
            for (Placement placement : placements) {
                downdate(precisions.get(placement.tensor()), placement.offset() + best);
            }
        }
        return scores;
    }

    /**
     * Per channel of group {@code index}, the relative error its readers' outputs get when it alone is replaced by
     * its mean; for several channels the errors add up (cross-covariances aside).
     */
    double[] meanReplacementErrors(int index) {
        double[] errors = new double[analysis.groups().get(index).size()];
        for (Placement placement : placements(index)) {
            DMatrixRMaj covariance = statistics.get(placement.tensor()).covariance();
            for (int j = 0; j < placement.length(); j++) {
                int p = placement.offset() + j;
                errors[j] += relative(placement, p, covariance.unsafe_get(p, p));
            }
        }
        return errors;
    }

    private static double relative(Placement placement, int p, double variance) {
        return placement.energy() > 0 ? placement.weightEnergy()[p] * Math.max(0, variance) / placement.energy() : 0;
    }

    /** The group's channels in every Conv-read activation, with the readers' weight energy per channel. */
    private List<Placement> placements(int index) {
        List<Placement> placements = new ArrayList<>();
        for (String tensor : tensors(model, analysis)) {
            int offset = 0;
            for (Piece piece : analysis.layouts().get(tensor)) {
                if (piece.group() == index) {
                    double[] weightEnergy = weightEnergy(tensor);
                    DMatrixRMaj covariance = statistics.get(tensor).covariance();
                    double energy = 0;
                    for (int p = 0; p < weightEnergy.length; p++) {
                        energy += weightEnergy[p] * Math.max(0, covariance.unsafe_get(p, p));
                    }
                    placements.add(new Placement(tensor, offset, piece.length(), weightEnergy, energy));
                }
                offset += piece.length();
            }
        }
        return placements;
    }

    /** Per input channel of {@code tensor}, Σ W[o, c, ·, ·]² over every Conv that reads it. */
    private double[] weightEnergy(String tensor) {
        double[] energy = null;
        for (NodeProto conv : graph.consumers(tensor)) {
            if (!conv.getOpType().equals("Conv") || !conv.getInput(0).equals(tensor)) {
                continue;
            }
            TensorProto weight = graph.initializer(conv.getInput(1)).orElseThrow();
            float[] w = GraphView.floats(weight);
            int out = (int) weight.getDims(0);
            int in = (int) weight.getDims(1);
            int kernel = w.length / (out * in);
            if (energy == null) {
                energy = new double[in];
            }
            for (int o = 0; o < out; o++) {
                for (int c = 0; c < in; c++) {
                    for (int k = (o * in + c) * kernel; k < (o * in + c + 1) * kernel; k++) {
                        energy[c] += (double) w[k] * w[k];
                    }
                }
            }
        }
        return energy;
    }

    /** Weights and biases one channel of the group carries: its producers' rows plus its readers' columns. */
    private double parametersPerChannel(ChannelGroup group, List<Placement> placements) {
        double parameters = 0;
        for (ChannelGroup.Member member : group.members()) {
            NodeProto conv = convNamed(member.conv());
            TensorProto weight = graph.initializer(conv.getInput(1)).orElseThrow();
            parameters += (double) GraphView.elementCount(weight) / weight.getDims(0) + 1;
        }
        for (Placement placement : placements) {
            for (NodeProto conv : graph.consumers(placement.tensor())) {
                if (conv.getOpType().equals("Conv") && conv.getInput(0).equals(placement.tensor())) {
                    TensorProto weight = graph.initializer(conv.getInput(1)).orElseThrow();
                    parameters += (double) GraphView.elementCount(weight) / weight.getDims(1);
                }
            }
        }
        return Math.max(1, parameters);
    }

    private NodeProto convNamed(String name) {
        for (NodeProto node : model.graph().getNodeList()) {
            if (node.getOpType().equals("Conv") && (node.getName().equals(name) || node.getOutput(0).equals(name))) {
                return node;
            }
        }
        throw new IllegalStateException("group member " + name + " is not a Conv of the model");
    }

    private static DMatrixRMaj precision(DMatrixRMaj covariance) {
        int n = covariance.numRows;
        double diagonal = 0;
        for (int p = 0; p < n; p++) {
            diagonal += covariance.unsafe_get(p, p);
        }
        DMatrixRMaj regularised = covariance.copy();
        double ridge = RIDGE * Math.max(diagonal / n, 1e-12);
        for (int p = 0; p < n; p++) {
            regularised.unsafe_set(p, p, regularised.unsafe_get(p, p) + ridge);
        }
        DMatrixRMaj inverse = new DMatrixRMaj(n, n);
        if (!CommonOps_DDRM.invertSPD(regularised, inverse)) {
            throw new IllegalStateException("the regularised channel covariance is not positive definite");
        }
        return inverse;
    }

    /**
     * Removes channel {@code p} from the precision matrix, leaving the precision of the remaining channels (row and
     * column {@code p} become zero; the caller never looks at them again).
     */
    private static void downdate(DMatrixRMaj precision, int p) {
        int n = precision.numRows;
        double pivot = precision.unsafe_get(p, p);
        double[] column = new double[n];
        for (int a = 0; a < n; a++) {
            column[a] = precision.unsafe_get(a, p);
        }
        for (int a = 0; a < n; a++) {
            for (int b = 0; b < n; b++) {
                precision.unsafe_set(a, b, precision.unsafe_get(a, b) - column[a] * column[b] / pivot);
            }
        }
    }
}
