package io.github.yoloslim.report;

import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.data.Category;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.eval.CategoryAp;
import io.github.yoloslim.eval.CocoStats;
import io.github.yoloslim.eval.ModelEvaluation;
import io.github.yoloslim.eval.PrecisionRecallCurve;
import io.github.yoloslim.gate.Verdict;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.YoloGraphs;
import io.github.yoloslim.sparsify.Sparsification;
import io.github.yoloslim.sparsify.SparsifyRequest;
import io.github.yoloslim.testing.RecordingListener;
import io.github.yoloslim.train.Augmentation;
import io.github.yoloslim.train.DistillationSettings;
import io.github.yoloslim.train.LossWeights;
import io.github.yoloslim.train.TrainingDevice;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.w3c.dom.Document;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.regex.MatchResult;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** report.html built from the stage reports of a real pipeline run on a small YOLOv8. */
class HtmlReportTest {

    private static final Pattern SVG = Pattern.compile("<svg\\b.*?</svg>", Pattern.DOTALL);
    private static final Pattern URL = Pattern.compile("(\\S*)https?://");
    private static final Pattern SECTION = Pattern.compile("<section id=\"([a-z-]+)\">(.*?)</section>",
            Pattern.DOTALL);

    @TempDir
    Path dir;

    @Test
    void everyGoalThatRanHasItsSectionWithItsPlots() throws Exception {
        String page = ReportFixture.get().page();
        Map<String, String> sections = sections(page);
        assertThat(sections).containsOnlyKeys("pipeline", "verify-map", "prune", "distill", "calibrate");
        assertThat(svgs(sections.get("pipeline"))).isEmpty();
        // Per-class AP and the two precision–recall curves; channels kept and the search curve; the losses; ranges.
        assertThat(svgs(sections.get("verify-map"))).hasSize(3);
        assertThat(svgs(sections.get("prune"))).hasSize(2);
        assertThat(svgs(sections.get("distill"))).hasSize(1);
        assertThat(svgs(sections.get("calibrate"))).hasSize(1);
        assertThat(sections.get("verify-map")).contains("class=\"verdict pass\"", "Precision–recall at IoU 0.5 ",
                "Precision–recall at IoU 0.75 ");
        assertThat(sections.get("calibrate")).contains("<summary>Every group's ranges</summary>");
        assertThat(page).doesNotContain("class=\"problems\"");
    }

    @Test
    void theSvgIsWellFormedXmlWithUniqueIdsAndThePageLoadsNothing() throws Exception {
        String page = ReportFixture.get().page();
        List<String> svgs = svgs(page);
        assertThat(svgs).hasSize(7);
        List<String> ids = new ArrayList<>();
        for (String svg : svgs) {
            Document document = parse(svg);
            assertThat(document.getDocumentElement().getLocalName()).isEqualTo("svg");
            assertThat(document.getDocumentElement().getNamespaceURI()).isEqualTo("http://www.w3.org/2000/svg");
            Matcher id = Pattern.compile(" id=\"([^\"]+)\"").matcher(svg);
            while (id.find()) {
                ids.add(id.group(1));
            }
        }
        assertThat(ids).doesNotHaveDuplicates();
        // The only URLs are the XML namespace names of the inline SVG, which a browser never fetches.
        Matcher url = URL.matcher(page);
        int urls = 0;
        while (url.find()) {
            assertThat(url.group(1)).matches("xmlns(:\\w+)?=['\"]");
            urls++;
        }
        assertThat(urls).isPositive();
        assertThat(page).doesNotContain("<script", "<link", "<img", "<iframe", "@import");
    }

    @Test
    void thePipelineRowShowsEachModelsCostSizeMapAndTime() throws Exception {
        String pipeline = sections(ReportFixture.get().page()).get("pipeline");
        List<String> stages = new ArrayList<>();
        Matcher stage = Pattern.compile("<div class=\"stage\"><h3>([^<]+)</h3><div class=\"file\">([^<]+)</div>")
                .matcher(pipeline);
        while (stage.find()) {
            stages.add(stage.group(1) + " " + stage.group(2));
        }
        assertThat(stages).containsExactly("model tiny.onnx", "prune tiny.pruned.onnx",
                "distill tiny.distilled.onnx", "calibrate tiny.int8.onnx");
        List<Long> parameters = numbers(pipeline, "parameters");
        assertThat(parameters).hasSize(4);
        assertThat(parameters.get(1)).isLessThan(parameters.get(0));
        // Distillation and calibration keep the pruned architecture.
        assertThat(parameters.get(2)).isEqualTo(parameters.get(1));
        assertThat(parameters.get(3)).isEqualTo(parameters.get(1));
        assertThat(pipeline).contains("<small>verify-map baseline</small>", "<small>verify-map candidate</small>",
                "<small>prune search</small>");
        // Every stage but the model has its goal's time.
        assertThat(Pattern.compile("<dt>time</dt><dd>[0-9.]+ s</dd>").matcher(pipeline).results().count())
                .isEqualTo(3);
    }

