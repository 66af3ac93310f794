package io.github.yoloslim.gate;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.DirectoryLock;
import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.cache.OutputDirectory;
import io.github.yoloslim.cache.PipelineRecord;
import io.github.yoloslim.cache.PluginVersion;
import io.github.yoloslim.cache.Sha256;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.DatasetLoader;
import io.github.yoloslim.data.LoadedDataset;
import io.github.yoloslim.engine.EngineBuilder;
import io.github.yoloslim.engine.EngineBuilders;
import io.github.yoloslim.engine.EngineEnvironment;
import io.github.yoloslim.engine.EngineManifest;
import io.github.yoloslim.engine.EngineUnavailableException;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.EvaluationSettings;
import io.github.yoloslim.eval.ModelEvaluation;
import io.github.yoloslim.eval.ModelEvaluator;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * {@code verify-map}'s core: evaluates the baseline and the candidate on one dataset and decides whether the
 * candidate may ship. Each evaluation is cached under the output directory by the content hash of the model,
 * the dataset (annotations and image bytes), the settings that shape the numbers and the plugin version, so a
 * rerun with nothing changed evaluates nothing.
 */
public final class MapGate {

    /** A baseline below this prints as mAP50-95 0.000: every candidate passes a drop limit against it. */
    static final double SILENT_BASELINE_MAP = 0.0005;

    private final ProgressListener listener;
    private final Supplier<EngineBuilder> engines;

    public MapGate(ProgressListener listener) {
        this(listener, EngineBuilders::load);
    }

    /** A gate whose engine candidates run on {@code engines}' builder (tests use a fake one). */
    public MapGate(ProgressListener listener, Supplier<EngineBuilder> engines) {
        this.listener = listener;
        this.engines = engines;
    }

    /** Runs the gate and writes the report; the verdict says whether the build should fail. */
    public MapGateResult run(VerifyMapRequest request)
            throws IOException, OrtException, EngineUnavailableException {
        Path outputDirectory = OutputDirectory.prepare(request.outputDirectory());
        try (DirectoryLock lock = DirectoryLock.acquire(outputDirectory, listener)) {
            // The evaluation cache is written after each evaluation, the reports at the end: check them first.
            OutputDirectory.requireWritable(request.reportFile(), GateSummaries.markdownFile(request.reportFile()),
                    GateSummaries.junitFile(request.reportFile()), outputDirectory.resolve(ArtifactNames.EVALUATION_CACHE)
                            .resolve("evaluation.json"));
            // A report left by an earlier run must not stand for this one if this one is interrupted; it comes
            // back at the end if this run finds the same.
            Optional<WrittenReports> previous = WrittenReports.read(request.reportFile());
            Files.deleteIfExists(request.reportFile());
            Files.deleteIfExists(GateSummaries.markdownFile(request.reportFile()));
            Files.deleteIfExists(GateSummaries.junitFile(request.reportFile()));
            return gate(request, outputDirectory, previous);
        }
    }

