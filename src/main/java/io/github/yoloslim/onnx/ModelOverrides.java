package io.github.yoloslim.onnx;

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
        classNames = List.copyOf(classNames);
    }
}
