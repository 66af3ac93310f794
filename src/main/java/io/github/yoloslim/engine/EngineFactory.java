package io.github.yoloslim.engine;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.cache.OutputDirectory;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.cache.PluginVersion;
import io.github.yoloslim.cache.Sha256;
import io.github.yoloslim.cache.StageKey;
import io.github.yoloslim.cache.StageRun;
import io.github.yoloslim.cache.StageRun.StageInput;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.quantize.QdqPlacement;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * {@code build-engine}'s core: picks the model and precision, probes the machine, and builds a TensorRT plan
 * through an {@link EngineBuilder}, unless the plan on disk already matches its inputs, settings, TensorRT and
 * GPU. Writes {@code <name>.plan}, {@code engine-manifest.json} and the timing cache, each atomically.
 */
public final class EngineFactory {

    private final EngineBuilder builder;
    private final ProgressListener listener;

    public EngineFactory(EngineBuilder builder, ProgressListener listener) {
        this.builder = builder;
        this.listener = listener;
    }

    /**
     * Builds the engine, or reports it up to date or skipped.
     *
     * @throws EngineUnavailableException when TensorRT or a GPU is missing and the policy is {@code fail}
     * @throws EngineBuildException when TensorRT refuses the model or the precision
     */
    public EngineResult run(BuildEngineRequest request)
            throws IOException, EngineUnavailableException, EngineBuildException {
        try (StageRun run = StageRun.begin(PipelineStage.BUILD_ENGINE, request.outputDirectory(), request.model(),
                listener)) {
            return build(run, request);
        }
    }

    private EngineResult build(StageRun run, BuildEngineRequest request)
            throws IOException, EngineUnavailableException, EngineBuildException {
        Path outputDirectory = run.outputDirectory();
        // Implicit INT8 reads the float model with the calibration cache; the others take the newest model.
        boolean implicit = request.precision().orElse(null) == Precision.INT8_IMPLICIT;
        StageInput input = implicit ? run.input(request.input(), PipelineStage.CALIBRATE) : run.input(request.input());
        Path inputFile = input.file();
        String parameter = input.parameter();
        listener.detail("build-engine input: " + input.explanation());
        OnnxModel model = OnnxModel.load(inputFile, parameter);
        YoloModelInfo info = YoloModelInspector.inspect(model, parameter, request.overrides());
        Map<String, Integer> quantization = QdqPlacement.quantizationNodes(model);
        Precision precision = choosePrecision(request, quantization, inputFile, parameter);
        Optional<Path> cacheFile = calibrationCache(precision, quantization, outputDirectory);
        Optional<BatchProfile> profile = info.fixedBatch() > 0 ? Optional.empty() : request.batchProfile();
        if (info.fixedBatch() == 0 && profile.isEmpty()) {
            throw new InvalidInputException(parameter + " " + inputFile + " has a dynamic batch; TensorRT needs the "
                    + "batch sizes to serve. Set <batchProfile>min,opt,max</batchProfile>, e.g. 1,4,8.");
        }

        EngineEnvironment environment = builder.probe();
        if (!environment.available()) {
            String message = EngineBuilders.howToFix(environment);
            if (request.onMissingTensorRt() == MissingTensorRtPolicy.SKIP) {
                listener.stage("Skipping build-engine (<onMissingTensorRt>skip</onMissingTensorRt>): "
                        + environment.availability().description()
                        + (environment.detail().isEmpty() ? "" : " (" + environment.detail() + ")"));
                return new EngineResult(EngineResult.Outcome.SKIPPED, null, null, null, environment,
                        "skipped: " + environment.availability().description());
            }
            throw new EngineUnavailableException(message);
        }

        String cacheHash = cacheFile.isPresent() ? Sha256.ofFile(cacheFile.get()) : null;
        String classifier = request.classifier().orElse(classifier(environment));
        StageKey key = run.key(input)
                .parameter("precision", precision.id())
                .parameter("workspaceBytes", request.workspaceBytes())
                .parameter("optimizationLevel", request.optimizationLevel())
                .parameter("batchProfile", profile.map(p -> p.min() + "," + p.opt() + "," + p.max()).orElse("none"))
                .parameter("tensorRt", environment.tensorRtVersion())
                .parameter("gpu", environment.gpuName() + " sm" + environment.computeCapability())
                .parameter("classifier", classifier);
        if (cacheHash != null) {
            key.input("calibrationCache", cacheHash);
        }
        Path planFile = outputDirectory.resolve(ArtifactNames.plan(request.model()));
        Path manifestFile = outputDirectory.resolve(ArtifactNames.ENGINE_MANIFEST);
        OutputDirectory.requireWritable(planFile, manifestFile);
        if (run.upToDate(key).isPresent()) {
            listener.stage("Engine up to date: " + planFile.getFileName() + " matches " + inputFile.getFileName()
                    + ", the settings, TensorRT " + environment.tensorRtVersion() + " and the " + environment.gpuName());
            return new EngineResult(EngineResult.Outcome.UP_TO_DATE, planFile, manifestFile, classifier, environment,
                    "up to date");
        }

        listener.stage(String.format(Locale.ROOT, "Building a %s TensorRT %s engine from %s on %s (sm %s), "
                + "optimisation level %d, workspace %d MiB", precision.id(), environment.tensorRtVersion(),
                inputFile.getFileName(), environment.gpuName(), environment.computeCapability(),
                request.optimizationLevel(), request.workspaceBytes() >> 20));
        Optional<byte[]> timingCache = Files.isRegularFile(request.timingCache())
                ? Optional.of(Files.readAllBytes(request.timingCache())) : Optional.empty();
        Optional<byte[]> calibrationCache = cacheFile.isPresent()
                ? Optional.of(Files.readAllBytes(cacheFile.get())) : Optional.empty();
        long start = System.nanoTime();
        BuiltEngine engine = builder.build(new EngineSpec(inputFile, precision, calibrationCache,
                request.workspaceBytes(), request.optimizationLevel(), profile, timingCache), listener);
        AtomicFiles.write(planFile, engine.plan());
        AtomicFiles.write(request.timingCache(), engine.timingCache());
        EngineManifest manifest = new EngineManifest(PluginVersion.get(), key.fingerprint(),
                new EngineManifest.FileHash(inputFile.getFileName().toString(), input.sha256(), Files.size(inputFile)),
                cacheFile.isPresent() ? new EngineManifest.FileHash(ArtifactNames.CALIBRATION_CACHE, cacheHash,
                        Files.size(cacheFile.get())) : null,
                new EngineManifest.FileHash(planFile.getFileName().toString(), Sha256.ofBytes(engine.plan()),
                        engine.plan().length),
                precision.id(), new EngineManifest.Settings(request.workspaceBytes(), request.optimizationLevel(),
                        profile.orElse(null)),
                new EngineManifest.Environment(environment.tensorRtVersion(), environment.cudaRuntimeVersion(),
                        environment.driverVersion(), environment.gpuName(), environment.computeCapability()),
                classifier, engine.timingCacheReused(), engine.warnings());
        AtomicFiles.write(manifestFile, Json.mapper().writeValueAsBytes(manifest));
        run.commit(key, input, planFile, List.of(manifestFile));
        listener.stage(String.format(Locale.ROOT, "Wrote %s (%.1f MB) in %.1f s%s", planFile.getFileName(),
                engine.plan().length / 1e6, (System.nanoTime() - start) / 1e9,
                engine.timingCacheReused() ? ", timing cache reused" : ""));
        return new EngineResult(EngineResult.Outcome.BUILT, planFile, manifestFile, classifier, environment, "built");
    }

