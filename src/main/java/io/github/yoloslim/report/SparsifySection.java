package io.github.yoloslim.report;

import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.sparsify.SparsifyReport;
import io.github.yoloslim.train.DistillationResult.EpochScales;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * sparsify's section: the loss and the channel scales epoch by epoch, the final scales as a histogram over all
 * groups, and the groups that lost most.
 */
final class SparsifySection {

    /** The groups listed, most channels below the threshold first. */
    private static final int GROUPS_LISTED = 12;

    private SparsifySection() {
    }

    static String html(SparsifyReport report, Charts charts) {
        StringBuilder out = new StringBuilder("<p>");
        out.append(Html.text(report.student() == null ? null : report.student().file())).append(" trained towards ")
                .append(Html.text(report.teacher() == null ? null : report.teacher().file()));
        if (report.images() != null) {
            out.append(" on ").append(report.images().used()).append(" images");
        }
        if (report.sparsity() != null) {
            out.append(String.format(Locale.ROOT, ", penalty %s, scale learning rate %s, weights %s",
                    report.sparsity().penalty(), report.sparsity().scaleLearningRate(),
                    report.sparsity().trainWeights() ? "trained" : "frozen"));
        }
        out.append(String.format(Locale.ROOT, ": %d steps in %s. <strong>%s of %s channels</strong> (%s) ended below "
                + "scale %s, the ones prune removes.</p>\n", report.steps(), Html.seconds(report.seconds()),
                Html.count(report.belowThreshold()), Html.count(report.channels()),
                Html.percent(report.channels() == 0 ? 0 : (double) report.belowThreshold() / report.channels()),
                report.sparsity() == null ? Html.text(null) : report.sparsity().threshold()));
        List<SparsifyReport.PathStage> path = report.path() == null ? List.of() : report.path();
        if (path.size() > 1) {
            List<List<String>> rows = new ArrayList<>();
            for (int s = 0; s < path.size(); s++) {
                SparsifyReport.PathStage stage = path.get(s);
                rows.add(List.of(Integer.toString(s + 1), Double.toString(stage.penalty()),
                        Html.count(stage.belowThreshold()), String.format(Locale.ROOT, "%.3f", stage.meanMagnitude()),
                        String.format(Locale.ROOT, "%.4f", stage.loss()), Html.seconds(stage.seconds())));
            }
            out.append("<h3>Penalty path: each stage starts from the one before</h3>\n").append(Html.table(List.of(
                    "stage", "penalty", "below the threshold", "mean |s|", "loss", "time"), rows));
        }
        out.append(DistillSection.losses(report.epochs(), "Sparsity-training loss per epoch (mean, weighted)",
                charts));
        List<EpochScales> scales = report.scales() == null ? List.of() : report.scales();
        if (!scales.isEmpty()) {
            double[] x = scales.stream().mapToDouble(EpochScales::epoch).toArray();
            Map<String, double[][]> series = new LinkedHashMap<>();
            series.put("mean |s|", new double[][] {x, scales.stream().mapToDouble(EpochScales::meanMagnitude)
                    .toArray()});
            series.put("fraction below the threshold", new double[][] {x, scales.stream()
                    .mapToDouble(epoch -> (double) epoch.belowThreshold() / Math.max(1, epoch.channels())).toArray()});
            out.append(charts.lines("Channel scales per epoch", "epoch", "", series, Charts.Axes.EPOCHS,
                    Charts.WIDTH, 300));
        }
        List<SparsifyReport.Group> groups = report.groups() == null ? List.of() : report.groups();
        if (!groups.isEmpty()) {
            List<SparsifyReport.Bin> bins = groups.get(0).histogram();
            List<List<String>> rows = new ArrayList<>();
            for (int b = 0; b < bins.size(); b++) {
                int index = b;
                long count = groups.stream().mapToLong(group -> group.histogram().get(index).count()).sum();
                SparsifyReport.Bin bin = bins.get(b);
                rows.add(List.of(bin.to() > 1e300 ? "≥ " + bin.from() : bin.from() + " – " + bin.to(),
                        Html.count(count)));
            }
            out.append("<h3>Final |s|, all groups</h3>\n").append(Html.table(List.of("|s|", "channels"), rows));
            List<List<String>> lost = groups.stream()
                    .sorted((a, b) -> Double.compare((double) b.belowThreshold() / b.channels(),
                            (double) a.belowThreshold() / a.channels()))
                    .limit(GROUPS_LISTED)
                    .map(group -> List.of(Html.text(group.name()), Html.count(group.channels()),
                            Html.count(group.belowThreshold()), Html.count(group.zero()))).toList();
            out.append("<h3>Groups losing the largest share</h3>\n")
                    .append(Html.table(List.of("group", "channels", "below the threshold", "exactly 0"), lost));
        }
        return Html.section("sparsify", "sparsify", ArtifactNames.SPARSIFY_REPORT, out.toString());
    }
}
