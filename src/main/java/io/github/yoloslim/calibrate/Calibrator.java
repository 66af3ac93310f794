package io.github.yoloslim.calibrate;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.AtomicFiles;
import io.github.yoloslim.cache.Json;
import io.github.yoloslim.cache.OutputDirectory;
import io.github.yoloslim.cache.PipelineRecord;
import io.github.yoloslim.cache.PipelineStage;
import io.github.yoloslim.cache.PluginVersion;
import io.github.yoloslim.cache.Sha256;
import io.github.yoloslim.data.ImageSelection;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.LetterboxFeed;
import io.github.yoloslim.data.LetterboxFeed.Item;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.quantize.QdqPlacement;
import io.github.yoloslim.quantize.QdqQuantizer;
import io.github.yoloslim.quantize.TensorRtCalibrationCache;
import io.github.yoloslim.runtime.TappedSession;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code calibrate}'s core: runs the float model over calibration images on the CPU with the activations the
 * Q/DQ placement needs exposed as outputs, streams them into histograms, picks each tensor's range, and
 * writes the explicitly quantized model, TensorRT's calibration cache and {@code calibration.json}.
 */
public final class Calibrator {

    /** The report's file name in the output directory. */
    public static final String REPORT = "calibration.json";
    /** TensorRT's calibration cache's file name in the output directory. */
    public static final String CACHE = "calibration.cache";

    /** NVIDIA advises at least 500 calibration images; fewer than this is worth a warning. */
    static final int FEW_IMAGES = 100;

    /**
     * The values of one tensor read and binned per image, in runs of {@link ActivationHistogram#RUN}. Over a
     * calibration set this gives each range millions of samples. On yolov8n it reads 3.9 M of the 17.6 M
     * values an image taps (all of each tensor up to 128×32×32). Measured on the pooled 208 held-out images, the
     * default method's INT8 mAP50-95 was 0.4069 with this budget, FP32's being 0.4065. Under the earlier scheme
     * (every value scanned for the maximum, a regular 1-in-n sample binned) it was 0.4122 with this budget and
     * 0.4146 with twice it, and a quarter of it moved ranges enough to fail the small calibrate-verify IT's 0.02
     * gate.
     */
    static final int SAMPLES_PER_IMAGE = 1 << 17;

    private static final long PROGRESS_INTERVAL_NANOS = 10_000_000_000L;

    private final ProgressListener listener;

    public Calibrator(ProgressListener listener) {
        this.listener = listener;
    }

