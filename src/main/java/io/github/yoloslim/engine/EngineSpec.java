package io.github.yoloslim.engine;

import java.nio.file.Path;
import java.util.Optional;

/**
 * What to build.
 *
 * @param onnx the model to parse
 * @param calibrationCache TensorRT's calibration cache, for {@link Precision#INT8_IMPLICIT}
 * @param workspaceBytes the builder's workspace memory limit
 * @param optimizationLevel TensorRT's builder optimisation level, 0 to 5
 * @param batchProfile the batch range, for a model whose batch is dynamic
 * @param timingCache a previous build's timing cache, reused when it suits this TensorRT and GPU
 */
public record EngineSpec(Path onnx, Precision precision, Optional<byte[]> calibrationCache, long workspaceBytes,
        int optimizationLevel, Optional<BatchProfile> batchProfile, Optional<byte[]> timingCache) {
}
