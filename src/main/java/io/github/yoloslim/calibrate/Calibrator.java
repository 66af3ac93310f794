package io.github.yoloslim.calibrate;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.cache.ArtifactNames;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.cache.OutputDirectory;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.cache.PluginVersion;
import io.github.yoloslim.cache.StageKey;
import io.github.yoloslim.cache.StageRun;
import io.github.yoloslim.cache.StageRun.StageInput;
import io.github.yoloslim.data.DecodeSchedule;
import io.github.yoloslim.data.ImageSelection;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.OperatorSemantics;
import io.github.yoloslim.onnx.OperatorSemantics.Scales;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.quantize.QdqPlacement;
import io.github.yoloslim.quantize.QdqQuantizer;
import io.github.yoloslim.quantize.TensorRtCalibrationCache;
import io.github.yoloslim.runtime.BatchSizes;
import io.github.yoloslim.runtime.ImageBatches;
import io.github.yoloslim.runtime.TappedSession;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code calibrate}'s core: runs the float model over calibration images on the CPU with the activations the
 * Q/DQ placement needs exposed as outputs, streams them into histograms, picks each tensor's range, and
 * writes the explicitly quantized model, TensorRT's calibration cache and {@code calibration.json}.
 */
public final class Calibrator {


    /** NVIDIA advises at least 500 calibration images; fewer than this is worth a warning. */
    static final int FEW_IMAGES = 100;

    /**
     * The values of one tensor read and binned per image, in runs of {@link ActivationHistogram#RUN}: over a
     * calibration set, millions of samples per range, at a fraction of the memory traffic of reading every value
     * (the measurements that chose it are in the calibrate docs).
     */
    static final int SAMPLES_PER_IMAGE = 1 << 17;

    private final ProgressListener listener;

    public Calibrator(ProgressListener listener) {
        this.listener = listener;
    }

    /** Calibrates, or reports that the outputs are up to date. */
    public CalibrationResult run(CalibrateRequest request) throws IOException, OrtException {
        try (StageRun run = StageRun.begin(PipelineStage.CALIBRATE, request.outputDirectory(), request.model(),
                listener)) {
            StageInput input = run.input(request.input());
            listener.detail("calibrate input: " + input.explanation());
            OnnxModel model = OnnxModel.load(input.file(), input.parameter());
            YoloModelInfo info = YoloModelInspector.inspect(model, input.parameter(), request.overrides());
            QdqPlacement plan = QdqPlacement.plan(model, request.qdq());
            List<String> tensors = measured(model, plan);
            ImageSelection selection = selectImages(request);
            StageKey key = key(run.key(input), request, selection.contentHash(request.calibrationImages()));

            Path outputDirectory = run.outputDirectory();
            Path quantizedFile = outputDirectory.resolve(ArtifactNames.quantizedModel(request.model()));
            Path cacheFile = outputDirectory.resolve(ArtifactNames.CALIBRATION_CACHE);
            Path reportFile = outputDirectory.resolve(ArtifactNames.CALIBRATION_REPORT);
            OutputDirectory.requireWritable(quantizedFile, cacheFile, reportFile);
            if (run.upToDate(key).isPresent()) {
                listener.stage("Calibration up to date: " + quantizedFile.getFileName() + " and "
                        + ArtifactNames.CALIBRATION_CACHE + " match the model, images and settings ("
                        + ArtifactNames.CALIBRATION_REPORT + ")");
                return new CalibrationResult(CalibrationResult.Outcome.UP_TO_DATE, quantizedFile, cacheFile,
                        reportFile, selection.images().size(), tensors.size());
            }

            listener.stage(String.format(Locale.ROOT, "Calibrating %s (%s layout, %s: Q/DQ on %d activations, %d "
                    + "measured) on %d of %d images from %s, method %s", input.file().getFileName(),
                    StageKey.configName(request.qdq().format()), request.qdq().encoding().id(),
                    plan.quantizedTensors().size(), tensors.size(), selection.images().size(), selection.available(),
                    request.calibrationImages(), request.method().id()));
            Statistics statistics = collect(model, info, tensors, selection.images(), request);
            List<CalibrationReport.Group> groups = groupRanges(plan, statistics.histograms(), request);
            Map<String, Double> amax = new TreeMap<>();
            groups.forEach(group -> group.tensors().forEach(tensor -> amax.put(tensor, group.amax())));

            QdqQuantizer.quantize(model, plan, amax).save(quantizedFile);
            // The header names the calibrator that reads the cache, not the method that measured the ranges.
            String cache = TensorRtCalibrationCache.format(
                    TensorRtCalibrationCache.versionTag(request.tensorRtVersion(), "tensorRtVersion"),
                    TensorRtCalibrationCache.ENTROPY_CALIBRATION_2, amax);
            AtomicFiles.write(cacheFile, cache.getBytes(StandardCharsets.UTF_8));
            CalibrationReport report = new CalibrationReport(PluginVersion.get(), key.fingerprint(),
                    new CalibrationReport.Source(input.file().getFileName().toString(), input.sha256()),
                    new CalibrationReport.Images(request.calibrationImages().getFileName().toString(),
                            statistics.used(), selection.available(), statistics.skipped(),
                            key.inputs().get("calibrationImages")),
                    request.method().id(), request.percentile(), StageKey.configName(request.qdq().format()),
                    request.qdq().encoding().id(), request.tensorRtVersion(), amax, groups, plan.notes());
            AtomicFiles.write(reportFile, Json.mapper().writeValueAsBytes(report));
            run.commit(key, input, quantizedFile, List.of(cacheFile, reportFile));
            listener.stage(String.format(Locale.ROOT, "Wrote %s, %s and %s (%d scale groups from %d images in %.1f s, "
                    + "%.1f images/s)", quantizedFile.getFileName(), ArtifactNames.CALIBRATION_CACHE,
                    ArtifactNames.CALIBRATION_REPORT, groups.size(), statistics.used(),
                    statistics.seconds(), statistics.used() / statistics.seconds()));
            return new CalibrationResult(CalibrationResult.Outcome.CALIBRATED, quantizedFile, cacheFile, reportFile,
                    statistics.used(), tensors.size());
        }
    }