    @Test
    void aRerunWithNothingChangedLeavesThePageAndAnUpToDateGoalKeepsTheTimeThatMadeItsOutput() throws Exception {
        ReportFixture fixture = ReportFixture.get();
        String before = fixture.page();
        HtmlReport.Result rerun = fixture.update("calibrate", System.nanoTime() - 5_000_000_000_000L,
                Optional.empty());
        assertThat(rerun.rebuilt()).isFalse();
        assertThat(fixture.page()).isEqualTo(before);
        assertThat(rerun.seconds()).isLessThan(0.5);
    }

    @Test
    void aRebuildDrawsOnlyTheSectionsWhoseReportChangedAndKeepsTheOthersAsTheyWere() throws Exception {
        ReportFixture fixture = ReportFixture.get();
        Path output = dir.resolve("yolo-slim");
        try (var files = Files.walk(fixture.output)) {
            for (Path file : files.toList()) {
                Files.copy(file, output.resolve(fixture.output.relativize(file).toString()));
            }
        }
        Path mapReport = output.resolve(ArtifactNames.MAP_REPORT);
        RecordingListener log = new RecordingListener();
        new HtmlReport(log).update(new ReportRequest(output, fixture.model, "verify-map", OptionalDouble.of(1),
                Optional.of(mapReport)));
        // Another folder: every section's report has another path, so all are drawn anew.
        assertThat(log.details()).containsExactly("4 plotted sections drawn, 0 kept from the previous page");
        Map<String, String> before = sections(Files.readString(output.resolve(ArtifactNames.HTML_REPORT)));

        Path distillReport = output.resolve(ArtifactNames.DISTILL_REPORT);
        Files.writeString(distillReport, Files.readString(distillReport).replaceFirst("\"seconds\" : [0-9.E-]+",
                "\"seconds\" : 12.5"));
        log = new RecordingListener();
        HtmlReport.Result result = new HtmlReport(log).update(new ReportRequest(output, fixture.model, "distill",
                OptionalDouble.of(1), Optional.empty()));
        assertThat(result.rebuilt()).isTrue();
        assertThat(log.details()).containsExactly("1 plotted sections drawn, 3 kept from the previous page");
        Map<String, String> after = sections(Files.readString(output.resolve(ArtifactNames.HTML_REPORT)));
        assertThat(after).containsOnlyKeys(before.keySet());
        for (String id : List.of("verify-map", "prune", "calibrate")) {
            assertThat(after.get(id)).as(id).isEqualTo(before.get(id));
        }
        assertThat(after.get("distill")).isNotEqualTo(before.get("distill"));
        assertThat(svgs(after.get("distill"))).hasSize(1);
    }

    @Test
    void aGoalAloneGetsThePipelineAndItsOwnSectionOnly() throws Exception {
        ReportFixture fixture = ReportFixture.get();
        Files.copy(fixture.output.resolve(ArtifactNames.MAP_REPORT), dir.resolve(ArtifactNames.MAP_REPORT));
        HtmlReport.Result result = new HtmlReport(ReportFixture.SILENT).update(new ReportRequest(dir, fixture.model,
                "verify-map", java.util.OptionalDouble.empty(), Optional.of(dir.resolve(ArtifactNames.MAP_REPORT))));
        assertThat(result.rebuilt()).isTrue();
        Map<String, String> sections = sections(Files.readString(result.file()));
        assertThat(sections).containsOnlyKeys("pipeline", "verify-map");
        // The model was measured (nothing else knew its cost) and is cached for the next page.
        assertThat(sections.get("pipeline")).doesNotContain("<dt>parameters</dt><dd>—</dd>");
        assertThat(Files.list(dir.resolve(ArtifactNames.EVALUATION_CACHE)).map(p -> p.getFileName().toString()))
                .anyMatch(name -> name.startsWith("cost-"));
    }

