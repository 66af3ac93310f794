package io.github.yoloslim.onnx;

/** How a YOLOv8 detection output orders its axes. */
public enum OutputLayout {
    /** {@code [batch, 4 + classes, anchors]}: what Ultralytics exports. */
    ATTRIBUTES_FIRST("[batch, 4+classes, anchors]"),
    /** {@code [batch, anchors, 4 + classes]}: the transposed form some conversions produce. */
    ANCHORS_FIRST("[batch, anchors, 4+classes]");

    private final String description;

    OutputLayout(String description) {
        this.description = description;
    }

    /** The axis order in words, for logs and reports. */
    public String description() {
        return description;
    }
}