    /** The calibration images, with a warning when there are too few for steady ranges. */
    private ImageSelection selectImages(CalibrateRequest request) throws IOException {
        ImageSelection selection = ImageSelection.from(request.calibrationImages(), "calibrationImages",
                request.maxImages());
        if (selection.images().size() < FEW_IMAGES) {
            listener.warn("Calibrating on " + selection.images().size() + " images; ranges from fewer than "
                    + FEW_IMAGES + " images are noisy (NVIDIA advises 500). Add images to <calibrationImages> "
                    + request.calibrationImages() + ".");
        }
        return selection;
    }

    /** Everything the outputs depend on; threads and batch size do not change them. */
    private static StageKey key(StageKey key, CalibrateRequest request, String imagesHash) {
        return key.input("calibrationImages", imagesHash)
                .parameter("method", request.method())
                .parameter("percentile", request.percentile())
                .parameter("qdqFormat", request.qdq().format())
                .parameter("int8Encoding", request.qdq().encoding().id())
                .names("excludeNodes", request.qdq().excludeNodes())
                .names("excludeOpTypes", request.qdq().excludeOpTypes())
                .parameter("tensorRtVersion", request.tensorRtVersion())
                .parameter("imageSize", request.overrides().imageSize())
                .parameter("classNames", request.overrides().classNames());
    }

    /**
     * The activations whose values are measured: those that get a Q/DQ pair, except one that a quantized Concat
     * (a {@link Scales#SHARED} operator) takes in (its values are in the Concat's output, which is measured and
     * shares its scale). A scale group's
     * other members (Split halves, MaxPool outputs, a Concat's inputs) hold values the measured ones hold too.
     */
    private static List<String> measured(OnnxModel model, QdqPlacement plan) {
        GraphView graph = model.graphView();
        return plan.quantizedTensors().stream()
                .filter(tensor -> graph.consumers(tensor).stream().noneMatch(consumer -> OperatorSemantics.of(
                        consumer.getOpType()).scales() == Scales.SHARED
                        && plan.quantizedTensors().contains(consumer.getOutput(0))))
                .toList();
    }

    /**
     * One range per scale group, from the merged histograms of its measured members, so a shared scale is
     * chosen for all the values it quantizes.
     */
    private static List<CalibrationReport.Group> groupRanges(QdqPlacement plan,
            Map<String, ActivationHistogram> histograms, CalibrateRequest request) {
        Map<String, List<String>> members = new TreeMap<>();
        for (String tensor : plan.calibratedTensors()) {
            members.computeIfAbsent(plan.groupOf().getOrDefault(tensor, tensor), k -> new ArrayList<>()).add(tensor);
        }
        // Groups are independent and the entropy search is not free: spread them over the cores.
        return members.entrySet().parallelStream().map(entry -> {
            List<String> tensors = entry.getValue();
            List<String> measuredOn = tensors.stream().filter(histograms::containsKey).toList();
            ActivationHistogram merged = histograms.get(measuredOn.get(0));
            if (measuredOn.size() > 1) {
                merged = new ActivationHistogram();
                for (String tensor : measuredOn) {
                    merged.merge(histograms.get(tensor));
                }
            }
            Map<String, Double> byMethod = new LinkedHashMap<>();
            Map<String, Double> clippedByMethod = new LinkedHashMap<>();
            for (RangeMethod method : RangeMethod.values()) {
                double amax = RangeEstimator.amax(merged, method, request.percentile());
                byMethod.put(method.id(), amax);
                clippedByMethod.put(method.id(), merged.clippedFraction(amax));
            }
            return new CalibrationReport.Group(entry.getKey(), tensors, measuredOn,
                    byMethod.get(request.method().id()), merged.absMax(), merged.offeredCount(), merged.count(),
                    byMethod, clippedByMethod);
        }).toList();
    }

