package io.github.yoloslim.onnx;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import io.github.yoloslim.InvalidInputException;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Recognises a YOLOv8 detection model — one NCHW image input, one output {@code [batch, 4+classes, anchors]}
 * (or transposed) — and refuses anything else with a message that says what the model is instead.
 */
public final class YoloModelInspector {

    private YoloModelInspector() {
    }

    /**
     * Inspects {@code model}.
     *
     * @param parameter the setting the model came from, for messages (e.g. {@code <candidate>})
     * @throws InvalidInputException when the model is not a YOLOv8 detector or its input size cannot be known
     */
    public static YoloModelInfo inspect(OnnxModel model, String parameter, ModelOverrides overrides) {
        String what = parameter + " " + model.source();
        Map<String, String> metadata = model.metadata();
        String task = metadata.getOrDefault("task", "detect");
        if (!task.equals("detect")) {
            throw new InvalidInputException(what + " is a YOLO '" + task + "' model (metadata task=" + task
                    + "); yolo-slim handles detection models. Export a detection model (task=detect).");
        }
        if ("true".equalsIgnoreCase(metadata.get("end2end")) || "true".equalsIgnoreCase(metadata.get("nms"))) {
            throw new InvalidInputException(what + " has non-maximum suppression built in (end2end export). "
                    + "Export it without NMS (`yolo export format=onnx nms=False`): yolo-slim decodes the raw output.");
        }
        GraphView graph = model.graphView();
        List<ValueInfoProto> inputs = graph.realInputs();
        if (inputs.size() != 1) {
            throw notDetector(what, "it has " + inputs.size() + " inputs, a YOLOv8 detector has one image input");
        }
        String inputName = inputs.get(0).getName();
        TensorShape inputShape = graph.shape(inputName).orElseThrow(() -> notDetector(what,
                "its input '" + inputName + "' has no declared shape"));
        if (inputShape.rank() != 4 || (inputShape.size(1) >= 0 && inputShape.size(1) != 3)) {
            throw notDetector(what, "its input '" + inputName + "' has shape " + inputShape
                    + ", not an NCHW RGB image [batch, 3, height, width]");
        }
        List<ValueInfoProto> outputs = model.graph().getOutputList();
        if (outputs.size() != 1) {
            throw notDetector(what, "it has " + outputs.size() + " outputs, a YOLOv8 detector has one"
                    + (outputs.size() == 2 ? " (two outputs is what a segmentation model has)" : ""));
        }
        String outputName = outputs.get(0).getName();
        TensorShape outputShape = graph.shape(outputName).orElseThrow(() -> notDetector(what,
                "its output '" + outputName + "' has no declared shape"));
        if (outputShape.rank() != 3) {
            throw notDetector(what, "its output '" + outputName + "' has shape " + outputShape
                    + (outputShape.rank() == 2 ? ", which is what a classifier outputs" : "")
                    + "; a YOLOv8 detector outputs [batch, 4+classes, anchors]");
        }

        List<String> names;
        String namesSource;
        if (!overrides.classNames().isEmpty()) {
            names = overrides.classNames();
            namesSource = "from <classNames>";
        } else {
            Optional<List<String>> fromMetadata = parseNames(metadata.get("names"), what);
            names = fromMetadata.orElse(null);
            namesSource = "from model metadata";
        }
        // Configured names that do not fit are the configuration's fault: find the layout without them, so
        // the count check below names <classNames>.
        boolean configured = !overrides.classNames().isEmpty();
        OutputLayout layout = layout(outputShape, configured && !fits(outputShape, names) ? null : names, what);
        int attributes = (int) outputShape.size(layout == OutputLayout.ATTRIBUTES_FIRST ? 1 : 2);
        if (names == null) {
            names = new ArrayList<>();
            for (int i = 0; i < attributes - 4; i++) {
                names.add("class" + i);
            }
            namesSource = "generated: the model has no 'names' metadata; set <classNames> to map classes by name";
        } else if (names.size() + 4 != attributes) {
            throw new InvalidInputException(configured
                    ? "<classNames> gives " + names.size() + " class names but " + what + " outputs "
                            + (attributes - 4) + " class scores. Give all " + (attributes - 4) + " class names in "
                            + "<classNames>, in class-index order, or remove <classNames> to use the model's own."
                    : what + " outputs " + (attributes - 4) + " class scores but its 'names' metadata has "
                            + names.size() + " class names. Give one name per class in <classNames>, in "
                            + "class-index order.");
        }

        int[] size = inputSize(inputShape, metadata.get("imgsz"), overrides.imageSize(), what);
        int fixedBatch = (int) Math.max(0, inputShape.size(0));
        return new YoloModelInfo(inputName, inputShape, outputName, outputShape, layout, names, namesSource, size[0],
                size[1], fixedBatch, fixedBatch > 0 ? 0 : batchFixedInside(graph));
    }

