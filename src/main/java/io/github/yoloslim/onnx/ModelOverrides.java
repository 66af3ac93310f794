package io.github.yoloslim.onnx;

import io.github.yoloslim.InvalidInputException;

import java.util.List;

/**
 * What the user's configuration says about a model, overriding its metadata.
 *
 * @param imageSize the square input size to run at, or 0 to take it from the model
 * @param classNames class names in class-index order, or empty to take them from the model
 */
public record ModelOverrides(int imageSize, List<String> classNames) {

    /** No overrides: everything from the model. */
    public static final ModelOverrides NONE = new ModelOverrides(0, List.of());

    public ModelOverrides {
        if (imageSize < 0 || imageSize % 32 != 0) {
            throw new InvalidInputException("<imageSize>" + imageSize + "</imageSize> is out of range: use 0 (from "
                    + "the model) or a multiple of 32, e.g. 640.");
        }
        classNames = List.copyOf(classNames);
    }
}