    private MapGateResult gate(VerifyMapRequest request, Path outputDirectory, Optional<WrittenReports> previous)
            throws IOException, OrtException, EngineUnavailableException {
        Path baselineFile = request.baseline().orElse(request.model());
        String baselineParameter = request.baseline().isPresent() ? "<baseline>" : "<model>";
        FileSnapshot baselineBytes = OnnxModel.read(baselineFile, baselineParameter);
        Candidate chosen = candidate(request, outputDirectory);
        listener.stage("Candidate " + chosen.file().getFileName() + " (" + chosen.choice() + "), baseline "
                + baselineFile.getFileName());
        FileSnapshot candidateBytes = ArtifactNames.isPlan(chosen.file())
                ? FileSnapshot.read(chosen.file()) : OnnxModel.read(chosen.file(), chosen.parameter());

        // The baseline's class names name the classes of a YOLO-layout dataset without a data.yaml.
        OnnxModel baselineModel = OnnxModel.parse(baselineBytes, baselineParameter);
        YoloModelInfo baselineInfo = YoloModelInspector.inspect(baselineModel, baselineParameter,
                request.evaluation().overrides());
        // An engine's input, output and classes are those of its source model.
        OnnxModel candidateModel = ArtifactNames.isPlan(chosen.file())
                ? OnnxModel.load(EngineManifest.sourceOf(candidateBytes, request.model(), chosen.parameter()),
                        chosen.parameter())
                : OnnxModel.parse(candidateBytes, chosen.parameter());
        requireSameClasses(baselineInfo, baselineParameter + " " + baselineFile.getFileName(),
                YoloModelInspector.inspect(candidateModel, chosen.parameter(), request.evaluation().overrides()),
                chosen.parameter() + " " + chosen.file().getFileName());
        long loadStart = System.nanoTime();
        LoadedDataset loaded = DatasetLoader.load(request.dataset(), baselineInfo.classNames());
        Dataset dataset = loaded.dataset();
        String datasetFingerprint = dataset.fingerprint();
        listener.stage(String.format(Locale.ROOT, "%s (loaded and hashed in %.1f s)", loaded.summary(),
                (System.nanoTime() - loadStart) / 1e9));
        loaded.notes().forEach(listener::stage);

        ModelEvaluator evaluator = new ModelEvaluator(request.evaluation(), listener);
        Cached baseline = evaluateCached(evaluator, baselineBytes, baselineModel, baselineParameter, "baseline",
                dataset, datasetFingerprint, request);
        Cached candidate;
        if (candidateBytes.sha256().equals(baselineBytes.sha256())) {
            candidate = sameAsBaseline(baseline, chosen.file());
        } else if (ArtifactNames.isPlan(chosen.file())) {
            // The engine that ships, run on the GPU.
            EngineBuilder builder = engines.get();
            EngineEnvironment environment = builder.probe();
            if (!environment.available()) {
                throw new EngineUnavailableException("verify-map cannot run the engine " + chosen.file() + ": "
                        + environment.availability().description() + (environment.detail().isEmpty() ? ""
                                : " (" + environment.detail() + ")") + ". Run it on the GPU machine the engine is "
                        + "for, or point <candidate> at an ONNX model.");
            }
            candidate = evaluateCached(new ModelEvaluator(request.evaluation(), listener, builder::open),
                    candidateBytes, candidateModel, chosen.parameter(), "candidate",
                    dataset, datasetFingerprint, request);
        } else {
            candidate = evaluateCached(evaluator, candidateBytes, candidateModel, chosen.parameter(), "candidate",
                    dataset, datasetFingerprint, request);
        }
        String candidateChoice = chosen.choice();

        double baselineMap = baseline.evaluation().stats().ap();
        double candidateMap = candidate.evaluation().stats().ap();
        double drop = baselineMap - candidateMap;
        Verdict verdict;
        String message;
        String numbers = String.format(Locale.ROOT, "(%.3f → %.3f)", baselineMap, candidateMap);
        if (drop > request.maxMapDrop()) {
            verdict = Verdict.MAP_DROP_EXCEEDED;
            message = String.format(Locale.ROOT, "mAP50-95 dropped %.3f %s, more than <maxMapDrop>%.3f</maxMapDrop>. "
                    + "Prune or quantize less, or raise <maxMapDrop> (-Dyoloslim.verify.maxMapDrop) if the loss is "
                    + "acceptable.", drop, numbers, request.maxMapDrop());
        } else if (candidateMap < request.minMap()) {
            verdict = Verdict.BELOW_MIN_MAP;
            message = String.format(Locale.ROOT, "mAP50-95 of the candidate is %.3f, below <minMap>%.3f</minMap>. "
                    + "Prune or quantize less, or lower <minMap> (-Dyoloslim.verify.minMap).", candidateMap,
                    request.minMap());
        } else {
            verdict = Verdict.PASSED;
            message = String.format(Locale.ROOT, "mAP50-95 dropped %.3f %s, within <maxMapDrop>%.3f</maxMapDrop>%s.",
                    drop, numbers, request.maxMapDrop(), request.minMap() > 0
                            ? String.format(Locale.ROOT, " and above <minMap>%.3f</minMap>", request.minMap()) : "");
        }

        if (baselineMap < SILENT_BASELINE_MAP) {
            String warning = String.format(Locale.ROOT, "The baseline %s scores mAP50-95 %.3f on this dataset, so the "
                    + "gate says nothing about the candidate: no candidate can drop below it. Check that <dataset> "
                    + "(and <annotations>) hold the images and classes %s was trained for.", baselineFile.getFileName(),
                    baselineMap, baselineParameter);
            listener.warn(warning);
            message = message + " Warning: " + warning;
        }
        logTable(baseline.evaluation(), candidate.evaluation(), drop, verdict);
        EvaluationSettings evaluation = request.evaluation();
        DecodeSettings decode = evaluation.decode();
        MapReport report = new MapReport(PluginVersion.get(), Instant.now().toString(),
                new MapReport.DatasetSummary(dataset.description(), dataset.format().name().toLowerCase(Locale.ROOT),
                        dataset.images().size(), dataset.annotations().size(), dataset.categories().size(),
                        datasetFingerprint, dataset.categories()),
                new MapReport.Settings(decode.confidenceThreshold(), decode.iouThreshold(), decode.maxDetections(),
                        decode.multiLabel(), evaluation.overrides().imageSize(), request.dataset().maxImages()),
                new MapReport.Evaluated(baselineParameter, baseline.upToDate(), baseline.evaluation()),
                new MapReport.Evaluated(candidateChoice, candidate.upToDate(), candidate.evaluation()),
                drop, request.maxMapDrop(), request.minMap(), verdict, message);
        byte[] reportBytes = Json.mapper().writeValueAsBytes(report);
        Optional<WrittenReports> same = previous.filter(written -> written.say(reportBytes));
        if (same.isPresent()) {
            same.get().restore(request.reportFile());
            listener.stage("Report up to date: " + request.reportFile() + " (written " + same.get().createdAt()
                    + ") shows the same evaluations and verdict; it, " + ArtifactNames.MAP_REPORT_MARKDOWN
                    + " and " + ArtifactNames.MAP_REPORT_JUNIT + " keep their content");
        } else {
            AtomicFiles.write(request.reportFile(), reportBytes);
            GateSummaries.write(report, request.reportFile());
            listener.stage("Report: " + request.reportFile() + " (with " + ArtifactNames.MAP_REPORT_MARKDOWN + " and "
                    + ArtifactNames.MAP_REPORT_JUNIT + " beside it)");
        }
        return new MapGateResult(baseline.evaluation(), candidate.evaluation(), drop, verdict, message,
                request.reportFile());
    }

