package io.github.yoloslim.report;

import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.engine.EngineManifest;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.BiFunction;

/** The whole page: a style sheet, the problems found reading the reports, and one section per report present. */
final class ReportPage {

    /** The {@code <meta>} that holds the fingerprint of the sources the page was built from. */
    static final String FINGERPRINT_META = "yolo-slim-sources";

    private static final String STYLE = """
            body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;margin:24px auto;\
            max-width:1000px;padding:0 16px;color:#222;background:#fff}
            h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px;margin-top:32px}
            h2 small,dd small{color:#777;font-weight:normal;font-size:12px}
            table{border-collapse:collapse;margin:8px 0;font-size:13px}
            th,td{border:1px solid #ddd;padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}
            svg{max-width:100%;height:auto;display:block;margin:8px 0}
            .row{display:flex;flex-wrap:wrap;gap:8px}.row svg{max-width:49%}
            .stages{display:flex;flex-wrap:wrap;align-items:center;gap:6px}
            .stage{border:1px solid #ccc;border-radius:6px;padding:8px 10px;min-width:150px;font-size:13px}
            .stage h3{margin:0 0 2px;font-size:14px}.stage .file{color:#555;font-family:monospace;font-size:12px}
            .stage .note{color:#b00020;font-size:12px}.stage dl{margin:6px 0 0;display:grid;\
            grid-template-columns:auto auto;gap:1px 8px}.stage dt{color:#666}.stage dd{margin:0;text-align:right}
            .arrow{font-size:20px;color:#888}
            .verdict{padding:8px 12px;border-radius:6px;margin:8px 0}.verdict.pass{background:#e6f4ea;\
            border:1px solid #34a853}.verdict.fail{background:#fce8e6;border:1px solid #d93025}
            .problems{background:#fff8e1;border:1px solid #f9a825;padding:8px 12px;border-radius:6px}
            """;

    private ReportPage() {
    }

    /** The page for {@code sources}; {@code sections} draws the plotted ones or takes them from the previous page. */
    static String html(ReportSources sources, String modelSha256, String fingerprint, DrawnSections sections)
            throws IOException {
        ModelCosts costs = new ModelCosts(sources);
        StringBuilder body = new StringBuilder(new PipelineSection(sources, costs, modelSha256).html());
        Path directory = sources.directory;
        plotted(body, sections, "verify-map", sources.mapReportFile, sources.mapGate,
                (gate, charts) -> VerifyMapSection.html(gate, sources.mapReportFile, charts));
        plotted(body, sections, "sparsify", directory.resolve(ArtifactNames.SPARSIFY_REPORT), sources.sparsify,
                SparsifySection::html);
        plotted(body, sections, "prune", directory.resolve(ArtifactNames.PRUNE_REPORT), sources.prune,
                PruneSection::html);
        plotted(body, sections, "distill", directory.resolve(ArtifactNames.DISTILL_REPORT), sources.distill,
                DistillSection::html);
        plotted(body, sections, "calibrate", directory.resolve(ArtifactNames.CALIBRATION_REPORT),
                sources.calibration, CalibrationSection::html);
        sources.engine.ifPresent(engine -> body.append(engine(engine)));
        StringBuilder page = new StringBuilder(body.length() + 4096);
        page.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
                .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
                .append("<meta name=\"").append(FINGERPRINT_META).append("\" content=\"").append(fingerprint)
                .append("\">\n<title>yolo-slim report: ").append(Html.text(sources.model.getFileName().toString()))
                .append("</title>\n<style>\n").append(STYLE).append("</style>\n</head>\n<body>\n<h1>yolo-slim: ")
                .append(Html.text(sources.model.getFileName().toString())).append("</h1>\n");
        if (!sources.problems.isEmpty()) {
            page.append("<div class=\"problems\"><ul>");
            sources.problems.forEach(problem -> page.append("<li>").append(Html.text(problem)).append("</li>"));
            page.append("</ul></div>\n");
        }
        return page.append(body).append("</body>\n</html>\n").toString();
    }

    private static <T> void plotted(StringBuilder body, DrawnSections sections, String id, Path file,
            Optional<T> report, BiFunction<T, Charts, String> draw) throws IOException {
        if (report.isPresent()) {
            body.append(sections.section(id, file, charts -> draw.apply(report.get(), charts)));
        }
    }

    private static String engine(EngineManifest manifest) {
        EngineManifest.Environment environment = manifest.environment();
        List<List<String>> rows = List.of(
                List.of("built from", Html.text(manifest.input() == null ? null : manifest.input().file())),
                List.of("precision", Html.text(manifest.precision())),
                List.of("TensorRT", Html.text(environment == null ? null : environment.tensorRt())),
                List.of("GPU", Html.text(environment == null ? null : environment.gpu() + " (compute capability "
                        + environment.computeCapability() + ")")));
        return Html.section("build-engine", "build-engine", "engine-manifest.json", Html.table(List.of("", ""), rows)
                + (manifest.warnings().isEmpty() ? "" : "<ul>" + manifest.warnings().stream()
                        .map(warning -> "<li>" + Html.text(warning) + "</li>").reduce("", String::concat) + "</ul>"));
    }
}
