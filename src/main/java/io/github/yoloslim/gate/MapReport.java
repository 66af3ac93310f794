package io.github.yoloslim.gate;

import io.github.yoloslim.data.Category;
import io.github.yoloslim.eval.ModelEvaluation;

import java.util.List;

/**
 * The content of {@code map-report.json}: both evaluations in full, the comparison and the verdict. Numbers
 * are full precision. {@code createdAt} and the {@code upToDate} flags describe the run that wrote it; a later run
 * that finds everything else the same leaves the file as it is.
 */
record MapReport(String pluginVersion, String createdAt, DatasetSummary dataset, Settings settings,
        Evaluated baseline, Evaluated candidate, double mapDrop, double maxMapDrop, double minMap, Verdict verdict,
        String message) {

    /** The dataset as evaluated; {@code categoryNames} names the ids of the per-class APs. */
    record DatasetSummary(String description, String format, int images, int annotations, int categories,
            String fingerprint, List<Category> categoryNames) {

        DatasetSummary {
            categoryNames = List.copyOf(categoryNames);
        }
    }

    /** The settings that shape the numbers. */
    record Settings(double confidenceThreshold, double iouThreshold, int maxDetections, boolean multiLabel,
            int imageSize, int maxImages) {
    }

    /** One model's evaluation and whether it came from the cache. */
    record Evaluated(String candidateChoice, boolean upToDate, ModelEvaluation evaluation) {
    }
}