    private record Cached(ModelEvaluation evaluation, boolean upToDate) {
    }

    /**
     * The three reports an earlier run left, kept in memory while this run may fail. When this run finds the same
     * (only the facts of the run that wrote them may differ: the time, and whether the evaluations came from the
     * cache), their bytes are written back, so an up-to-date rerun changes nothing CI or report.html reads.
     */
    private record WrittenReports(byte[] json, byte[] markdown, byte[] junit, ObjectNode facts, String createdAt) {

        static Optional<WrittenReports> read(Path reportFile) throws IOException {
            Path markdownFile = GateSummaries.markdownFile(reportFile);
            Path junitFile = GateSummaries.junitFile(reportFile);
            if (!Files.isRegularFile(reportFile) || !Files.isRegularFile(markdownFile)
                    || !Files.isRegularFile(junitFile)) {
                return Optional.empty();
            }
            byte[] json = Files.readAllBytes(reportFile);
            JsonNode report;
            try {
                report = Json.mapper().readTree(json);
            } catch (JsonProcessingException unreadable) {
                return Optional.empty();
            }
            if (!(report instanceof ObjectNode written) || !written.path("createdAt").isTextual()) {
                return Optional.empty();
            }
            return Optional.of(new WrittenReports(json, Files.readAllBytes(markdownFile), Files.readAllBytes(junitFile),
                    withoutRunFacts(written), written.get("createdAt").asText()));
        }