    /** Calibrates, or reports that the outputs are up to date. */
    public CalibrationResult run(CalibrateRequest request) throws IOException, OrtException {
        Path outputDirectory = OutputDirectory.prepare(request.outputDirectory());
        PipelineRecord pipeline = PipelineRecord.read(outputDirectory);
        PipelineRecord.StageInput input = pipeline.inputFor(PipelineStage.CALIBRATE, request.input(), request.model(),
                outputDirectory);
        Path inputFile = input.file();
        String parameter = input.parameter();
        listener.detail("calibrate input: " + input.explanation());
        OnnxModel model = OnnxModel.load(inputFile, parameter);
        YoloModelInfo info = YoloModelInspector.inspect(model, parameter, request.overrides());
        QdqPlacement plan = QdqPlacement.plan(model, request.qdq());
        List<String> tensors = measured(model, plan);

        ImageSelection selection = ImageSelection.from(request.calibrationImages(), "calibrationImages",
                request.maxImages());
        List<Path> images = selection.images();
        if (images.size() < FEW_IMAGES) {
            listener.warn("Calibrating on " + images.size() + " images; ranges from fewer than " + FEW_IMAGES
                    + " images are noisy (NVIDIA advises 500). Add images to <calibrationImages> "
                    + request.calibrationImages() + ".");
        }

        String modelHash = Sha256.ofFile(inputFile);
        String imagesHash = selection.contentHash(request.calibrationImages());
        String fingerprint = Sha256.builder()
                .add("model", modelHash)
                .add("images", imagesHash)
                .add("method", request.method())
                .add("percentile", request.percentile())
                .add("qdq", request.qdq())
                .add("tensorRtVersion", request.tensorRtVersion())
                .add("overrides", request.overrides())
                .add("plugin", PluginVersion.get())
                .hex();
        Path quantizedFile = outputDirectory.resolve(OnnxModel.baseName(request.model()) + ".int8.onnx");
        Path cacheFile = outputDirectory.resolve(CACHE);
        Path reportFile = outputDirectory.resolve(REPORT);
        if (upToDate(reportFile, fingerprint, quantizedFile, cacheFile)) {
            recordStage(pipeline, request, quantizedFile, modelHash, imagesHash);
            listener.stage("Calibration up to date: " + quantizedFile.getFileName() + " and " + CACHE
                    + " match the model, images and settings (" + REPORT + ")");
            return new CalibrationResult(CalibrationResult.Outcome.UP_TO_DATE, quantizedFile, cacheFile, reportFile,
                    images.size(), tensors.size());
        }

        listener.stage(String.format(Locale.ROOT, "Calibrating %s (%s layout, %s: Q/DQ on %d activations, %d "
                + "measured) on %d of %d images from %s, method %s", inputFile.getFileName(),
                request.qdq().format().name().toLowerCase(Locale.ROOT), request.qdq().encoding().id(),
                plan.quantizedTensors().size(),
                tensors.size(), images.size(), selection.available(), request.calibrationImages(),
                request.method().id()));
        Statistics statistics = collect(model, info, tensors, images, request);

        List<CalibrationReport.Group> groups = groupRanges(plan, statistics.histograms(), request);
        Map<String, Double> amax = new TreeMap<>();
        groups.forEach(group -> group.tensors().forEach(tensor -> amax.put(tensor, group.amax())));

        OnnxModel quantized = QdqQuantizer.quantize(model, plan, amax);
        quantized.save(quantizedFile);
        // The header names the calibrator that reads the cache, not the method that measured the ranges.
        String cache = TensorRtCalibrationCache.format(
                TensorRtCalibrationCache.versionTag(request.tensorRtVersion(), "tensorRtVersion"),
                TensorRtCalibrationCache.ENTROPY_CALIBRATION_2, amax);
        AtomicFiles.write(cacheFile, cache.getBytes(StandardCharsets.UTF_8));
        Map<String, CalibrationReport.Source> outputs = new TreeMap<>();
        outputs.put("quantizedModel", new CalibrationReport.Source(quantizedFile.getFileName().toString(),
                Sha256.ofFile(quantizedFile)));
        outputs.put("calibrationCache", new CalibrationReport.Source(CACHE, Sha256.ofFile(cacheFile)));
        CalibrationReport report = new CalibrationReport(PluginVersion.get(), fingerprint,
                new CalibrationReport.Source(inputFile.getFileName().toString(), modelHash),
                new CalibrationReport.Images(request.calibrationImages().getFileName().toString(), statistics.used(),
                        selection.available(), statistics.skipped(), imagesHash),
                request.method().id(), request.percentile(),
                request.qdq().format().name().toLowerCase(Locale.ROOT), request.qdq().encoding().id(),
                request.tensorRtVersion(), amax, groups,
                plan.notes(), outputs);
        AtomicFiles.write(reportFile, Json.mapper().writeValueAsBytes(report));
        recordStage(pipeline, request, quantizedFile, modelHash, imagesHash);
        listener.stage(String.format(Locale.ROOT, "Wrote %s, %s and %s (%d scale groups from %d images in %.1f s, "
                + "%.1f images/s)", quantizedFile.getFileName(), CACHE, REPORT, groups.size(), statistics.used(),
                statistics.seconds(), statistics.used() / statistics.seconds()));
        return new CalibrationResult(CalibrationResult.Outcome.CALIBRATED, quantizedFile, cacheFile, reportFile,
                statistics.used(), tensors.size());
    }

