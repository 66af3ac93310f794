package io.github.yoloslim.djl;

import ai.djl.modality.cv.output.BoundingBox;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.modality.cv.output.Rectangle;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.Batchifier;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorContext;
import io.github.yoloslim.data.DecodedImage;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.LetterboxGeometry;
import io.github.yoloslim.eval.BoxCandidate;
import io.github.yoloslim.eval.YoloDecoder;
import io.github.yoloslim.runtime.DetectorOutput;

import java.util.ArrayList;
import java.util.List;

/**
 * A DJL translator for a YOLOv8 detector that does what {@code verify-map} does around the model: Ultralytics'
 * letterbox ({@link Letterbox}) in, Ultralytics' decoding and class-aware NMS ({@link YoloDecoder}) out, boxes
 * mapped back to the original image. DJL's boxes are fractions of the image's width and height.
 *
 * @param <I> what the application passes: a DJL image, or a file the plugin's own decoder reads
 */
final class LetterboxTranslator<I> implements Translator<I, DetectedObjects> {

    /** How an input becomes 8-bit RGB pixels. */
    @FunctionalInterface
    interface Pixels<I> {
        DecodedImage decode(I input, NDManager manager) throws Exception;
    }

    private static final String GEOMETRY = "yoloslim.letterbox";

    private final Pixels<I> pixels;
    private final Letterbox letterbox;
    private final TranslatorSettings settings;
    private final List<String> classNames;
    private final YoloDecoder decoder;

    LetterboxTranslator(Pixels<I> pixels, TranslatorSettings settings, List<String> classNames) {
        this.pixels = pixels;
        this.letterbox = new Letterbox(settings.inputHeight(), settings.inputWidth());
        this.settings = settings;
        this.classNames = List.copyOf(classNames);
        this.decoder = new YoloDecoder(settings.decode(), classNames.size());
    }

    @Override
    public NDList processInput(TranslatorContext ctx, I input) throws Exception {
        NDManager manager = ctx.getNDManager();
        float[] planes = new float[letterbox.inputLength()];
        ctx.setAttachment(GEOMETRY, letterbox.apply(pixels.decode(input, manager), planes, 0));
        return new NDList(manager.create(planes, new Shape(1, 3, letterbox.targetHeight(), letterbox.targetWidth())));
    }

    /** None: the input is made a batch of one here, since ONNX Runtime's NDArrays cannot stack without PyTorch. */
    @Override
    public Batchifier getBatchifier() {
        return null;
    }

    @Override
    public DetectedObjects processOutput(TranslatorContext ctx, NDList list) {
        NDArray raw = list.get(0);
        float[] data = raw.toFloatArray();
        int attributes = classNames.size() + 4;
        if (data.length % attributes != 0) {
            throw new IllegalStateException("The model's output " + raw.getShape() + " does not hold 4 box values and "
                    + classNames.size() + " class scores per anchor: the synset has " + classNames.size()
                    + " names; it must list one per class the model scores.");
        }
        DetectorOutput output = new DetectorOutput(data, 1, attributes, data.length / attributes, settings.layout());
        LetterboxGeometry geometry = (LetterboxGeometry) ctx.getAttachment(GEOMETRY);
        List<String> names = new ArrayList<>();
        List<Double> scores = new ArrayList<>();
        List<BoundingBox> boxes = new ArrayList<>();
        double width = geometry.originalWidth();
        double height = geometry.originalHeight();
        for (BoxCandidate box : decoder.decode(output, 0)) {
            double[] xyxy = geometry.toOriginal(box.x1(), box.y1(), box.x2(), box.y2());
            names.add(classNames.get(box.classIndex()));
            scores.add((double) box.score());
            boxes.add(new Rectangle(xyxy[0] / width, xyxy[1] / height, (xyxy[2] - xyxy[0]) / width,
                    (xyxy[3] - xyxy[1]) / height));
        }
        return new DetectedObjects(names, scores, boxes);
    }
}
