package io.github.yoloslim.report;

import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.distill.DistillReport;
import io.github.yoloslim.train.DistillationResult.EpochLoss;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/** distill's section: the loss terms epoch by epoch, as trained (weighted), and the run's settings and speed. */
final class DistillSection {

    private DistillSection() {
    }

    static String html(DistillReport report, Charts charts) {
        StringBuilder out = new StringBuilder("<p>");
        out.append(Html.text(report.student() == null ? null : report.student().file())).append(" taught by ")
                .append(Html.text(report.teacher() == null ? null : report.teacher().file()));
        if (report.images() != null) {
            out.append(" on ").append(report.images().used()).append(" images");
        }
        if (report.settings() != null) {
            out.append(String.format(Locale.ROOT, ", %d epochs of batch %d at %d×%d, learning rate %s, %s",
                    report.settings().epochs(), report.settings().batch(), report.settings().imageSize(),
                    report.settings().imageSize(), report.settings().learningRate(),
                    Html.text(report.settings().device())));
        }
        out.append(String.format(Locale.ROOT, ": %d steps in %s (%.1f images/s).</p>\n", report.steps(),
                Html.seconds(report.seconds()), report.imagesPerSecond()));
        out.append(losses(report.epochs(), "Distillation loss per epoch (mean, weighted)", charts));
        return Html.section("distill", "distill", ArtifactNames.DISTILL_REPORT, out.toString());
    }

    /** The loss terms of {@code epochs} as a chart and a table; empty for no epochs. For each training stage. */
    static String losses(List<EpochLoss> epochs, String title, Charts charts) {
        StringBuilder out = new StringBuilder();
        if (epochs != null && !epochs.isEmpty()) {
            double[] x = epochs.stream().mapToDouble(EpochLoss::epoch).toArray();
            Map<String, double[][]> series = new LinkedHashMap<>();
            series.put("total", new double[][] {x, values(epochs, EpochLoss::total)});
            series.put("box", new double[][] {x, values(epochs, EpochLoss::box)});
            series.put("classes", new double[][] {x, values(epochs, EpochLoss::classes)});
            if (epochs.stream().anyMatch(epoch -> epoch.features() != 0)) {
                series.put("features", new double[][] {x, values(epochs, EpochLoss::features)});
            }
            out.append(charts.lines(title, "epoch", "loss", series,
                    Charts.Axes.EPOCHS, Charts.WIDTH, 340));
            List<List<String>> rows = new ArrayList<>();
            for (EpochLoss epoch : epochs) {
                rows.add(List.of(String.valueOf(epoch.epoch()), number(epoch.total()), number(epoch.box()),
                        number(epoch.classes()), number(epoch.features()), Html.seconds(epoch.seconds())));
            }
            out.append(Html.table(List.of("epoch", "total", "box", "classes", "features", "time"), rows));
        }
        return out.toString();
    }

    private static double[] values(List<EpochLoss> epochs, ToDoubleFunction<EpochLoss> term) {
        return epochs.stream().mapToDouble(term).toArray();
    }

    private static String number(double value) {
        return String.format(Locale.ROOT, "%.5g", value);
    }
}
