package io.github.yoloslim.prune;

import io.github.yoloslim.InvalidInputException;

/**
 * How the pruned network is repaired.
 *
 * @param method what is done (see {@link RecoveryMethod})
 * @param ridge for least squares: λ relative to the mean diagonal of XᵀX, pulling each re-solved Conv towards its
 *     pruned weights; larger generalises better from few images, smaller fits the calibration images closer
 * @param rowsPerUnknown for least squares: sampled output positions per unknown of a Conv, over all images (at
 *     least {@link #MIN_ROWS})
 */
public record RecoverySettings(RecoveryMethod method, double ridge, int rowsPerUnknown) {

    /** The fewest sampled positions a Conv is fitted from. */
    static final int MIN_ROWS = 1024;

    public RecoverySettings {
        if (!(ridge > 0 && ridge < 10)) {
            throw new InvalidInputException("<ridge>" + ridge + "</ridge> is out of range: give λ relative to the "
                    + "mean diagonal of XᵀX, in (0, 10), e.g. 0.1.");
        }
        if (rowsPerUnknown < 1 || rowsPerUnknown > 1000) {
            throw new InvalidInputException("<rowsPerUnknown>" + rowsPerUnknown + "</rowsPerUnknown> is out of range: "
                    + "use 1 to 1000, e.g. 8.");
        }
    }
}
