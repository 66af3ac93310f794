package io.github.yoloslim.runtime;

/** The one meaning of a {@code batchSize} setting: 0 lets the plugin choose, for every goal alike. */
public final class BatchSizes {

    /** What 0 means for a model with a dynamic batch; larger batches do not run faster on a few CPU cores. */
    public static final int AUTOMATIC = 4;

    private BatchSizes() {
    }

    /**
     * The batch to run a model with: the one it fixes ({@code YoloModelInfo.requiredBatch()}), else the configured
     * one, else {@link #AUTOMATIC}.
     */
    public static int resolve(int configured, int fixedBatch) {
        return fixedBatch > 0 ? fixedBatch : configured > 0 ? configured : AUTOMATIC;
    }
}
