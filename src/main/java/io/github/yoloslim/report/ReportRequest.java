package io.github.yoloslim.report;

import java.nio.file.Path;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * What a goal tells the report when it finishes.
 *
 * @param outputDirectory where the stage reports are and {@code report.html} goes
 * @param model {@code <model>}, the pipeline's first stage
 * @param goal the goal that ran, e.g. {@code prune}
 * @param seconds how long it took; empty when it failed, so that no failed run's time stands for an output
 * @param mapReport where verify-map wrote its report, for verify-map
 */
public record ReportRequest(Path outputDirectory, Path model, String goal, OptionalDouble seconds,
        Optional<Path> mapReport) {
}
