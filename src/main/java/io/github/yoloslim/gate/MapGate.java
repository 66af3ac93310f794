package io.github.yoloslim.gate;

import ai.onnxruntime.OrtException;
import com.fasterxml.jackson.core.JsonProcessingException;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.cache.OutputDirectory;
import io.github.yoloslim.cache.PipelineRecord;
import io.github.yoloslim.cache.PluginVersion;
import io.github.yoloslim.cache.Sha256;
import io.github.yoloslim.engine.EngineBuilder;
import io.github.yoloslim.engine.EngineBuilders;
import io.github.yoloslim.engine.EngineEnvironment;
import io.github.yoloslim.engine.EngineManifest;
import io.github.yoloslim.engine.EngineUnavailableException;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.DatasetLoader;
import io.github.yoloslim.data.LoadedDataset;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.EvaluationSettings;
import io.github.yoloslim.eval.ModelEvaluation;
import io.github.yoloslim.eval.ModelEvaluator;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Locale;
import java.util.function.Supplier;

/**
 * {@code verify-map}'s core: evaluates the baseline and the candidate on one dataset and decides whether the
 * candidate may ship. Each evaluation is cached under the output directory by the content hash of the model,
 * the dataset (annotations and image bytes), the settings that shape the numbers and the plugin version, so a
 * rerun with nothing changed evaluates nothing.
 */
public final class MapGate {

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
        OutputDirectory.prepare(request.outputDirectory());
        Path baselineFile = request.baseline().orElse(request.model());
        String baselineParameter = request.baseline().isPresent() ? "<baseline>" : "<model>";
        Path candidateFile;
        String candidateParameter;
        String candidateChoice;
        if (request.candidate().isPresent()) {
            candidateFile = request.candidate().get();
            candidateParameter = "<candidate>";
            candidateChoice = "configured <candidate>";
        } else {
            PipelineRecord.NewestOutput newest = PipelineRecord.read(request.outputDirectory())
                    .newestOnnx(request.outputDirectory());
            candidateFile = newest.file().orElse(request.model());
            candidateParameter = newest.file().isPresent() ? "<candidate>" : "<model>";
            candidateChoice = newest.file().isPresent() ? newest.explanation()
                    : "<model> itself: " + newest.explanation();
        }
        listener.stage("Candidate " + candidateFile.getFileName() + " (" + candidateChoice + "), baseline "
                + baselineFile.getFileName());

        // The baseline's class names name the classes of a YOLO-layout dataset without a data.yaml.
        OnnxModel baselineModel = OnnxModel.load(baselineFile, baselineParameter);
        var baselineInfo = YoloModelInspector.inspect(baselineModel, baselineParameter,
                request.evaluation().overrides());
        long loadStart = System.nanoTime();
        LoadedDataset loaded = DatasetLoader.load(request.dataset(), baselineInfo.classNames());
        Dataset dataset = loaded.dataset();
        String datasetFingerprint = dataset.fingerprint();
        listener.stage(String.format(Locale.ROOT, "%s (loaded and hashed in %.1f s)", loaded.summary(),
                (System.nanoTime() - loadStart) / 1e9));
        loaded.notes().forEach(listener::stage);

        ModelEvaluator evaluator = new ModelEvaluator(request.evaluation(), listener);
        String baselineHash = Sha256.ofFile(baselineFile);
        String candidateHash = Sha256.ofFile(candidateFile);
        Cached baseline = evaluateCached(evaluator, baselineFile, baselineFile, baselineHash, baselineParameter,
                "baseline", dataset, datasetFingerprint, request);
        Cached candidate;
        if (candidateHash.equals(baselineHash)) {
            candidate = sameAsBaseline(baseline, candidateFile);
        } else if (candidateFile.getFileName().toString().endsWith(".plan")) {
            // The engine that ships, run on the GPU; its input, output and classes are its source model's.
            Path source = EngineManifest.sourceOf(candidateFile, request.model(), candidateParameter);
            EngineBuilder builder = engines.get();
            EngineEnvironment environment = builder.probe();
            if (!environment.available()) {
                throw new EngineUnavailableException("verify-map cannot run the engine " + candidateFile + ": "
                        + environment.availability().description() + (environment.detail().isEmpty() ? ""
                                : " (" + environment.detail() + ")") + ". Run it on the GPU machine the engine is "
                        + "for, or point <candidate> at an ONNX model.");
            }
            candidate = evaluateCached(new ModelEvaluator(request.evaluation(), listener, builder::open),
                    candidateFile, source, candidateHash, candidateParameter, "candidate", dataset,
                    datasetFingerprint, request);
        } else {
            candidate = evaluateCached(evaluator, candidateFile, candidateFile, candidateHash, candidateParameter,
                    "candidate", dataset, datasetFingerprint, request);
        }

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

