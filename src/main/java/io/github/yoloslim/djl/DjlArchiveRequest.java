package io.github.yoloslim.djl;

import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.onnx.ModelOverrides;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything {@code djl-archive} needs, resolved from the configuration.
 *
 * @param model the application's model ({@code <model>}); names the archive
 * @param input the ONNX to package ({@code <djlInput>}), or empty for the newest pipeline output
 * @param decode the translator's default decoding, which an application may override per model argument
 */
public record DjlArchiveRequest(Path model, Optional<Path> input, DecodeSettings decode, ModelOverrides overrides,
        Path outputDirectory) {

    public DjlArchiveRequest {
        decode.requireInRange("djl");
    }
}