    /**
     * The activations whose values are measured: those that get a Q/DQ pair, except one that a quantized Concat
     * takes in (its values are in the Concat's output, which is measured and shares its scale). A scale group's
     * other members (Split halves, MaxPool outputs, a Concat's inputs) hold values the measured ones hold too.
     */
    private static List<String> measured(OnnxModel model, QdqPlacement plan) {
        GraphView graph = model.graphView();
        return plan.quantizedTensors().stream()
                .filter(tensor -> graph.consumers(tensor).stream().noneMatch(consumer -> consumer.getOpType()
                        .equals("Concat") && plan.quantizedTensors().contains(consumer.getOutput(0))))
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
            for (RangeMethod method : RangeMethod.values()) {
                byMethod.put(method.id(), RangeEstimator.amax(merged, method, request.percentile()));
            }
            return new CalibrationReport.Group(entry.getKey(), tensors, measuredOn,
                    byMethod.get(request.method().id()), merged.absMax(), merged.offeredCount(), merged.count(),
                    byMethod);
        }).toList();
    }

    private record Statistics(Map<String, ActivationHistogram> histograms, int used, int skipped, double seconds) {
    }

    /** One pass over the images; each tensor's histogram is filled in image order, so results are deterministic. */
    private Statistics collect(OnnxModel model, YoloModelInfo info, List<String> tensors, List<Path> images,
            CalibrateRequest request) throws IOException, OrtException {
        long start = System.nanoTime();
        Map<String, ActivationHistogram> histograms = new LinkedHashMap<>();
        tensors.forEach(tensor -> histograms.put(tensor, new ActivationHistogram()));
        int used = 0;
        int skipped = 0;
        ExecutorService pool = Executors.newFixedThreadPool(request.threadCount());
        try (TappedSession session = TappedSession.open(model, info, tensors, request.threadCount())) {
            int batch = info.fixedBatch() > 0 ? info.fixedBatch() : Math.max(1, request.batchSize());
            Letterbox letterbox = new Letterbox(info.inputHeight(), info.inputWidth());
            int imageFloats = letterbox.inputLength();
            float[] input = new float[batch * imageFloats];
            long lastReport = System.nanoTime();
            int done = 0;
            try (LetterboxFeed<Path> feed = new LetterboxFeed<>(images, path -> path, letterbox, 2 * batch)) {
                while (feed.hasNext()) {
                    int filled = 0;
                    while (filled < batch && feed.hasNext()) {
                        Item<Path> item = feed.next();
                        done++;
                        if (item.error() != null) {
                            listener.warn("Skipping unreadable calibration image: " + item.error().getMessage());
                            skipped++;
                            continue;
                        }
                        System.arraycopy(item.pixels(), 0, input, filled * imageFloats, imageFloats);
                        filled++;
                    }
                    if (filled == 0) {
                        continue;
                    }
                    Map<String, FloatBuffer> outputs = new LinkedHashMap<>();
                    session.run(input, filled, outputs::put);
                    accumulate(pool, histograms, outputs, filled, used);
                    used += filled;
                    if (System.nanoTime() - lastReport > PROGRESS_INTERVAL_NANOS && feed.hasNext()) {
                        lastReport = System.nanoTime();
                        listener.stage(String.format(Locale.ROOT, "  calibration: %d/%d images, %.1f images/s", done,
                                images.size(), done / ((lastReport - start) / 1e9)));
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
        if (used == 0) {
            throw new InvalidInputException("none of the " + images.size() + " images in <calibrationImages> "
                    + request.calibrationImages() + " could be read. Point it at a folder of JPEG or PNG images.");
        }
        return new Statistics(histograms, used, skipped, (System.nanoTime() - start) / 1e9);
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

    private static boolean upToDate(Path reportFile, String fingerprint, Path quantizedFile, Path cacheFile)
            throws IOException {
        if (!Files.isRegularFile(reportFile) || !Files.isRegularFile(quantizedFile) || !Files.isRegularFile(cacheFile)) {
            return false;
        }
        CalibrationReport previous;
        try {
            previous = Json.mapper().readValue(reportFile.toFile(), CalibrationReport.class);
        } catch (IOException e) {
            return false;
        }
        return fingerprint.equals(previous.fingerprint()) && previous.outputs() != null
                && sameHash(previous.outputs().get("quantizedModel"), quantizedFile)
                && sameHash(previous.outputs().get("calibrationCache"), cacheFile);
    }

    private static boolean sameHash(CalibrationReport.Source recorded, Path file) throws IOException {
        return recorded != null && recorded.sha256().equals(Sha256.ofFile(file));
    }

    private static void recordStage(PipelineRecord pipeline, CalibrateRequest request, Path quantizedFile,
            String modelHash, String imagesHash) throws IOException {
        Map<String, String> inputs = new TreeMap<>();
        inputs.put("model", modelHash);
        inputs.put("calibrationImages", imagesHash);
        Map<String, Object> parameters = new TreeMap<>();
        parameters.put("method", request.method().id());
        parameters.put("percentile", request.percentile());
        parameters.put("qdqFormat", request.qdq().format().name().toLowerCase(Locale.ROOT));
        parameters.put("int8Encoding", request.qdq().encoding().id());
        parameters.put("maxImages", request.maxImages());
        parameters.put("tensorRtVersion", request.tensorRtVersion());
        pipeline.with(PipelineStage.CALIBRATE, new PipelineRecord.StageOutput(quantizedFile.getFileName().toString(),
                Sha256.ofFile(quantizedFile), inputs, parameters, PluginVersion.get()))
                .write(request.outputDirectory());
    }
}
