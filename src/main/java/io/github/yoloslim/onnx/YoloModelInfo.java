package io.github.yoloslim.onnx;

import java.util.List;

/**
 * What the pipeline knows about a YOLOv8 detection model: its input and output tensors, the output layout,
 * the classes and the input size it is run at.
 *
 * @param fixedBatch the input's batch size when the model fixes it, 0 when the batch is dynamic
 * @param classNamesSource where the class names came from (configuration, model metadata, or generated)
 */
public record YoloModelInfo(String inputName, TensorShape inputShape, String outputName, TensorShape outputShape,
        OutputLayout layout, List<String> classNames, String classNamesSource, int inputHeight, int inputWidth,
        int fixedBatch) {

    public YoloModelInfo {
        classNames = List.copyOf(classNames);
    }

    /** The number of classes the model scores. */
    public int numClasses() {
        return classNames.size();
    }

    /** One line for logs: input size, classes and layout. */
    public String summary() {
        return "input " + inputName + " " + inputShape + " run at " + inputHeight + "x" + inputWidth + ", output "
                + outputName + " " + outputShape + " " + layout.description() + ", " + numClasses() + " classes ("
                + classNamesSource + ")";
    }
}