    /**
     * 1 when a Reshape to a constant shape {@code [1, ...]} fixes the batch, else 0: an export with a symbolic
     * input batch but a traced {@code [1, ...]} reshape inside runs batch 1 only, and ONNX Runtime refuses any
     * other with a Reshape error. A larger leading constant is no evidence of a batch (it may shape anything).
     */
    private static int batchFixedInside(GraphView graph) {
        for (NodeProto node : graph.graph().getNodeList()) {
            if (!node.getOpType().equals("Reshape") || node.getInputCount() < 2
                    || graph.initializer(node.getInput(0)).isPresent()) {
                continue;
            }
            Optional<TensorProto> shape = graph.initializer(node.getInput(1)).or(() -> graph.producer(node.getInput(1))
                    .filter(producer -> producer.getOpType().equals("Constant"))
                    .flatMap(constant -> constant.getAttributeList().stream()
                            .filter(attribute -> attribute.getName().equals("value")).findFirst())
                    .map(AttributeProto::getT));
            if (shape.isPresent() && shape.get().getDataType() == TensorProto.DataType.INT64_VALUE) {
                long[] dims = GraphView.longs(shape.get());
                if (dims.length > 1 && dims[0] == 1) {
                    return 1;
                }
            }
        }
        return 0;
    }

    private static boolean fits(TensorShape output, List<String> names) {
        return output.size(1) == names.size() + 4 || output.size(2) == names.size() + 4;
    }

    private static OutputLayout layout(TensorShape output, List<String> names, String what) {
        long second = output.size(1);
        long third = output.size(2);
        if (names != null) {
            int attributes = names.size() + 4;
            if (second == attributes) {
                return OutputLayout.ATTRIBUTES_FIRST;
            }
            if (third == attributes) {
                return OutputLayout.ANCHORS_FIRST;
            }
            throw notDetector(what, "its output has shape " + output + " but its " + names.size()
                    + " classes need 4+" + names.size() + " = " + attributes
                    + " values per box (a pose, oriented-box or segmentation head has more)");
        }
        if (second > 4 && (third < 0 || second <= third)) {
            return OutputLayout.ATTRIBUTES_FIRST;
        }
        if (third > 4) {
            return OutputLayout.ANCHORS_FIRST;
        }
        throw notDetector(what, "its output shape " + output + " has no axis of 4+classes values");
    }

    private static int[] inputSize(TensorShape input, String imgszMetadata, int override, String what) {
        long height = input.size(2);
        long width = input.size(3);
        if (override > 0) {
            if ((height > 0 && height != override) || (width > 0 && width != override)) {
                throw new InvalidInputException("<imageSize> " + override + " does not fit " + what
                        + ", whose input is fixed at " + height + "x" + width
                        + ". Remove <imageSize> or re-export the model with dynamic input size.");
            }
            return new int[] {override, override};
        }
        if (height > 0 && width > 0) {
            return new int[] {(int) height, (int) width};
        }
        if (imgszMetadata != null) {
            Object parsed = yaml(imgszMetadata, "imgsz", what);
            if (parsed instanceof Integer side) {
                return new int[] {side, side};
            }
            if (parsed instanceof List<?> list && list.size() == 2 && list.get(0) instanceof Integer h
                    && list.get(1) instanceof Integer w) {
                return new int[] {h, w};
            }
        }
        throw new InvalidInputException(what + " has a dynamic input size " + input
                + " and no usable 'imgsz' metadata. Set <imageSize> to the size it was trained at, e.g. 640.");
    }

    /**
     * Parses Ultralytics' {@code names} metadata: a Python dict literal {@code {0: 'person', ...}} (which YAML
     * reads as a flow mapping) or a list.
     */
    static Optional<List<String>> parseNames(String value, String what) {
        if (value == null || value.isBlank()) {
            return Optional.empty();
        }
        Object parsed = yaml(value, "names", what);
        List<String> names = new ArrayList<>();
        if (parsed instanceof Map<?, ?> map) {
            for (int i = 0; i < map.size(); i++) {
                Object name = map.get(i);
                if (name == null) {
                    throw new InvalidInputException(what + " has 'names' metadata without class index " + i
                            + ". Set <classNames> to the class names in index order.");
                }
                names.add(name.toString());
            }
        } else if (parsed instanceof List<?> list) {
            list.forEach(name -> names.add(String.valueOf(name)));
        } else {
            throw new InvalidInputException(what + " has 'names' metadata that is neither a mapping nor a list: "
                    + abbreviate(value) + ". Set <classNames> to the class names in index order.");
        }
        return Optional.of(names);
    }

    private static Object yaml(String text, String key, String what) {
        try {
            return new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
        } catch (YAMLException e) {
            throw new InvalidInputException(what + " has '" + key + "' metadata that does not parse: "
                    + abbreviate(text) + " (" + e.getMessage().lines().findFirst().orElse("") + ")"
                    + (key.equals("names") ? ". Set <classNames> to the class names in index order."
                            : ". Set <imageSize>."));
        }
    }

    private static String abbreviate(String text) {
        return text.length() > 80 ? text.substring(0, 77) + "..." : text;
    }

    private static InvalidInputException notDetector(String what, String why) {
        return new InvalidInputException(what + " is not a YOLOv8 detection model: " + why
                + ". Point the setting at an Ultralytics YOLOv8 detection export (`yolo export format=onnx`).");
    }
}
