package io.github.yoloslim.djl;

import io.github.yoloslim.InvalidInputException;
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
        if (!(decode.confidenceThreshold() >= 0 && decode.confidenceThreshold() < 1)) {
            throw new InvalidInputException("<djlConfidenceThreshold>" + decode.confidenceThreshold()
                    + "</djlConfidenceThreshold> is out of range: a class score threshold is at least 0 and below 1; "
                    + "deployments use about 0.25, mAP measurements 0.001.");
        }
        if (!(decode.iouThreshold() > 0 && decode.iouThreshold() <= 1)) {
            throw new InvalidInputException("<djlIouThreshold>" + decode.iouThreshold() + "</djlIouThreshold> is out "
                    + "of range: NMS's IoU threshold is above 0 and at most 1; Ultralytics uses 0.7.");
        }
        if (decode.maxDetections() < 1) {
            throw new InvalidInputException("<djlMaxDetections>" + decode.maxDetections() + "</djlMaxDetections> "
                    + "keeps nothing: give at least 1 detection per image; Ultralytics keeps 300.");
        }
    }
}
