package io.github.yoloslim.data;

/**
 * When a loop over images decodes and letterboxes them, relative to the model's runs.
 *
 * <p>A model run on the CPU already keeps every core busy: a decoding thread beside it takes a core away from
 * ONNX Runtime's workers, and an operator split across them waits for the one that was preempted, so decoding
 * costs the run more than its own CPU time. Such loops decode a chunk of images on all cores while the model
 * waits, then run the model on the chunk while decoding waits. A model on an accelerator leaves the cores idle
 * while it runs, so its images are decoded on a background thread during the runs.
 *
 * @param timing when images are decoded
 * @param threads how many threads decode them
 */
public record DecodeSchedule(Timing timing, int threads) {

    /** When images are decoded, with the words progress lines use for it. */
    public enum Timing {
        BETWEEN_RUNS("between the model's runs"),
        DURING_RUNS("during the model's runs");

        private final String description;

        Timing(String description) {
            this.description = description;
        }

        public String description() {
            return description;
        }
    }

    public DecodeSchedule {
        if (threads < 1) {
            throw new IllegalArgumentException("decoding threads " + threads);
        }
    }

    /** For a model on the CPU: {@code threads} threads decode while the model waits. */
    public static DecodeSchedule betweenRuns(int threads) {
        return new DecodeSchedule(Timing.BETWEEN_RUNS, threads);
    }

    /** For a model on an accelerator: one background thread decodes while the model runs. */
    public static DecodeSchedule duringRuns() {
        return new DecodeSchedule(Timing.DURING_RUNS, 1);
    }

    /** How many images to decode ahead of the consumer for batches of {@code batchSize}. */
    int lookahead(int batchSize) {
        return timing == Timing.BETWEEN_RUNS ? Math.max(2 * batchSize, 4 * threads) : 2 * batchSize;
    }

    /** E.g. "decoded between the model's runs on 2 threads". */
    public String describe() {
        return "decoded " + timing.description() + " on " + threads + (threads == 1 ? " thread" : " threads");
    }
}