    private record Statistics(Map<String, ActivationHistogram> histograms, int used, int skipped, double seconds) {
    }

    /** One pass over the images; each tensor's histogram is filled in image order, so results are deterministic. */
    private Statistics collect(OnnxModel model, YoloModelInfo info, List<String> tensors, List<Path> images,
            CalibrateRequest request) throws IOException, OrtException {
        Map<String, ActivationHistogram> histograms = new LinkedHashMap<>();
        tensors.forEach(tensor -> histograms.put(tensor, new ActivationHistogram()));
        int batchSize = BatchSizes.resolve(request.batchSize(), info.requiredBatch());
        info.batchNote(model.source()).ifPresent(listener::stage);
        ExecutorService pool = Executors.newFixedThreadPool(request.threadCount());
        try (TappedSession session = TappedSession.open(model, info, tensors, request.threadCount());
                ImageBatches<Path> batches = ImageBatches.of(images, path -> path,
                        new Letterbox(info.inputHeight(), info.inputWidth()), batchSize,
                        DecodeSchedule.betweenRuns(request.threadCount()), request.unreadableImages(),
                        new ImageBatches.Source("calibrationImages", request.calibrationImages(), "calibration"),
                        listener)) {
            int used = 0;
            while (batches.hasNext()) {
                ImageBatches.Batch<Path> batch = batches.next();
                Map<String, FloatBuffer> outputs = new LinkedHashMap<>();
                session.run(batch.pixels(), batch.size(), outputs::put);
                accumulate(pool, histograms, outputs, batch.size(), used);
                used += batch.size();
            }
            return new Statistics(histograms, used, batches.skipped().size(), batches.seconds());
        } finally {
            pool.shutdownNow();
        }
    }

    /**
     * Updates every tensor's histogram, tensors in parallel (inference is idle meanwhile, so every core helps),
     * largest first so the threads finish together. Each image is sampled on its own, so the result does not
     * depend on the batch size.
     *
     * @param firstImage the index of the batch's first image among the images used, which staggers the samples
     */
    private static void accumulate(ExecutorService pool, Map<String, ActivationHistogram> histograms,
            Map<String, FloatBuffer> outputs, int images, int firstImage) throws IOException {
        List<Callable<Void>> tasks = outputs.entrySet().stream()
                .sorted(Comparator.comparingInt((Map.Entry<String, FloatBuffer> e) -> e.getValue().remaining())
                        .reversed())
                .map(entry -> (Callable<Void>) () -> {
                    ActivationHistogram histogram = histograms.get(entry.getKey());
                    FloatBuffer values = entry.getValue();
                    int perImage = values.remaining() / images;
                    int stride = runStride(perImage);
                    for (int image = 0; image < images; image++) {
                        int start = values.position() + image * perImage;
                        histogram.add(values.duplicate().limit(start + perImage).position(start),
                                (firstImage + image) % stride, stride);
                    }
                    return null;
                })
                .toList();
        try {
            for (Future<Void> done : pool.invokeAll(tasks)) {
                done.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while collecting activation statistics", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("collecting activation statistics failed", e.getCause());
        }
    }

    /**
     * Which runs of a tensor's {@code perImage} values are read in one image: every {@code stride}-th, the least
     * stride that reads at most {@link #SAMPLES_PER_IMAGE} values and is coprime to the number of runs, so that
     * the runs read fall at a different place in each plane instead of on the same few rows of every channel.
     * Each image starts at another run ({@code image % stride}), so a calibration set covers every run.
     */
    static int runStride(int perImage) {
        int runs = (perImage + ActivationHistogram.RUN - 1) / ActivationHistogram.RUN;
        int budget = SAMPLES_PER_IMAGE / ActivationHistogram.RUN;
        int stride = Math.max(1, (runs + budget - 1) / budget);
        while (BigInteger.valueOf(stride).gcd(BigInteger.valueOf(runs)).intValue() != 1) {
            stride++;
        }
        return stride;
    }
}
