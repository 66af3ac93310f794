package io.github.yoloslim.eval;

import ai.onnxruntime.OrtException;
import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.DatasetImage;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.LetterboxFeed.Item;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.runtime.Detector;
import io.github.yoloslim.runtime.DetectorOutput;
import io.github.yoloslim.runtime.DetectorSession;
import io.github.yoloslim.runtime.ImageBatches;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Runs a YOLOv8 ONNX model over a dataset on the CPU and scores it with COCO evaluation. Images are decoded
 * and letterboxed ({@link ImageBatches}) on all cores between ONNX Runtime's runs, or beside an engine's runs on
 * the GPU ({@link Detector#decodeSchedule(int)}). The model's bytes are read once: what is run is what the
 * evaluation's hash names.
 */
public final class ModelEvaluator {

    /** Opens what runs a model: an ONNX file in ONNX Runtime, or an engine built from one. */
    @FunctionalInterface
    public interface DetectorOpener {
        Detector open(FileSnapshot file, YoloModelInfo info) throws Exception;
    }

    private final EvaluationSettings settings;
    private final ProgressListener listener;
    private final DetectorOpener opener;

    /** Evaluates ONNX models in ONNX Runtime on the CPU. */
    public ModelEvaluator(EvaluationSettings settings, ProgressListener listener) {
        this.settings = settings;
        this.listener = listener;
        this.opener = (file, info) -> DetectorSession.open(file, info, settings.threadCount(), "<model>");
    }

    /** Evaluates models that {@code opener} runs, e.g. TensorRT engines. */
    public ModelEvaluator(EvaluationSettings settings, ProgressListener listener, DetectorOpener opener) {
        this.settings = settings;
        this.listener = listener;
        this.opener = opener;
    }

    /**
     * Evaluates one ONNX model.
     *
     * @param modelFile the ONNX model
     * @param parameter the setting the model came from ({@code <candidate>}), for messages
     * @param role what the model is in this run ({@code baseline}, {@code candidate}), for progress lines
     */
    public ModelEvaluation evaluate(Path modelFile, String parameter, String role, Dataset dataset)
            throws IOException, OrtException {
        FileSnapshot model = OnnxModel.read(modelFile, parameter);
        return evaluate(model, OnnxModel.parse(model, parameter), parameter, role, dataset);
    }

    /**
     * Evaluates {@code run} (an ONNX model, or an engine) whose input, output and classes are those of {@code onnx}.
     */
    public ModelEvaluation evaluate(FileSnapshot run, OnnxModel onnx, String parameter, String role, Dataset dataset)
            throws IOException, OrtException {
        long start = System.nanoTime();
        Inference inference = infer(run, onnx, parameter, role, dataset);
        long[] imageIds = inference.evaluatedIds().stream().mapToLong(Long::longValue).sorted().toArray();
        CocoEvalResult result = new CocoEvaluator(settings.threadCount()).evaluate(dataset.categories(), imageIds,
                dataset.annotations(), inference.detections());
        double seconds = (System.nanoTime() - start) / 1e9;
        listener.stage(String.format(Locale.ROOT,
                "  %s: %d images in %.1f s (%.1f images/s), %d detections, mAP50-95 %.3f, mAP50 %.3f", role,
                imageIds.length, seconds, imageIds.length / seconds, inference.detections().size(),
                result.stats().ap(), result.stats().ap50()));
        ClassMapping mapping = inference.mapping();
        List<CategoryAp> predicted = result.perCategory().stream()
                .filter(ap -> contains(mapping, ap.categoryId())).toList();
        return new ModelEvaluation(run.file().toString(), run.sha256(), inference.info().summary(),
                result.stats(), predicted, result.curves(), imageIds.length, inference.skipped(), mapping.unmapped(),
                inference.detections().size(), seconds);
    }

    /** The detections of {@code modelFile} on every readable image of {@code dataset}, in image order. */
    public List<Detection> detect(Path modelFile, String parameter, Dataset dataset) throws IOException, OrtException {
        FileSnapshot model = OnnxModel.read(modelFile, parameter);
        return infer(model, OnnxModel.parse(model, parameter), parameter, "model", dataset).detections();
    }

    private record Inference(YoloModelInfo info, ClassMapping mapping, List<Detection> detections,
            List<Long> evaluatedIds, List<String> skipped) {
    }

    private Inference infer(FileSnapshot run, OnnxModel onnx, String parameter, String role, Dataset dataset)
            throws IOException, OrtException {
        Path modelFile = run.file();
        YoloModelInfo info = YoloModelInspector.inspect(onnx, parameter, settings.overrides());
        ClassMapping mapping = ClassMapping.byName(info.classNames(), dataset.categories(), parameter + " " + modelFile);
        if (!mapping.unmapped().isEmpty()) {
            listener.warn(role + " " + modelFile.getFileName() + ": " + mapping.unmapped().size()
                    + " classes have no dataset category and their detections are dropped: " + mapping.unmapped());
        }
        listener.detail(role + " " + modelFile.getFileName() + ": " + info.summary());
        info.batchNote(role + " " + modelFile.getFileName()).ifPresent(listener::stage);

        List<Detection> detections = new ArrayList<>();
        List<Long> evaluatedIds = new ArrayList<>();
        YoloDecoder decoder = new YoloDecoder(settings.decode(), info.numClasses());
        listener.stage("Evaluating " + role + " " + modelFile.getFileName() + " on " + dataset.images().size()
                + " images (" + info.inputHeight() + "x" + info.inputWidth() + ")");
        try (Detector session = open(run, info, parameter);
                ImageBatches<DatasetImage> batches = ImageBatches.of(dataset.images(), DatasetImage::file,
                        new Letterbox(info.inputHeight(), info.inputWidth()),
                        session.batchCapacity(settings.preferredBatch()),
                        session.decodeSchedule(settings.threadCount()), settings.unreadableImages(),
                        new ImageBatches.Source("dataset", dataset.description(), role), listener)) {
            while (batches.hasNext()) {
                ImageBatches.Batch<DatasetImage> batch = batches.next();
                DetectorOutput output = session.run(batch.pixels(), batch.size());
                for (int b = 0; b < batch.size(); b++) {
                    Item<DatasetImage> item = batch.items().get(b);
                    int kept = 0;
                    for (BoxCandidate box : decoder.decode(output, b)) {
                        int categoryId = mapping.categoryId(box.classIndex());
                        if (categoryId >= 0) {
                            detections.add(toDetection(item, box, categoryId));
                            kept++;
                        }
                    }
                    evaluatedIds.add(item.source().id());
                    listener.detail(role + " " + item.file().getFileName() + ": " + kept + " detections");
                }
            }
            return new Inference(info, mapping, detections, evaluatedIds, batches.skipped());
        }
    }

    private Detector open(FileSnapshot file, YoloModelInfo info, String parameter) throws IOException, OrtException {
        try {
            return opener.open(file, info);
        } catch (IOException | OrtException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IOException(parameter + " " + file.file() + " cannot be run: " + e.getMessage(), e);
        }
    }

    private static boolean contains(ClassMapping mapping, int categoryId) {
        for (int id : mapping.categoryIds()) {
            if (id == categoryId) {
                return true;
            }
        }
        return false;
    }

    private static Detection toDetection(Item<DatasetImage> item, BoxCandidate box, int categoryId) {
        double[] xyxy = item.geometry().toOriginal(box.x1(), box.y1(), box.x2(), box.y2());
        return new Detection(item.source().id(), categoryId, xyxy[0], xyxy[1], xyxy[2] - xyxy[0],
                xyxy[3] - xyxy[1], box.score());
    }
}