    @Test
    void perClassBarsPutTheBiggestLossFirstAndLeaveOutClassesWithoutGroundTruth() throws Exception {
        Files.writeString(dir.resolve("model.onnx"), "not read");
        List<Category> categories = List.of(new Category(1, "person"), new Category(2, "car"),
                new Category(3, "dog"), new Category(4, "kite"));
        ModelEvaluation baseline = evaluation("model.onnx", "a", List.of(new CategoryAp(1, 0.5, 0.7, 10),
                new CategoryAp(2, 0.4, 0.6, 5), new CategoryAp(3, 0.3, 0.5, 2), new CategoryAp(4, -1, -1, 0)));
        ModelEvaluation candidate = evaluation("model.int8.onnx", "b", List.of(new CategoryAp(1, 0.49, 0.7, 10),
                new CategoryAp(2, 0.2, 0.6, 5), new CategoryAp(3, 0.35, 0.5, 2), new CategoryAp(4, -1, -1, 0)));
        ReportViews.MapGate gate = new ReportViews.MapGate("2026-01-01T00:00:00Z",
                new ReportViews.Dataset("4 test images", 4, categories),
                new ReportViews.Evaluated("<model>", false, baseline),
                new ReportViews.Evaluated("configured <candidate>", true, candidate), 0.05, 0.01, 0,
                Verdict.MAP_DROP_EXCEEDED, "mAP50-95 dropped 0.050 (0.400 → 0.350), more than <maxMapDrop>0.010.");
        Files.write(dir.resolve(ArtifactNames.MAP_REPORT), Json.mapper().writeValueAsBytes(gate));

        HtmlReport.Result result = new HtmlReport(ReportFixture.SILENT).update(new ReportRequest(dir,
                dir.resolve("model.onnx"), "verify-map", java.util.OptionalDouble.empty(), Optional.empty()));
        String section = sections(Files.readString(result.file())).get("verify-map");
        assertThat(section).contains("class=\"verdict fail\"", "<strong>FAIL</strong>",
                "more than &lt;maxMapDrop&gt;0.010.");
        String bars = svgs(section).get(0);
        assertThat(bars).doesNotContain(">kite<");
        assertThat(bars.indexOf(">car<")).isLessThan(bars.indexOf(">person<"));
        assertThat(bars.indexOf(">person<")).isLessThan(bars.indexOf(">dog<"));
    }

    private static ModelEvaluation evaluation(String model, String sha256, List<CategoryAp> perClass) {
        double[] recall = new double[101];
        double[] precision = new double[101];
        for (int i = 0; i <= 100; i++) {
            recall[i] = i / 100.0;
            precision[i] = i <= 80 ? 1 - recall[i] / 2 : -1;
        }
        return new ModelEvaluation(model, sha256, "test", CocoStats.of(0.4, 0.6, 0.4, -1, -1, -1, -1, -1, -1, -1, -1,
                -1), perClass, List.of(new PrecisionRecallCurve(0.5, recall, precision),
                        new PrecisionRecallCurve(0.75, recall, precision)), 4, List.of(), List.of(), 10, 1.5);
    }

    @Test
    void aSparsifiedModelsPageShowsItsPenaltyPathLossesScalesAndHistogram() throws Exception {
        Path model = dir.resolve("tiny.onnx");
        YoloGraphs.yolo(false).save(model);
        Path images = YoloGraphs.noiseImages(dir.resolve("images"), 8, 40, 3).get(0).getParent();
        Path out = dir.resolve("out");
        new Sparsification(ProgressListener.silent()).run(new SparsifyRequest(model, Optional.empty(), images, 0,
                new DistillationSettings(2, 4, 32, 0.01, 1, 0.01, 0, 5, new LossWeights(1, 1, 0, 1),
                        new Augmentation(0, 0, 0), TrainingDevice.CPU, 2), 1e-3, 2, 0.1, 0.5, false,
                UnreadableImagePolicy.SKIP, out));
        new HtmlReport(ProgressListener.silent()).update(new ReportRequest(out, model, "sparsify",
                OptionalDouble.of(3), Optional.empty()));

        Map<String, String> sections = sections(Files.readString(out.resolve(ArtifactNames.HTML_REPORT)));
        assertThat(sections).containsOnlyKeys("pipeline", "sparsify");
        assertThat(sections.get("pipeline")).contains("tiny.sparse.onnx");
        // The loss terms and the scales, per epoch.
        assertThat(svgs(sections.get("sparsify"))).hasSize(2);
        assertThat(sections.get("sparsify")).contains("ended below scale 0.5", "Final |s|, all groups",
                "Groups losing the largest share", "Penalty path: each stage starts from the one before",
                "<td>0.002</td>");
    }

    static Map<String, String> sections(String page) {
        Map<String, String> sections = new java.util.LinkedHashMap<>();
        Matcher matcher = SECTION.matcher(page);
        while (matcher.find()) {
            sections.put(matcher.group(1), matcher.group(2));
        }
        return sections;
    }

    static List<String> svgs(String html) {
        return SVG.matcher(html).results().map(MatchResult::group).toList();
    }

    private static List<Long> numbers(String html, String term) {
        return Pattern.compile("<dt>" + term + "</dt><dd>([0-9,]+)</dd>").matcher(html).results()
                .map(match -> Long.parseLong(match.group(1).replace(",", ""))).toList();
    }

    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
        factory.setNamespaceAware(true);
        return factory.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }
}
