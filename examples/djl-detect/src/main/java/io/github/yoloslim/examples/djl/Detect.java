package io.github.yoloslim.examples.djl;

import ai.djl.ModelException;
import ai.djl.inference.Predictor;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.ImageFactory;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.modality.cv.output.Rectangle;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.DeferredTranslatorFactory;
import ai.djl.translate.TranslateException;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/** Detects objects in an image with a yolo-slim DJL archive: {@code Detect <archive> <image> [<annotated.png>]}. */
public final class Detect {

    private Detect() {
    }

    /**
     * Loads the archive and detects in one image file. DJL's {@link DeferredTranslatorFactory} takes the translator
     * the archive's {@code serving.properties} names (the archive must be on the class path); the archive's
     * settings (confidence 0.25, NMS IoU 0.7, one class per box) can be overridden with {@code optArgument}.
     */
    public static DetectedObjects detect(Path archive, Path image) throws IOException, ModelException,
            TranslateException {
        return detect(archive, image, Map.of());
    }

    /**
     * As {@link #detect(Path, Path)}, with some of the archive's settings overridden: {@code threshold},
     * {@code nmsThreshold}, {@code maxDetections} or {@code multiLabel}, as in its {@code serving.properties}.
     */
    public static DetectedObjects detect(Path archive, Path image, Map<String, String> settings) throws IOException,
            ModelException, TranslateException {
        Criteria.Builder<Path, DetectedObjects> builder = Criteria.builder()
                .setTypes(Path.class, DetectedObjects.class)
                .optModelPath(archive)
                .optEngine("OnnxRuntime")
                .optTranslatorFactory(new DeferredTranslatorFactory());
        settings.forEach(builder::optArgument);
        Criteria<Path, DetectedObjects> criteria = builder.build();
        try (ZooModel<Path, DetectedObjects> model = criteria.loadModel();
                Predictor<Path, DetectedObjects> predictor = model.newPredictor()) {
            return predictor.predict(image);
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 2) {
            System.err.println("usage: Detect <archive.zip> <image> [<annotated.png>]");
            System.exit(2);
        }
        Path image = Path.of(args[1]);
        DetectedObjects detections = detect(Path.of(args[0]), image);
        Image picture = ImageFactory.getInstance().fromFile(image);
        System.out.printf(Locale.ROOT, "%d objects in %s (%dx%d):%n", detections.getNumberOfObjects(),
                image.getFileName(), picture.getWidth(), picture.getHeight());
        for (int i = 0; i < detections.getNumberOfObjects(); i++) {
            DetectedObjects.DetectedObject object = detections.item(i);
            Rectangle box = object.getBoundingBox().getBounds();
            System.out.printf(Locale.ROOT, "  %-12s %.2f  x %4.0f  y %4.0f  w %4.0f  h %4.0f%n",
                    object.getClassName(), object.getProbability(), box.getX() * picture.getWidth(),
                    box.getY() * picture.getHeight(), box.getWidth() * picture.getWidth(),
                    box.getHeight() * picture.getHeight());
        }
        if (args.length > 2) {
            picture.drawBoundingBoxes(detections);
            Path annotated = Path.of(args[2]);
            try (OutputStream out = Files.newOutputStream(annotated)) {
                picture.save(out, "png");
            }
            System.out.println("Boxes drawn into " + annotated);
        }
    }
}