        boolean say(byte[] reportBytes) {
            try {
                return Json.mapper().readTree(reportBytes) instanceof ObjectNode current
                        && withoutRunFacts(current).equals(facts);
            } catch (IOException unreadable) {
                throw new UncheckedIOException(unreadable);
            }
        }

        void restore(Path reportFile) throws IOException {
            AtomicFiles.write(GateSummaries.markdownFile(reportFile), markdown);
            AtomicFiles.write(GateSummaries.junitFile(reportFile), junit);
            AtomicFiles.write(reportFile, json);
        }

        private static ObjectNode withoutRunFacts(ObjectNode report) {
            ObjectNode facts = report.deepCopy();
            facts.remove("createdAt");
            for (String model : List.of("baseline", "candidate")) {
                if (facts.get(model) instanceof ObjectNode evaluated) {
                    evaluated.remove("upToDate");
                }
            }
            return facts;
        }
    }

    /**
     * Refuses to compare models of different classes: the drop would measure the class sets, not the pruning or
     * quantization, and pruning or quantizing never changes the classes.
     */
    private static void requireSameClasses(YoloModelInfo baseline, String baselineName, YoloModelInfo candidate,
            String candidateName) {
        if (baseline.numClasses() != candidate.numClasses()) {
            throw new InvalidInputException("The candidate " + candidateName + " has " + candidate.numClasses()
                    + " classes but the baseline " + baselineName + " has " + baseline.numClasses() + ": the classes "
                    + "differ, so the mAP drop would not measure pruning or quantization (which keep the classes). "
                    + "Compare models of the same classes: point <candidate> or <baseline> at the right model.");
        }
        List<String> missing = new ArrayList<>(lowerCase(baseline.classNames()));
        missing.removeAll(lowerCase(candidate.classNames()));
        if (!missing.isEmpty()) {
            throw new InvalidInputException("The candidate " + candidateName + " and the baseline " + baselineName
                    + " both have " + baseline.numClasses() + " classes, but the classes differ (the baseline's "
                    + missing.subList(0, Math.min(5, missing.size())) + (missing.size() > 5 ? " and " + (missing.size()
                    - 5) + " more" : "") + " are not the candidate's), so the mAP drop would not measure pruning or "
                    + "quantization. Compare models of the same classes: point <candidate> or <baseline> at the right "
                    + "model.");
        }
    }

    private static List<String> lowerCase(List<String> names) {
        return names.stream().map(name -> name.toLowerCase(Locale.ROOT)).toList();
    }

    private Cached sameAsBaseline(Cached baseline, Path candidateFile) {
        listener.stage("Candidate " + candidateFile.getFileName() + " has the same content as the baseline; "
                + "reusing its evaluation");
        return baseline;
    }

