package io.github.yoloslim.report;

import io.github.yoloslim.data.Category;
import io.github.yoloslim.eval.ModelEvaluation;
import io.github.yoloslim.gate.Verdict;
import io.github.yoloslim.prune.ModelCost;

import java.util.List;
import java.util.Map;

/**
 * What the page reads of the stage reports whose records are their stages' own: only the fields it shows, so that
 * a report of another plugin version with fields added or removed still reads.
 */
final class ReportViews {

    private ReportViews() {
    }

    /** {@code prune-report.json}. */
    record Prune(String model, String modelSha256, String criterion, Selection selection, Recovery recovery,
            Search search, ModelCost before, ModelCost after, List<Group> groups) {
    }

    record Selection(double ratio) {
    }

    record Recovery(String method) {
    }

    /** The ratio search; {@code chosenRatio} is null when none met the target. */
    record Search(double targetMapDrop, String dataset, double baselineMap, List<CurvePoint> curve, Double chosenRatio,
            String verdict) {
    }

    record CurvePoint(double ratio, double parameterReduction, double macReduction, double map, double drop,
            boolean withinTarget) {
    }

    record Group(String name, List<String> convs, int before, int after) {
    }

    /** {@code calibration.json}. */
    record Calibration(Source model, Images images, String method, double percentile, String qdqFormat,
            String int8Encoding, List<ScaleGroup> groups) {
    }

    record Source(String file, String sha256) {
    }

    record Images(String folder, int used, int available) {
    }

    /** One scale group's chosen range, every method's range and the fraction of values each clips. */
    record ScaleGroup(String name, List<String> tensors, double amax, double absMax, long binnedValues,
            Map<String, Double> byMethod, Map<String, Double> clippedByMethod) {
    }

    /** {@code map-report.json}. */
    record MapGate(String createdAt, Dataset dataset, Evaluated baseline, Evaluated candidate, double mapDrop,
            double maxMapDrop, double minMap, Verdict verdict, String message) {
    }

    record Dataset(String description, int images, List<Category> categoryNames) {
    }

    record Evaluated(String candidateChoice, boolean upToDate, ModelEvaluation evaluation) {
    }
}
