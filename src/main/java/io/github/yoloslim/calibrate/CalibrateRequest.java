package io.github.yoloslim.calibrate;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.quantize.QdqOptions;
import io.github.yoloslim.runtime.Threads;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything {@code calibrate} needs, resolved from the configuration.
 *
 * @param model the application's model ({@code <model>}); names the outputs and is the input when no earlier
 *        stage wrote one
 * @param input the model to quantize ({@code <input>}), or empty for the newest earlier pipeline output (the
 *        pruned model), else {@code model}
 * @param calibrationImages a folder of representative images ({@code <calibrationImages>})
 * @param maxImages use at most this many, spread evenly over the folder; 0 for all
 * @param method how each activation's range is chosen
 * @param percentile the percentile for {@link RangeMethod#PERCENTILE}, e.g. 99.99
 * @param tensorRtVersion the TensorRT version the calibration cache is written for, e.g. {@code 10.15.1}
 * @param threads inference and statistics threads
 * @param batchSize images per inference call for dynamic-batch models
 * @param unreadableImages what an image that cannot be decoded does
 */
public record CalibrateRequest(Path model, Optional<Path> input, Path calibrationImages, int maxImages,
        RangeMethod method, double percentile, QdqOptions qdq, String tensorRtVersion, ModelOverrides overrides,
        int threads, int batchSize, UnreadableImagePolicy unreadableImages, Path outputDirectory) {

    public CalibrateRequest {
        if (!(percentile > 0 && percentile <= 100)) {
            throw new InvalidInputException("<percentile>" + percentile + "</percentile> is out of range: give a "
                    + "percentile in (0, 100], e.g. 99.99.");
        }
        if (!tensorRtVersion.matches("\\d+\\.\\d+(\\.\\d+)*")) {
            throw new InvalidInputException("<tensorRtVersion>" + tensorRtVersion + "</tensorRtVersion> is not a "
                    + "version: give the TensorRT version the engine is built with, e.g. 10.15.1.");
        }
        if (maxImages < 0) {
            throw new InvalidInputException("<maxImages>" + maxImages + "</maxImages> is out of range: use 0 for all "
                    + "images or a positive count, e.g. 500.");
        }
        if (threads < 0 || batchSize < 0) {
            throw new InvalidInputException("<threads>/<batchSize> must be 0 (automatic) or positive, not "
                    + threads + "/" + batchSize + ".");
        }
    }

    /** The threads to use: the configured count, else one per available processor. */
    public int threadCount() {
        return Threads.resolve(threads);
    }
}
