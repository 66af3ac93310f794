package io.github.yoloslim.eval;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.runtime.BatchSizes;
import io.github.yoloslim.runtime.Threads;

/**
 * How models are run over a dataset: decoding, what overrides the model's metadata, and resources.
 *
 * @param threads ONNX Runtime intra-op threads, 0 for one per available processor
 * @param batchSize images per inference call for models with a dynamic batch, 0 for {@link BatchSizes#AUTOMATIC};
 *        a model with a fixed batch always gets its own
 */
public record EvaluationSettings(DecodeSettings decode, ModelOverrides overrides, int threads, int batchSize,
        UnreadableImagePolicy unreadableImages) {

    public EvaluationSettings {
        decode.requireInRange("");
        if (threads < 0) {
            throw invalid("threads", threads, "0 (all processors) or a positive thread count");
        }
        if (batchSize < 0) {
            throw invalid("batchSize", batchSize, "0 (automatic) or a positive batch size");
        }
    }

    /** The threads to use: the configured count, else one per available processor. */
    public int threadCount() {
        return Threads.resolve(threads);
    }

    /** The batch to ask for from a dynamic-batch model. */
    public int preferredBatch() {
        return BatchSizes.resolve(batchSize, 0);
    }

    static InvalidInputException invalid(String element, Object value, String expected) {
        return new InvalidInputException("<" + element + ">" + value + "</" + element + "> is out of range: use "
                + expected + ".");
    }
}
