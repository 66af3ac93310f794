package io.github.yoloslim.prune;

import io.github.yoloslim.Choices;
import io.github.yoloslim.InvalidInputException;

import java.util.Locale;

/**
 * How a channel's importance is scored. Network slimming ranks channels by their BatchNorm scale |γ|; every
 * Ultralytics ONNX export folds BatchNorm into the convolution ({@code W' = W·γ/σ}), so γ is gone. For a network
 * trained with L1 sparsity on γ, a channel with γ = 0 has an all-zero folded weight, so ranking by the norm of
 * each output channel's folded weight removes the same channels first.
 */
public enum ImportanceCriterion {
    /**
     * {@link #SCALE} for a model from {@code sparsify}, else {@link #RECONSTRUCTION} when calibration images are
     * given, else |γ| where every member of a group has a BatchNormalization, else {@link #L1}.
     */
    AUTO,
    /** The BatchNorm scale |γ| (network slimming); needs BatchNormalization nodes in the model. */
    BN_GAMMA,
    /** The L1 norm of the channel's (folded) convolution weights. */
    L1,
    /** The L2 norm of the channel's (folded) convolution weights. */
    L2,
    /**
     * Measured on calibration images: the error that replacing the channel by its mean leaves in the consuming
     * Convs' outputs (activation variance times the readers' weight energy), relative to the layer, per parameter.
     */
    VARIANCE,
    /**
     * Measured on calibration images: as {@link #VARIANCE}, but counting only the part of the channel that the kept
     * channels cannot predict linearly (what least-squares recovery cannot restore), chosen greedily per group.
     */
    RECONSTRUCTION,
    /**
     * The channel scales |s| that sparsity training learned ({@link SparsityScales}, in the model's metadata);
     * prunes by threshold, the one {@code sparsify} recorded unless {@code <threshold>} is set.
     */
    SCALE;

    /** Whether the criterion needs activation statistics from calibration images. */
    public boolean measured() {
        return this == VARIANCE || this == RECONSTRUCTION;
    }

    /** Parses a configuration value: {@code auto}, {@code bn-gamma}, {@code l1}, {@code l2}, {@code variance},
     * {@code reconstruction} or {@code scale}. */
    public static ImportanceCriterion parse(String value, String element) {
        return Choices.parse(ImportanceCriterion.class, value, element, "auto (scale for a sparsified model, else "
                + "reconstruction with calibration images, else |γ| when BatchNorm is present, else l1), bn-gamma "
                + "(BatchNorm |γ|), l1 or l2 (norm of the channel's folded weights), variance or reconstruction "
                + "(measured on <calibrationImages>), scale (the channel scales sparsify learned)");
    }

    /**
     * This criterion for a model that does ({@code sparsified}) or does not carry channel scales: {@link #AUTO}
     * becomes {@link #SCALE} for a sparsified model and stays for the others.
     *
     * @throws InvalidInputException for {@link #SCALE} on a model without scales
     */
    public ImportanceCriterion forModel(boolean sparsified) {
        if (this == SCALE && !sparsified) {
            throw new InvalidInputException("<criterion>scale</criterion> ranks channels by the scales that "
                    + "sparsify learned, but the model to prune carries none (no " + SparsityScales.METADATA_KEY
                    + " metadata). Run sparsify before prune, or choose another criterion, e.g. auto.");
        }
        return this == AUTO && sparsified ? SCALE : this;
    }

    /** The configuration spelling, e.g. {@code bn-gamma}. */
    public String id() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
}