    /** The calibration cache an implicit-INT8 (or {@code best}) build of a float model reads, if any. */
    private static Optional<Path> calibrationCache(Precision precision, Map<String, Integer> quantization,
            Path outputDirectory) {
        Path cache = outputDirectory.resolve(ArtifactNames.CALIBRATION_CACHE);
        if (precision == Precision.INT8_IMPLICIT || (precision == Precision.BEST && quantization.isEmpty()
                && Files.isRegularFile(cache))) {
            if (!Files.isRegularFile(cache)) {
                throw new InvalidInputException("<precision>int8-implicit</precision> needs " + cache
                        + ", which calibrate writes. Run the calibrate goal first, or choose another <precision>.");
            }
            return Optional.of(cache);
        }
        return Optional.empty();
    }

    private static Precision choosePrecision(BuildEngineRequest request, Map<String, Integer> quantization,
            Path input, String parameter) {
        boolean quantized = !quantization.isEmpty();
        Precision precision = request.precision().orElse(quantized ? Precision.INT8 : Precision.FP16);
        if (precision == Precision.INT8 && !quantized) {
            throw new InvalidInputException("<precision>int8</precision> builds from a Q/DQ model, but " + parameter
                    + " " + input + " has no QuantizeLinear/DequantizeLinear nodes. Run the calibrate goal first, "
                    + "or use <precision>int8-implicit</precision> with its calibration.cache, or fp16.");
        }
        if (precision == Precision.INT8_IMPLICIT && quantized) {
            throw new InvalidInputException("<precision>int8-implicit</precision> needs the float model, but "
                    + parameter + " " + input + " is already quantized (" + quantization + "). Use "
                    + "<precision>int8</precision> for it, or point <engineInput> at the float model.");
        }
        return precision;
    }

    /** {@code trt10.15-sm90}: the TensorRT version and GPU architecture a plan runs on. */
    static String classifier(EngineEnvironment environment) {
        String[] version = environment.tensorRtVersion().split("\\.");
        String majorMinor = version.length >= 2 ? version[0] + "." + version[1] : environment.tensorRtVersion();
        return "trt" + majorMinor + "-sm" + environment.computeCapability().replace(".", "");
    }
}
