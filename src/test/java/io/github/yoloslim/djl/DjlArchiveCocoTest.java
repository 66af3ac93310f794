package io.github.yoloslim.djl;

import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.modality.cv.output.Rectangle;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.DeferredTranslatorFactory;
import io.github.yoloslim.data.Dataset;
import io.github.yoloslim.data.DatasetImage;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.eval.CocoEvaluator;
import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.eval.Detection;
import io.github.yoloslim.eval.EvaluationSettings;
import io.github.yoloslim.eval.ModelEvaluator;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.testing.SharedData;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The archive's translator gives an application verify-map's numbers: the real YOLOv8n on the 80 coco-tiny
 * validation images, detected through DJL's Criteria with the OnnxRuntime engine, scores the mAP that verify-map's
 * own pipeline scores.
 */
class DjlArchiveCocoTest {

    @TempDir
    Path dir;

    @BeforeAll
    static void djlOffline(@TempDir Path cache) {
        DjlTesting.prepare(cache);
    }

    @Test
    void djlDetectionsScoreVerifyMapsMapFromFilesAndNearlyFromDjlImages() throws Exception {
        Path shared = SharedData.require("models/yolov8n.onnx").getParent().getParent();
        Path model = shared.resolve("models/yolov8n.onnx");
        Dataset dataset = SharedData.coco(shared, "coco-tiny", "val2017");
        DjlArchiveResult archive = new DjlArchive(ProgressListener.silent()).run(new DjlArchiveRequest(model,
                Optional.empty(), DecodeSettings.VALIDATION, ModelOverrides.NONE, dir.resolve("yolo-slim")));

        List<Detection> plugin = new ModelEvaluator(new EvaluationSettings(DecodeSettings.VALIDATION,
                ModelOverrides.NONE, 0, 1, UnreadableImagePolicy.FAIL), ProgressListener.silent())
                .detect(model, "<model>", dataset);
        List<Detection> fromFiles = detect(archive.archive(), Path.class, dataset, DatasetImage::file);
        ImageFactory images = ImageFactory.getInstance();
        List<Detection> fromImages = detect(archive.archive(), Image.class, dataset,
                image -> images.fromFile(image.file()));

        double verifyMap = map(dataset, plugin);
        double files = map(dataset, fromFiles);
        double djlImages = map(dataset, fromImages);
        System.out.printf(Locale.ROOT, "coco-tiny val2017 mAP50-95: verify-map %.4f, DJL from files %.4f, "
                + "DJL from DJL images %.4f%n", verifyMap, files, djlImages);
        assertThat(verifyMap).isGreaterThan(0.3);
        assertThat(Math.abs(files - verifyMap)).isLessThanOrEqualTo(0.002);
        assertThat(Math.abs(djlImages - verifyMap)).isLessThanOrEqualTo(0.01);
    }

    /** How a test input is made from a dataset image. */
    @FunctionalInterface
    private interface InputOf<I> {
        I of(DatasetImage image) throws Exception;
    }

    private static <I> List<Detection> detect(Path archive, Class<I> type, Dataset dataset, InputOf<I> input) throws Exception {
        Criteria<I, DetectedObjects> criteria = Criteria.builder().setTypes(type, DetectedObjects.class)
                .optModelPath(archive).optTranslatorFactory(new DeferredTranslatorFactory()).build();
        List<Detection> detections = new ArrayList<>();
        try (ZooModel<I, DetectedObjects> loaded = criteria.loadModel();
                Predictor<I, DetectedObjects> predictor = loaded.newPredictor()) {
            for (DatasetImage image : dataset.images()) {
                DetectedObjects found = predictor.predict(input.of(image));
                for (int i = 0; i < found.getNumberOfObjects(); i++) {
                    DetectedObjects.DetectedObject object = found.item(i);
                    Rectangle box = object.getBoundingBox().getBounds();
                    detections.add(new Detection(image.id(), categoryId(dataset, object.getClassName()),
                            box.getX() * image.width(), box.getY() * image.height(), box.getWidth() * image.width(),
                            box.getHeight() * image.height(), object.getProbability()));
                }
            }
        }
        return detections;
    }

    private static int categoryId(Dataset dataset, String name) {
        return dataset.categories().stream().filter(category -> category.name().equals(name)).findFirst()
                .orElseThrow().id();
    }

    private static double map(Dataset dataset, List<Detection> detections) {
        long[] ids = dataset.images().stream().mapToLong(DatasetImage::id).sorted().toArray();
        return new CocoEvaluator(1).evaluate(dataset.categories(), ids, dataset.annotations(), detections).stats()
                .ap();
    }
}
