package io.github.yoloslim.gate;

import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.data.Category;
import io.github.yoloslim.eval.CategoryAp;
import io.github.yoloslim.eval.ModelEvaluation;
import org.w3c.dom.Document;
import org.w3c.dom.Element;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;

/**
 * The gate's outcome for CI: {@code map-report.md}, the table and verdict ready for a pull-request comment or a
 * job summary, and {@code TEST-yolo-slim.xml}, a JUnit report with one test case per model and metric whose
 * candidate mAP50-95 case fails when the gate does, so CI test views show the gate like any test.
 */
final class GateSummaries {

    /** The classes listed in the Markdown as losing most. */
    static final int WORST_CLASSES = 5;

    private record Metric(String name, ToDoubleFunction<ModelEvaluation> value) {
    }

    private static final List<Metric> METRICS = List.of(
            new Metric("mAP50-95", e -> e.stats().ap()),
            new Metric("mAP50", e -> e.stats().ap50()),
            new Metric("mAP75", e -> e.stats().ap75()));

    private GateSummaries() {
    }

    /** {@code map-report.md} beside {@code reportFile}. */
    static Path markdownFile(Path reportFile) {
        return reportFile.resolveSibling(ArtifactNames.MAP_REPORT_MARKDOWN);
    }

    /** {@code TEST-yolo-slim.xml} beside {@code reportFile}. */
    static Path junitFile(Path reportFile) {
        return reportFile.resolveSibling(ArtifactNames.MAP_REPORT_JUNIT);
    }

    /** Writes both files beside {@code reportFile}, atomically. */
    static void write(MapReport report, Path reportFile) throws IOException {
        AtomicFiles.write(markdownFile(reportFile), markdown(report).getBytes(StandardCharsets.UTF_8));
        AtomicFiles.write(junitFile(reportFile), junit(report));
    }

    static String markdown(MapReport report) {
        ModelEvaluation baseline = report.baseline().evaluation();
        ModelEvaluation candidate = report.candidate().evaluation();
        StringBuilder md = new StringBuilder();
        md.append("### yolo-slim verify-map: ").append(report.verdict().label()).append("\n\n");
        md.append("| | model | mAP50-95 | mAP50 | mAP75 | mAP50-95 drop |\n");
        md.append("|---|---|---:|---:|---:|---:|\n");
        row(md, "baseline", baseline, "");
        row(md, "candidate", candidate, String.format(Locale.ROOT, "%.3f", report.mapDrop()));
        md.append('\n').append("**").append(report.verdict().label()).append("**: ").append(report.message())
                .append("\n\n");
        MapReport.DatasetSummary dataset = report.dataset();
        MapReport.Settings settings = report.settings();
        md.append(String.format(Locale.ROOT, "Evaluated on %s: %d images, %d boxes, %d categories (confidence "
                + "%s, NMS IoU %s, at most %d detections, %s).%n", escape(dataset.description()), candidate.images(),
                dataset.annotations(), dataset.categories(), settings.confidenceThreshold(), settings.iouThreshold(),
                settings.maxDetections(), settings.multiLabel() ? "multi-label" : "one class per box"));
        List<String> worst = worstClasses(report);
        if (!worst.isEmpty()) {
            md.append("\nLargest per-class AP50-95 losses: ").append(String.join(", ", worst)).append(".\n");
        }
        return md.toString();
    }

    private static void row(StringBuilder md, String role, ModelEvaluation evaluation, String drop) {
        md.append("| ").append(role).append(" | `").append(escape(Path.of(evaluation.model()).getFileName()
                .toString())).append("` | ");
        for (Metric metric : METRICS) {
            md.append(fixed(metric.value().applyAsDouble(evaluation))).append(" | ");
        }
        md.append(drop).append(" |\n");
    }

    /** The classes whose AP fell most, e.g. {@code person 0.412 → 0.398}, only those that fell. */
    private static List<String> worstClasses(MapReport report) {
        Map<Integer, String> names = report.dataset().categoryNames().stream()
                .collect(Collectors.toMap(Category::id, Category::name));
        Map<Integer, CategoryAp> before = report.baseline().evaluation().perClass().stream()
                .collect(Collectors.toMap(CategoryAp::categoryId, Function.identity()));
        List<String> worst = new ArrayList<>();
        report.candidate().evaluation().perClass().stream()
                .filter(after -> after.ap() >= 0 && before.containsKey(after.categoryId())
                        && before.get(after.categoryId()).ap() > after.ap())
                .sorted(Comparator.comparingDouble((CategoryAp after) -> after.ap()
                        - before.get(after.categoryId()).ap()).thenComparingInt(CategoryAp::categoryId))
                .limit(WORST_CLASSES)
                .forEach(after -> worst.add(escape(names.getOrDefault(after.categoryId(),
                        "category " + after.categoryId())) + " " + fixed(before.get(after.categoryId()).ap()) + " → "
                        + fixed(after.ap())));
        return worst;
    }

