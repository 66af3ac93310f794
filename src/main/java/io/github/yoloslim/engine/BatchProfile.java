package io.github.yoloslim.engine;

import io.github.yoloslim.InvalidInputException;

/** The batch sizes an engine serves when the model's batch is dynamic: TensorRT tunes for {@code opt}. */
public record BatchProfile(int min, int opt, int max) {

    public BatchProfile {
        if (min < 1 || opt < min || max < opt) {
            throw new InvalidInputException("<batchProfile>" + min + "," + opt + "," + max + "</batchProfile> is not a "
                    + "valid profile: give min,opt,max with 1 ≤ min ≤ opt ≤ max, e.g. 1,4,8.");
        }
    }
}
