package io.github.yoloslim.djl;

import ai.djl.Model;
import ai.djl.modality.cv.Image;
import ai.djl.modality.cv.output.DetectedObjects;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.TranslateException;
import ai.djl.translate.Translator;
import ai.djl.translate.TranslatorFactory;
import ai.djl.util.Pair;
import io.github.yoloslim.data.DecodedImage;
import io.github.yoloslim.data.ImageDecoder;

import java.io.IOException;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Makes {@link LetterboxTranslator}s for a yolo-slim DJL archive, which names this class as its
 * {@code translatorFactory}. Two inputs: a DJL {@link Image}, whose pixels are whatever the application's image
 * factory decoded, or a {@link Path} to an image file, which the plugin's own decoder reads exactly as OpenCV does
 * (EXIF orientation applied, no colour profile), so that detections match {@code verify-map}'s.
 */
public final class LetterboxTranslatorFactory implements TranslatorFactory {

    /** The synset file of the archive: one class name per line, in class-index order. */
    static final String SYNSET = "synset.txt";

    private static final Set<Pair<Type, Type>> SUPPORTED = Set.of(new Pair<>(Image.class, DetectedObjects.class),
            new Pair<>(Path.class, DetectedObjects.class));

    @Override
    public Set<Pair<Type, Type>> getSupportedTypes() {
        return SUPPORTED;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <I, O> Translator<I, O> newInstance(Class<I> input, Class<O> output, Model model, Map<String, ?> arguments)
            throws TranslateException {
        if (!isSupported(input, output)) {
            throw new IllegalArgumentException("A yolo-slim archive translates Image or Path to DetectedObjects, not "
                    + input.getName() + " to " + output.getName());
        }
        TranslatorSettings settings = TranslatorSettings.fromArguments(arguments);
        List<String> classNames = classNames(model);
        if (input == Path.class) {
            return (Translator<I, O>) new LetterboxTranslator<Path>((file, manager) -> ImageDecoder.decode(file),
                    settings, classNames);
        }
        return (Translator<I, O>) new LetterboxTranslator<Image>(LetterboxTranslatorFactory::pixels, settings,
                classNames);
    }

    private static List<String> classNames(Model model) throws TranslateException {
        Path synset = model.getModelPath().resolve(SYNSET);
        try {
            List<String> names = Files.readAllLines(synset, StandardCharsets.UTF_8);
            while (!names.isEmpty() && names.get(names.size() - 1).isEmpty()) {
                names.remove(names.size() - 1);
            }
            if (names.isEmpty()) {
                throw new TranslateException(synset + " lists no class names.");
            }
            return names;
        } catch (IOException e) {
            throw new TranslateException("Cannot read the class names from " + synset + ": " + e, e);
        }
    }

    private static DecodedImage pixels(Image image, NDManager manager) {
        try (NDArray rgb = image.toNDArray(manager, Image.Flag.COLOR)) {
            return new DecodedImage(image.getWidth(), image.getHeight(), rgb.toByteArray());
        }
    }
}
