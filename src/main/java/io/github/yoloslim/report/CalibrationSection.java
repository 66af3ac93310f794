package io.github.yoloslim.report;

import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.report.ReportViews.Calibration;
import io.github.yoloslim.report.ReportViews.ScaleGroup;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;

/**
 * calibrate's section: per scale group, the range chosen against every method's and the largest value read, and the
 * fraction of values each method's range clips; the numbers in a table below.
 */
final class CalibrationSection {

    private CalibrationSection() {
    }

    static String html(Calibration calibration, Charts charts) {
        StringBuilder out = new StringBuilder();
        out.append("<p>").append(Html.text(calibration.model() == null ? null : calibration.model().file()))
                .append(": method ").append(Html.text(calibration.method()))
                .append("percentile".equals(calibration.method()) ? String.format(Locale.ROOT, " (%s)",
                        calibration.percentile()) : "")
                .append(", ").append(Html.text(calibration.qdqFormat())).append(" layout, ")
                .append(Html.text(calibration.int8Encoding())).append(" encoding");
        if (calibration.images() != null) {
            out.append(", ").append(calibration.images().used()).append(" of ").append(calibration.images().available())
                    .append(" images of ").append(Html.text(calibration.images().folder()));
        }
        out.append(".</p>\n");
        List<ScaleGroup> groups = calibration.groups() == null ? List.of() : calibration.groups();
        if (groups.isEmpty()) {
            return Html.section("calibrate", "calibrate", ArtifactNames.CALIBRATION_REPORT, out.toString());
        }
        TreeSet<String> methods = new TreeSet<>();
        groups.forEach(group -> {
            if (group.byMethod() != null) {
                methods.addAll(group.byMethod().keySet());
            }
        });
        List<String> names = new ArrayList<>();
        Map<String, double[]> ranges = new LinkedHashMap<>();
        Map<String, double[]> clipped = new LinkedHashMap<>();
        ranges.put("chosen", new double[groups.size()]);
        ranges.put("largest |x|", new double[groups.size()]);
        for (String method : methods) {
            ranges.put(method, new double[groups.size()]);
            clipped.put(method, new double[groups.size()]);
        }
        List<List<String>> rows = new ArrayList<>();
        for (int i = 0; i < groups.size(); i++) {
            ScaleGroup group = groups.get(i);
            names.add(group.name());
            ranges.get("chosen")[i] = group.amax();
            ranges.get("largest |x|")[i] = group.absMax();
            List<String> row = new ArrayList<>(List.of(Html.text(group.name()),
                    String.valueOf(group.tensors() == null ? 0 : group.tensors().size()), number(group.absMax()),
                    "<strong>" + number(group.amax()) + "</strong>"));
            for (String method : methods) {
                double range = value(group.byMethod(), method);
                double clip = value(group.clippedByMethod(), method);
                ranges.get(method)[i] = range;
                clipped.get(method)[i] = clip < 0 ? -1 : 100 * clip;
                row.add(number(range) + (clip < 0 ? "" : " <small>" + String.format(Locale.ROOT, "%.3f %%",
                        100 * clip) + "</small>"));
            }
            rows.add(row);
        }
        out.append(charts.dotsSideBySide("Activation ranges per scale group", names, "range (amax, log scale)",
                ranges, "values clipped (%)", clipped));
        List<String> head = new ArrayList<>(List.of("scale group", "tensors", "largest |x|", "chosen"));
        methods.forEach(method -> head.add(Html.text(method) + " <small>clipped</small>"));
        out.append("<details><summary>Every group's ranges</summary>\n").append(Html.table(head, rows))
                .append("</details>\n");
        return Html.section("calibrate", "calibrate", ArtifactNames.CALIBRATION_REPORT, out.toString());
    }

    private static double value(Map<String, Double> values, String key) {
        Double value = values == null ? null : values.get(key);
        return value == null ? -1 : value;
    }

    private static String number(double value) {
        return value < 0 ? Html.UNKNOWN : String.format(Locale.ROOT, "%.4g", value);
    }
}
