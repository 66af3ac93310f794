package io.github.yoloslim.gate;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.DatasetSpec;
import io.github.yoloslim.eval.EvaluationSettings;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Everything {@code verify-map} needs, resolved from the configuration.
 *
 * @param model the original model ({@code <model>}), the default baseline
 * @param baseline a different reference model ({@code <baseline>}), or empty for {@code model}
 * @param candidate the model under test ({@code <candidate>}), or empty for the newest pipeline output
 * @param dataset where the evaluation images and annotations are
 * @param maxMapDrop the largest allowed mAP50-95 loss, absolute (0.01 = one point)
 * @param minMap the lowest allowed candidate mAP50-95, 0 for no floor
 * @param outputDirectory the pipeline's output folder, holding {@code pipeline.json} and the evaluation cache
 * @param reportFile where {@code map-report.json} goes
 */
public record VerifyMapRequest(Path model, Optional<Path> baseline, Optional<Path> candidate, DatasetSpec dataset,
        EvaluationSettings evaluation, double maxMapDrop, double minMap, Path outputDirectory, Path reportFile) {

    public VerifyMapRequest {
        if (!(maxMapDrop >= 0 && maxMapDrop <= 1)) {
            throw new InvalidInputException("<maxMapDrop>" + maxMapDrop + "</maxMapDrop> is out of range: give the "
                    + "allowed absolute mAP50-95 loss as a fraction in [0, 1], e.g. 0.01 for one point.");
        }
        if (!(minMap >= 0 && minMap <= 1)) {
            throw new InvalidInputException("<minMap>" + minMap + "</minMap> is out of range: give a mAP50-95 "
                    + "floor as a fraction in [0, 1] (0.35, not 35), or 0 for no floor.");
        }
    }
}
