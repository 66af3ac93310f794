package io.github.yoloslim.djl;

import io.github.yoloslim.eval.DecodeSettings;
import io.github.yoloslim.onnx.OutputLayout;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What {@link LetterboxTranslator} needs to know about the model and how to decode it, written by
 * {@link DjlArchive} into {@code serving.properties} and read back by {@link LetterboxTranslatorFactory} from DJL's
 * model arguments, where a {@code Criteria.optArgument} of the same key overrides the file.
 *
 * @param inputWidth the model's input width, pixels
 * @param inputHeight the model's input height, pixels
 * @param layout how the output orders its axes
 * @param decode confidence threshold, NMS IoU, detections per image, multi-label
 */
public record TranslatorSettings(int inputWidth, int inputHeight, OutputLayout layout, DecodeSettings decode) {

    static final String WIDTH = "width";
    static final String HEIGHT = "height";
    static final String LAYOUT = "outputLayout";
    static final String THRESHOLD = "threshold";
    static final String IOU = "nmsThreshold";
    static final String MAX_DETECTIONS = "maxDetections";
    static final String MULTI_LABEL = "multiLabel";

    /** The entries of {@code serving.properties} that hold these settings, in a stable order. */
    Map<String, String> properties() {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put(WIDTH, Integer.toString(inputWidth));
        properties.put(HEIGHT, Integer.toString(inputHeight));
        properties.put(LAYOUT, layout.name());
        properties.put(THRESHOLD, Double.toString(decode.confidenceThreshold()));
        properties.put(IOU, Double.toString(decode.iouThreshold()));
        properties.put(MAX_DETECTIONS, Integer.toString(decode.maxDetections()));
        properties.put(MULTI_LABEL, Boolean.toString(decode.multiLabel()));
        return properties;
    }

    /**
     * Reads the settings from DJL's model arguments.
     *
     * @throws IllegalArgumentException naming the key when one is missing or malformed
     */
    static TranslatorSettings fromArguments(Map<String, ?> arguments) {
        return new TranslatorSettings(integer(arguments, WIDTH), integer(arguments, HEIGHT),
                OutputLayout.valueOf(text(arguments, LAYOUT).toUpperCase(Locale.ROOT)),
                new DecodeSettings(number(arguments, THRESHOLD), number(arguments, IOU),
                        integer(arguments, MAX_DETECTIONS), flag(arguments, MULTI_LABEL)));
    }

    private static String text(Map<String, ?> arguments, String key) {
        Object value = arguments.get(key);
        if (value == null || value.toString().isBlank()) {
            throw new IllegalArgumentException("The model argument " + key + " is missing: serving.properties of a "
                    + "yolo-slim DJL archive sets it; give it with Criteria.optArgument(\"" + key + "\", ...) else.");
        }
        return value.toString().trim();
    }

    private static int integer(Map<String, ?> arguments, String key) {
        try {
            return Integer.parseInt(text(arguments, key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("The model argument " + key + "=" + arguments.get(key)
                    + " is not a whole number.", e);
        }
    }

    private static double number(Map<String, ?> arguments, String key) {
        try {
            return Double.parseDouble(text(arguments, key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("The model argument " + key + "=" + arguments.get(key)
                    + " is not a number.", e);
        }
    }

    private static boolean flag(Map<String, ?> arguments, String key) {
        String value = text(arguments, key);
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
            throw new IllegalArgumentException("The model argument " + key + "=" + value + " is neither true nor "
                    + "false.");
        }
        return Boolean.parseBoolean(value);
    }
}
