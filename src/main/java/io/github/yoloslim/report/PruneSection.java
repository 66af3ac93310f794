package io.github.yoloslim.report;

import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.prune.ModelCost;
import io.github.yoloslim.report.ReportViews.CurvePoint;
import io.github.yoloslim.report.ReportViews.Group;
import io.github.yoloslim.report.ReportViews.Prune;
import io.github.yoloslim.report.ReportViews.Search;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** prune's section: parameters and MACs before and after, channels kept per layer group, the search's drop curve. */
final class PruneSection {

    private PruneSection() {
    }

    static String html(Prune prune, Charts charts) {
        StringBuilder out = new StringBuilder();
        out.append("<p>").append(Html.text(prune.model())).append(": criterion ").append(Html.text(prune.criterion()))
                .append(prune.selection() == null ? "" : String.format(Locale.ROOT, ", ratio %.3f",
                        prune.selection().ratio()))
                .append(prune.recovery() == null ? "" : ", recovery " + Html.text(prune.recovery().method()))
                .append(".</p>\n");
        ModelCost before = prune.before();
        ModelCost after = prune.after();
        if (before != null && after != null) {
            out.append(Html.table(List.of("", "before", "after", "change"), List.of(
                    List.of("parameters", Html.count(before.parameters()), Html.count(after.parameters()),
                            change(before.parameters(), after.parameters())),
                    List.of("MACs", Html.giga(before.macs()), Html.giga(after.macs()),
                            change(before.macs(), after.macs())),
                    List.of("file", Html.megabytes(before.fileBytes()), Html.megabytes(after.fileBytes()),
                            change(before.fileBytes(), after.fileBytes())))));
        }
        List<Group> groups = prune.groups() == null ? List.of() : prune.groups();
        if (!groups.isEmpty()) {
            List<String> names = new ArrayList<>();
            double[] kept = new double[groups.size()];
            double[] removed = new double[groups.size()];
            for (int i = 0; i < groups.size(); i++) {
                Group group = groups.get(i);
                names.add(group.name());
                kept[i] = group.after();
                removed[i] = group.before() - group.after();
            }
            Map<String, double[]> series = new LinkedHashMap<>();
            series.put("kept", kept);
            series.put("removed", removed);
            out.append(charts.horizontalBars("Channels kept per layer group", "channels", names, series, true,
                    Double.NaN));
        }
        Search search = prune.search();
        if (search != null && search.curve() != null && !search.curve().isEmpty()) {
            List<CurvePoint> curve = search.curve();
            double[] ratios = curve.stream().mapToDouble(CurvePoint::ratio).toArray();
            Map<String, double[][]> series = new LinkedHashMap<>();
            series.put("mAP50-95 of the pruned model", new double[][] {ratios,
                    curve.stream().mapToDouble(CurvePoint::map).toArray()});
            double floor = Math.max(0, search.baselineMap() - search.targetMapDrop());
            series.put("the floor: unpruned mAP − " + Html.fraction(search.targetMapDrop()), new double[][] {
                    {ratios[0], ratios[ratios.length - 1]}, {floor, floor}});
            out.append(charts.lines("Ratio search: mAP50-95 of each ratio tried", "ratio", "mAP50-95", series,
                    Charts.Axes.FITTED, Charts.WIDTH, 340));
            out.append("<p>").append(Html.text(search.verdict())).append(" Evaluated on ")
                    .append(Html.text(search.dataset())).append(".</p>\n");
        }
        return Html.section("prune", "prune", ArtifactNames.PRUNE_REPORT, out.toString());
    }

    private static String change(long before, long after) {
        return before == 0 ? Html.UNKNOWN : String.format(Locale.ROOT, "%+.1f %%", 100.0 * (after - before) / before);
    }
}
