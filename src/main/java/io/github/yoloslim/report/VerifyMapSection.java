package io.github.yoloslim.report;

import io.github.yoloslim.eval.CategoryAp;
import io.github.yoloslim.eval.ModelEvaluation;
import io.github.yoloslim.eval.PrecisionRecallCurve;
import io.github.yoloslim.report.ReportViews.Evaluated;
import io.github.yoloslim.report.ReportViews.MapGate;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * verify-map's section: the verdict, both models' COCO numbers, per-class AP with the biggest losses first, and the
 * precision–recall curves at IoU 0.5 and 0.75 of both models.
 */
final class VerifyMapSection {

    private VerifyMapSection() {
    }

    static String html(MapGate gate, Path reportFile, Charts charts) {
        StringBuilder out = new StringBuilder();
        boolean passed = gate.verdict() != null && gate.verdict().passed();
        out.append("<div class=\"verdict ").append(passed ? "pass" : "fail").append("\"><strong>")
                .append(gate.verdict() == null ? Html.UNKNOWN : gate.verdict().label()).append("</strong> ")
                .append(Html.text(gate.message())).append("</div>\n");
        List<List<String>> rows = new ArrayList<>();
        rows.add(row("baseline", gate.baseline()));
        rows.add(row("candidate", gate.candidate()));
        out.append(Html.table(List.of("", "model", "mAP50-95", "mAP50", "mAP75", "images", "evaluated in", "cached"),
                rows));
        out.append("<p>Drop ").append(Html.fraction(gate.mapDrop())).append(" (allowed ")
                .append(Html.fraction(gate.maxMapDrop())).append(gate.minMap() > 0 ? ", floor "
                        + Html.fraction(gate.minMap()) : "").append(") on ")
                .append(Html.text(gate.dataset() == null ? null : gate.dataset().description()))
                .append(gate.createdAt() == null ? "" : "; gated " + Html.text(gate.createdAt())).append(".</p>\n");
        out.append(perClass(gate, charts));
        out.append("<div class=\"row\">");
        for (double iou : new double[] {0.5, 0.75}) {
            Map<String, double[][]> series = new LinkedHashMap<>();
            curve(gate.baseline().evaluation(), iou).ifPresent(curve -> series.put("baseline", xy(curve)));
            curve(gate.candidate().evaluation(), iou).ifPresent(curve -> series.put("candidate", xy(curve)));
            if (!series.isEmpty()) {
                out.append(charts.lines("Precision–recall at IoU " + iou + " (all classes)", "recall", "precision",
                        series, Charts.Axes.PRECISION_RECALL, 440, 360));
            }
        }
        out.append("</div>\n");
        return Html.section("verify-map", "verify-map", reportFile.getFileName().toString(), out.toString());
    }

    private static List<String> row(String role, Evaluated evaluated) {
        ModelEvaluation evaluation = evaluated.evaluation();
        return List.of(role, Html.text(Path.of(evaluation.model()).getFileName().toString()),
                Html.fraction(evaluation.stats().ap()), Html.fraction(evaluation.stats().ap50()),
                Html.fraction(evaluation.stats().ap75()), Html.count(evaluation.images()),
                Html.seconds(evaluation.seconds()), evaluated.upToDate() ? "yes" : "no");
    }

    /** Per-class AP of both models, the classes whose AP fell most first. */
    private static String perClass(MapGate gate, Charts charts) {
        Map<Integer, String> names = new HashMap<>();
        if (gate.dataset() != null && gate.dataset().categoryNames() != null) {
            gate.dataset().categoryNames().forEach(category -> names.put(category.id(), category.name()));
        }
        Map<Integer, CategoryAp> baseline = byId(gate.baseline().evaluation());
        Map<Integer, CategoryAp> candidate = byId(gate.candidate().evaluation());
        List<Integer> ids = new ArrayList<>(baseline.keySet());
        ids.retainAll(candidate.keySet());
        ids.removeIf(id -> baseline.get(id).ap() < 0 && candidate.get(id).ap() < 0);
        if (ids.isEmpty()) {
            return "<p>No class has ground truth among the evaluated images.</p>\n";
        }
        ids.sort(Comparator.<Integer>comparingDouble(id -> candidate.get(id).ap() - baseline.get(id).ap())
                .thenComparing(id -> names.getOrDefault(id, "")));
        List<String> labels = new ArrayList<>();
        double[] before = new double[ids.size()];
        double[] after = new double[ids.size()];
        for (int i = 0; i < ids.size(); i++) {
            int id = ids.get(i);
            labels.add(names.getOrDefault(id, "class " + id));
            before[i] = baseline.get(id).ap();
            after[i] = candidate.get(id).ap();
        }
        Map<String, double[]> series = new LinkedHashMap<>();
        series.put("baseline", before);
        series.put("candidate", after);
        return charts.horizontalBars("AP50-95 per class, biggest losses first", "AP50-95", labels, series, false, 1);
    }

    private static Map<Integer, CategoryAp> byId(ModelEvaluation evaluation) {
        Map<Integer, CategoryAp> byId = new HashMap<>();
        evaluation.perClass().forEach(ap -> byId.put(ap.categoryId(), ap));
        return byId;
    }

    private static Optional<PrecisionRecallCurve> curve(ModelEvaluation evaluation, double iou) {
        return evaluation.curves().stream().filter(curve -> Math.abs(curve.iouThreshold() - iou) < 1e-9).findFirst();
    }

    private static double[][] xy(PrecisionRecallCurve curve) {
        return new double[][] {curve.recall(), curve.precision()};
    }
}