    /**
     * The evaluation of {@code model}, from the cache when an entry for the same key holds an evaluation of these
     * very bytes. The key holds the model's hash too, but an entry is trusted only when the hash it records (of
     * the bytes that were run) is this model's: a file another build rewrote mid-run can then never lend its
     * score to this one.
     */
    private Cached evaluateCached(ModelEvaluator evaluator, FileSnapshot model, OnnxModel onnx, String parameter,
            String role, Dataset dataset, String datasetFingerprint, VerifyMapRequest request)
            throws IOException, OrtException {
        DecodeSettings decode = request.evaluation().decode();
        String key = Sha256.builder()
                .add("model", model.sha256())
                .add("dataset", datasetFingerprint)
                .add("confidenceThreshold", decode.confidenceThreshold())
                .add("iouThreshold", decode.iouThreshold())
                .add("maxDetections", decode.maxDetections())
                .add("multiLabel", decode.multiLabel())
                .add("imageSize", request.evaluation().overrides().imageSize())
                .add("classNames", request.evaluation().overrides().classNames())
                .add("unreadableImages", request.evaluation().unreadableImages())
                .add("plugin", PluginVersion.get())
                .add("evaluationFormat", ModelEvaluation.FORMAT)
                .hex();
        Path cacheFile = request.outputDirectory().resolve(ArtifactNames.EVALUATION_CACHE)
                .resolve("evaluation-" + key + ".json");
        if (Files.isRegularFile(cacheFile)) {
            try {
                ModelEvaluation cached = Json.mapper().readValue(cacheFile.toFile(), ModelEvaluation.class);
                if (model.sha256().equals(cached.sha256())) {
                    listener.stage(String.format(Locale.ROOT, "%s %s: up to date (mAP50-95 %.3f, cached %s)",
                            capitalise(role), model.file().getFileName(), cached.stats().ap(),
                            cacheFile.getFileName()));
                    return new Cached(cached, true);
                }
                listener.warn("Ignoring cached evaluation " + cacheFile + ": it evaluated other bytes (sha256 "
                        + cached.sha256() + ") than " + model.file() + " (" + model.sha256() + ")");
            } catch (JsonProcessingException e) {
                listener.warn("Ignoring unreadable cached evaluation " + cacheFile + ": " + e.getOriginalMessage());
            }
        }
        ModelEvaluation evaluation = evaluator.evaluate(model, onnx, parameter, role, dataset);
        AtomicFiles.write(cacheFile, Json.mapper().writeValueAsBytes(evaluation));
        return new Cached(evaluation, false);
    }

    /** The model under test and the setting it came from. */
    private record Candidate(Path file, String parameter, String choice) {
    }

    /** The configured {@code <candidate>}, else the newest current pipeline output, else {@code <model>}. */
    private static Candidate candidate(VerifyMapRequest request, Path outputDirectory) throws IOException {
        if (request.candidate().isPresent()) {
            return new Candidate(request.candidate().get(), "<candidate>", "configured <candidate>");
        }
        String modelSha256 = OnnxModel.read(request.model(), "<model>").sha256();
        PipelineRecord.NewestOutput newest = PipelineRecord.read(outputDirectory)
                .gateCandidate(outputDirectory, modelSha256);
        return newest.file().isPresent()
                ? new Candidate(newest.file().get(), "<candidate>", newest.explanation())
                : new Candidate(request.model(), "<model>", "<model> itself: " + newest.explanation());
    }

    private void logTable(ModelEvaluation baseline, ModelEvaluation candidate, double drop, Verdict verdict) {
        String format = "%-10s %-32s %9s %7s %7s  %s";
        listener.stage(String.format(Locale.ROOT, format, "", "model", "mAP50-95", "mAP50", "drop", "verdict"));
        listener.stage(String.format(Locale.ROOT, format, "baseline", shortName(baseline.model()),
                String.format(Locale.ROOT, "%.3f", baseline.stats().ap()),
                String.format(Locale.ROOT, "%.3f", baseline.stats().ap50()), "", ""));
        listener.stage(String.format(Locale.ROOT, format, "candidate", shortName(candidate.model()),
                String.format(Locale.ROOT, "%.3f", candidate.stats().ap()),
                String.format(Locale.ROOT, "%.3f", candidate.stats().ap50()),
                String.format(Locale.ROOT, "%.3f", drop), verdict.label()));
    }

    private static String shortName(String path) {
        String name = Path.of(path).getFileName().toString();
        return name.length() > 32 ? "…" + name.substring(name.length() - 31) : name;
    }

    private static String capitalise(String role) {
        return Character.toUpperCase(role.charAt(0)) + role.substring(1);
    }
}
