package io.github.yoloslim.engine;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.onnx.ModelOverrides;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything {@code build-engine} needs, resolved from the configuration.
 *
 * @param model the application's model ({@code <model>}); names the plan
 * @param input the ONNX to build from ({@code <input>}), or empty for the newest pipeline output
 * @param precision the precision, or empty to choose: INT8 for a Q/DQ model, else FP16
 * @param timingCache where the timing cache is read from and written back to
 * @param classifier the attached artifact's classifier, or empty for {@code trt<major.minor>-sm<cc>}
 */
public record BuildEngineRequest(Path model, Optional<Path> input, Optional<Precision> precision,
        long workspaceBytes, int optimizationLevel, Optional<BatchProfile> batchProfile, Path timingCache,
        MissingTensorRtPolicy onMissingTensorRt, Optional<String> classifier, ModelOverrides overrides,
        Path outputDirectory) {

    public BuildEngineRequest {
        if (optimizationLevel < 0 || optimizationLevel > 5) {
            throw new InvalidInputException("<optimizationLevel>" + optimizationLevel + "</optimizationLevel> is out "
                    + "of range: TensorRT's builder optimisation level is 0 to 5 (3 is TensorRT's default).");
        }
        if (workspaceBytes < 1 << 20) {
            throw new InvalidInputException("<workspaceMiB>" + (workspaceBytes >> 20) + "</workspaceMiB> is too "
                    + "small: give TensorRT's builder at least 1 MiB of workspace, e.g. 2048.");
        }
    }
}