        logTable(baseline.evaluation(), candidate.evaluation(), drop, verdict);
        EvaluationSettings evaluation = request.evaluation();
        DecodeSettings decode = evaluation.decode();
        MapReport report = new MapReport(PluginVersion.get(), Instant.now().toString(),
                new MapReport.DatasetSummary(dataset.description(), dataset.format().name().toLowerCase(Locale.ROOT),
                        dataset.images().size(), dataset.annotations().size(), dataset.categories().size(),
                        datasetFingerprint),
                new MapReport.Settings(decode.confidenceThreshold(), decode.iouThreshold(), decode.maxDetections(),
                        decode.multiLabel(), evaluation.overrides().imageSize(), request.dataset().maxImages()),
                new MapReport.Evaluated(baselineParameter, baseline.upToDate(), baseline.evaluation()),
                new MapReport.Evaluated(candidateChoice, candidate.upToDate(), candidate.evaluation()),
                drop, request.maxMapDrop(), request.minMap(), verdict, message);
        AtomicFiles.write(request.reportFile(), Json.mapper().writeValueAsBytes(report));
        listener.stage("Report: " + request.reportFile());
        return new MapGateResult(baseline.evaluation(), candidate.evaluation(), drop, verdict, message,
                request.reportFile());
    }

    private record Cached(ModelEvaluation evaluation, boolean upToDate) {
    }

    private Cached sameAsBaseline(Cached baseline, Path candidateFile) {
        listener.stage("Candidate " + candidateFile.getFileName() + " has the same content as the baseline; "
                + "reusing its evaluation");
        return baseline;
    }

    private Cached evaluateCached(ModelEvaluator evaluator, Path modelFile, Path onnx, String modelHash,
            String parameter, String role, Dataset dataset, String datasetFingerprint, VerifyMapRequest request)
            throws IOException, OrtException {
        DecodeSettings decode = request.evaluation().decode();
        String key = Sha256.builder()
                .add("model", modelHash)
                .add("dataset", datasetFingerprint)
                .add("decode", decode)
                .add("overrides", request.evaluation().overrides())
                .add("unreadableImages", request.evaluation().unreadableImages())
                .add("plugin", PluginVersion.get())
                .hex();
        Path cacheFile = request.outputDirectory().resolve("cache").resolve("evaluation-" + key + ".json");
        if (Files.isRegularFile(cacheFile)) {
            try {
                ModelEvaluation cached = Json.mapper().readValue(cacheFile.toFile(), ModelEvaluation.class);
                listener.stage(String.format(Locale.ROOT, "%s %s: up to date (mAP50-95 %.3f, cached %s)",
                        capitalise(role), modelFile.getFileName(), cached.stats().ap(), cacheFile.getFileName()));
                return new Cached(cached, true);
            } catch (JsonProcessingException e) {
                listener.warn("Ignoring unreadable cached evaluation " + cacheFile + ": " + e.getOriginalMessage());
            }
        }
        ModelEvaluation evaluation = evaluator.evaluate(modelFile, onnx, parameter, role, dataset);
        AtomicFiles.write(cacheFile, Json.mapper().writeValueAsBytes(evaluation));
        return new Cached(evaluation, false);
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
