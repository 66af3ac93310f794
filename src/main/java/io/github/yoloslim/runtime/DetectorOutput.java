package io.github.yoloslim.runtime;

import io.github.yoloslim.onnx.OutputLayout;

/**
 * A detector's raw output for a batch, in the model's own layout: per image, per anchor, 4 box values
 * ({@code cx, cy, w, h} in input pixels) followed by one score per class.
 */
public record DetectorOutput(float[] data, int batch, int attributes, int anchors, OutputLayout layout) {

    /** Attribute {@code attribute} of anchor {@code anchor} in image {@code image} of the batch. */
    public float value(int image, int attribute, int anchor) {
        return data[index(image, attribute, anchor)];
    }

    /** The flat index of a value, so hot loops can step through {@link #data} without recomputing it. */
    public int index(int image, int attribute, int anchor) {
        return layout == OutputLayout.ATTRIBUTES_FIRST
                ? (image * attributes + attribute) * anchors + anchor
                : (image * anchors + anchor) * attributes + attribute;
    }

    /** The distance in {@link #data} between attribute {@code k} and {@code k + 1} of one anchor. */
    public int attributeStride() {
        return layout == OutputLayout.ATTRIBUTES_FIRST ? anchors : 1;
    }
}