    static byte[] junit(MapReport report) throws IOException {
        try {
            Document xml = DocumentBuilderFactory.newInstance().newDocumentBuilder().newDocument();
            Element suite = xml.createElement("testsuite");
            xml.appendChild(suite);
            suite.setAttribute("name", "yolo-slim.verify-map");
            suite.setAttribute("tests", Integer.toString(2 * METRICS.size()));
            suite.setAttribute("failures", report.verdict().passed() ? "0" : "1");
            suite.setAttribute("errors", "0");
            suite.setAttribute("skipped", "0");
            ModelEvaluation baseline = report.baseline().evaluation();
            ModelEvaluation candidate = report.candidate().evaluation();
            suite.setAttribute("time", seconds(baseline.seconds() + candidate.seconds()));
            Element properties = xml.createElement("properties");
            suite.appendChild(properties);
            property(xml, properties, "dataset", report.dataset().description());
            property(xml, properties, "maxMapDrop", Double.toString(report.maxMapDrop()));
            property(xml, properties, "minMap", Double.toString(report.minMap()));
            property(xml, properties, "mapDrop", Double.toString(report.mapDrop()));
            testCases(xml, suite, "baseline", baseline, null);
            testCases(xml, suite, "candidate", candidate, report);
            Transformer transformer = TransformerFactory.newInstance().newTransformer();
            transformer.setOutputProperty(OutputKeys.INDENT, "yes");
            transformer.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            transformer.setOutputProperty("{http://xml.apache.org/xslt}indent-amount", "2");
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            transformer.transform(new DOMSource(xml), new StreamResult(out));
            return out.toByteArray();
        } catch (ParserConfigurationException | TransformerException e) {
            throw new IOException("could not write " + ArtifactNames.MAP_REPORT_JUNIT + ": " + e.getMessage(), e);
        }
    }

    /** One case per metric; the candidate's mAP50-95 case carries the gate and fails with it. */
    private static void testCases(Document xml, Element suite, String role, ModelEvaluation evaluation,
            MapReport gate) {
        String model = Path.of(evaluation.model()).getFileName().toString();
        for (Metric metric : METRICS) {
            Element testCase = xml.createElement("testcase");
            suite.appendChild(testCase);
            testCase.setAttribute("classname", "yolo-slim.verify-map." + role);
            testCase.setAttribute("name", metric.name());
            boolean gated = gate != null && metric == METRICS.get(0);
            // The evaluation's time goes to its first case, so the suite's cases add up to it.
            testCase.setAttribute("time", metric == METRICS.get(0) ? seconds(evaluation.seconds()) : "0.000");
            String value = String.format(Locale.ROOT, "%s %s %s = %s", role, model, metric.name(),
                    metric.value().applyAsDouble(evaluation));
            if (gated && !gate.verdict().passed()) {
                Element failure = xml.createElement("failure");
                failure.setAttribute("type", gate.verdict().name());
                failure.setAttribute("message", gate.message());
                failure.setTextContent(value + "\n" + gate.message());
                testCase.appendChild(failure);
            }
            Element out = xml.createElement("system-out");
            out.setTextContent(gated ? value + "\n" + gate.message() : value);
            testCase.appendChild(out);
        }
    }

    private static void property(Document xml, Element properties, String name, String value) {
        Element property = xml.createElement("property");
        property.setAttribute("name", name);
        property.setAttribute("value", value);
        properties.appendChild(property);
    }

    private static String seconds(double seconds) {
        return String.format(Locale.ROOT, "%.3f", seconds);
    }

    private static String fixed(double value) {
        return value < 0 ? "n/a" : String.format(Locale.ROOT, "%.3f", value);
    }

    /** Keeps a name from breaking the Markdown table or emphasis. */
    private static String escape(String text) {
        return text.replace("|", "\\|").replace("`", "'");
    }
}
