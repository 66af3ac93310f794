package io.github.yoloslim.runtime;

import io.github.yoloslim.data.DecodeSchedule;
import io.github.yoloslim.onnx.YoloModelInfo;

import java.io.IOException;

/** A YOLOv8 detector that runs letterboxed batches: ONNX Runtime on the CPU, or a TensorRT engine. */
public interface Detector extends AutoCloseable {

    /** The model's input, output and classes. */
    YoloModelInfo info();

    /**
     * When the images this detector runs should be decoded: between its runs on {@code threads} threads, as a
     * model on the CPU needs (the default), or during them, as one on an accelerator allows.
     */
    default DecodeSchedule decodeSchedule(int threads) {
        return DecodeSchedule.betweenRuns(threads);
    }

    /** How many images one {@link #run} may take: the batch the model fixes, else {@code preferred}. */
    default int batchCapacity(int preferred) {
        return info().requiredBatch() > 0 ? info().requiredBatch() : Math.max(1, preferred);
    }

    /**
     * Runs {@code batch} letterboxed images ({@code 3 × H × W} floats each, in [0, 1]).
     *
     * @throws InferenceException when the backend fails; its own exception is the cause
     */
    DetectorOutput run(float[] input, int batch) throws IOException;

    @Override
    void close() throws IOException;
}
