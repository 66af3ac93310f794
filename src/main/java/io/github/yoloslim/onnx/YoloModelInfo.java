package io.github.yoloslim.onnx;

import java.util.List;
import java.util.Optional;

/**
 * What the pipeline knows about a YOLOv8 detection model: its input and output tensors, the output layout,
 * the classes and the input size it is run at.
 *
 * @param fixedBatch the input's batch size when the model fixes it, 0 when the batch is dynamic
 * @param classNamesSource where the class names came from (configuration, model metadata, or generated)
 * @param batchFixedInside the batch a Reshape to a constant shape fixes inside the graph while the input's batch is
 *        symbolic, 0 when none: such a model runs that batch only
 */
public record YoloModelInfo(String inputName, TensorShape inputShape, String outputName, TensorShape outputShape,
        OutputLayout layout, List<String> classNames, String classNamesSource, int inputHeight, int inputWidth,
        int fixedBatch, int batchFixedInside) {

    public YoloModelInfo {
        classNames = List.copyOf(classNames);
    }

    /** The number of classes the model scores. */
    public int numClasses() {
        return classNames.size();
    }

    /** The batch every run must have: the input's fixed batch, else the one fixed inside, else 0 (any). */
    public int requiredBatch() {
        return fixedBatch > 0 ? fixedBatch : batchFixedInside;
    }

    /** The line that says why a model with a symbolic input batch runs one batch size only, when it does. */
    public Optional<String> batchNote(String model) {
        return batchFixedInside == 0 ? Optional.empty() : Optional.of(model + ": input " + inputName + " "
                + inputShape + " has a symbolic batch, but a Reshape inside fixes the batch at " + batchFixedInside
                + "; running batch " + batchFixedInside + " whatever <batchSize> says (export with dynamic=True for "
                + "larger batches)");
    }

    /** One line for logs: input size, classes and layout. */
    public String summary() {
        return "input " + inputName + " " + inputShape + " run at " + inputHeight + "x" + inputWidth + ", output "
                + outputName + " " + outputShape + " " + layout.description() + ", " + numClasses() + " classes ("
                + classNamesSource + ")";
    }
}
