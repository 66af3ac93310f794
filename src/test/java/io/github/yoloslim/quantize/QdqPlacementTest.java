package io.github.yoloslim.quantize;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.quantize.QdqPlacement.FloatNode;
import io.github.yoloslim.testing.GraphBuilder;
import io.github.yoloslim.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class QdqPlacementTest {

    private static final String M0 = "/model.0/act/Mul_output_0";
    private static final String C0 = "/model.0/conv_output_0";
    private static final String S0 = "/model.0/act/Sigmoid_output_0";

    private static QdqPlacement plan(OnnxModel model, QdqFormat format) {
        return QdqPlacement.plan(model, QdqOptions.of(format));
    }

    @Test
    void formatParsesCaseInsensitivelyAndNamesTheChoices() {
        assertThat(QdqFormat.parse(" TensorRT ", "qdqFormat")).isEqualTo(QdqFormat.TENSORRT);
        assertThat(QdqFormat.parse("ort", "qdqFormat")).isEqualTo(QdqFormat.ORT);
        assertThatThrownBy(() -> QdqFormat.parse("onnx", "qdqFormat"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("<qdqFormat>onnx</qdqFormat>")
                .hasMessageContaining("tensorrt").hasMessageContaining("ort");
    }

    @Test
    void tensorRtLayoutQuantizesConvInputsAndWeightsOnly() {
        QdqPlacement plan = plan(SampleGraphs.siluChain(), QdqFormat.TENSORRT);
        assertThat(plan.quantizedConvs()).containsExactly("/model.0/conv", "/model.1/conv");
        assertThat(plan.quantizedTensors()).containsExactly(M0, "images");
        assertThat(plan.calibratedTensors()).containsExactly(M0, "images");
        // Every activation the quantized part reads has a scale group, Conv outputs and SiLU included.
        assertThat(plan.groupOf()).containsOnlyKeys(M0, S0, C0, "images");
        assertThat(plan.floatNodes()).isEmpty();
    }

    @Test
    void ortLayoutAlsoQuantizesConvOutputsAndTheSilu() {
        QdqPlacement plan = plan(SampleGraphs.siluChain(), QdqFormat.ORT);
        assertThat(plan.quantizedTensors()).containsExactly(M0, S0, C0, "images");
        // The last Conv's output is the graph output: nothing quantized reads it.
        assertThat(plan.calibratedTensors()).doesNotContain("/model.1/conv_output_0");
    }

    @Test
    void residualAddGetsQdqOnBothInputs() {
        QdqPlacement plan = plan(SampleGraphs.residual(), QdqFormat.TENSORRT);
        assertThat(plan.quantizedTensors()).contains(M0, "/model.1/m.0/cv2/act/Mul_output_0",
                "/model.1/m.0/Add_output_0");
        assertThat(plan.notes()).anyMatch(note -> note.contains("1 residual Adds: Q/DQ on both inputs"));
    }

    @Test
    void concatInputsShareTheGroupScale() {
        QdqPlacement plan = plan(SampleGraphs.concat(), QdqFormat.TENSORRT);
        String a = M0;
        String b = "/model.1/act/Mul_output_0";
        String c = "/model.2/Concat_output_0";
        assertThat(plan.groupOf().get(b)).isEqualTo(plan.groupOf().get(a)).isEqualTo(plan.groupOf().get(c))
                .isEqualTo(a);
        // Only the Concat output feeds a Conv, but its inputs are calibrated so the group max covers them.
        assertThat(plan.quantizedTensors()).containsExactly(c, "images");
        assertThat(plan.calibratedTensors()).containsExactly(a, b, c, "images");
        assertThat(plan.groupAmax(Map.of(a, 2.0, b, 5.0, c, 4.0, "images", 1.0)))
                .containsExactlyEntriesOf(new TreeMap<>(Map.of(a, 5.0, b, 5.0, c, 5.0, "images", 1.0)));
    }

    @Test
    void maxPoolAndResizePassTheScaleThrough() {
        QdqPlacement plan = plan(SampleGraphs.poolResize(), QdqFormat.ORT);
        String group = plan.groupOf().get(M0);
        assertThat(List.of("/model.1/m/MaxPool_output_0", "/model.1/Concat_output_0", "/model.2/Resize_output_0"))
                .allSatisfy(tensor -> assertThat(plan.groupOf().get(tensor)).isEqualTo(group));
        assertThat(plan.groupOf().get(C0)).isEqualTo(C0);
    }

    @Test
    void headDecodeStaysFloatInBothExportLayouts() {
        for (boolean perScaleConcat : new boolean[] {false, true}) {
            OnnxModel model = SampleGraphs.detectHead(perScaleConcat);
            for (QdqFormat format : QdqFormat.values()) {
                QdqPlacement plan = plan(model, format);
                assertThat(plan.quantizedConvs()).as("%s, per-scale concat %s", format, perScaleConcat)
                        .hasSize(10).doesNotContain("/model.22/dfl/conv")
                        .contains("/model.22/cv2.0/cv2.0.2", "/model.22/cv3.1/cv3.1.2");
                assertThat(plan.floatNodes()).extracting(FloatNode::name)
                        .contains("/model.22/dfl/Softmax", "/model.22/dfl/conv", "/model.22/Sigmoid",
                                "/model.22/Concat_3", "/model.22/Concat")
                        .allMatch(name -> name.startsWith("/model.22/") && !name.contains("cv"));
                assertThat(plan.floatNodes()).extracting(FloatNode::reason).containsOnly("head decode");
                // The head's last Convs read INT8 but write float: nothing quantized reads their outputs.
                assertThat(plan.groupOf()).doesNotContainKeys("/model.22/cv2.0/cv2.0.2_output_0",
                        "/model.22/cv3.1/cv3.1.2_output_0", "/model.22/dfl/Softmax_output_0");
            }
            if (perScaleConcat) {
                assertThat(plan(model, QdqFormat.ORT).floatNodes()).extracting(FloatNode::name)
                        .contains("/model.22/Concat_s0", "/model.22/Concat_s1", "/model.22/Split");
            }
        }
    }

    @Test
    void excludedNodesAndTypesStayFloatAndBreakGroups() {
        OnnxModel model = SampleGraphs.concat();
        QdqPlacement byName = QdqPlacement.plan(model,
                new QdqOptions(QdqFormat.TENSORRT, Set.of("/model.3/conv"), Set.of()));
        assertThat(byName.quantizedConvs()).containsExactly("/model.0/conv", "/model.1/conv");
        assertThat(byName.quantizedTensors()).containsExactly("images");
        assertThat(byName.floatNodes()).containsExactly(new FloatNode("/model.3/conv", "Conv", "excludeNodes"));

        QdqPlacement byType = QdqPlacement.plan(model, new QdqOptions(QdqFormat.ORT, Set.of(), Set.of("Concat")));
        assertThat(byType.floatNodes()).containsExactly(new FloatNode("/model.2/Concat", "Concat", "excludeOpTypes"));
        assertThat(byType.groupOf().get("/model.2/Concat_output_0")).isEqualTo("/model.2/Concat_output_0");
        assertThat(byType.quantizedTensors()).doesNotContain(M0).contains("/model.2/Concat_output_0", S0);
    }

    @Test
    void exclusionsThatMatchNothingAreRefused() {
        OnnxModel model = SampleGraphs.concat();
        assertThatThrownBy(() -> QdqPlacement.plan(model,
                new QdqOptions(QdqFormat.ORT, Set.of("/model.9/conv"), Set.of())))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("<excludeNodes>")
                .hasMessageContaining("/model.9/conv");
        assertThatThrownBy(() -> QdqPlacement.plan(model, new QdqOptions(QdqFormat.ORT, Set.of(), Set.of("concat"))))
                .isInstanceOf(InvalidInputException.class).hasMessageContaining("<excludeOpTypes>")
                .hasMessageContaining("concat").hasMessageContaining("Concat");
    }

    @Test
    void quantizedModelsAreRefused() {
        OnnxModel model = SampleGraphs.siluChain();
        QdqPlacement plan = plan(model, QdqFormat.TENSORRT);
        OnnxModel quantized = QdqQuantizer.quantize(model, plan, Map.of("images", 1.0, M0, 2.0));
        assertThatThrownBy(() -> plan(quantized, QdqFormat.ORT))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("is already quantized (4 DequantizeLinear, 2 QuantizeLinear nodes)")
                .hasMessageContaining("give the float model");
    }

    @Test
    void dynamicallyQuantizedYolov8nIsRefused() throws Exception {
        OnnxModel model = OnnxModel.load(SharedData.require("models/yolov8n.int8-dynamic.onnx"), "<model>");
        assertThatThrownBy(() -> plan(model, QdqFormat.TENSORRT))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageMatching("(?s)<model> .*yolov8n.int8-dynamic.onnx is already quantized \\(.*"
                        + "ConvInteger.*DynamicQuantizeLinear.*");
    }

    @Test
    void oldOpsetIsRaisedOnlyWhenNothingChangesMeaning() {
        GraphBuilder plain = new GraphBuilder(7);
        String y = plain.conv("/model.0/conv", plain.input("images", 3, 8), 3, 4, 3);
        QdqPlacement plan = plan(plain.output(y, 1, 4, 8, 8).build(12), QdqFormat.TENSORRT);
        assertThat(plan.notes()).contains("opset 12 raised to 13 for per-channel DequantizeLinear");

        GraphBuilder withSoftmax = new GraphBuilder(7);
        y = withSoftmax.node("/model.1/Softmax", "Softmax",
                List.of(withSoftmax.conv("/model.0/conv", withSoftmax.input("images", 3, 8), 3, 4, 3)));
        OnnxModel old = withSoftmax.output(y, 1, 4, 8, 8).build(12);
        assertThatThrownBy(() -> plan(old, QdqFormat.TENSORRT))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageContaining("opset 12").hasMessageContaining("Softmax")
                .hasMessageContaining("opset=17");
    }

    @Test
    void planningIsDeterministic() {
        OnnxModel model = SampleGraphs.detectHead(false);
        QdqPlacement first = plan(model, QdqFormat.ORT);
        QdqPlacement second = plan(model, QdqFormat.ORT);
        assertThat(second.calibratedTensors()).containsExactlyElementsOf(first.calibratedTensors());
        assertThat(second.groupOf()).containsExactlyEntriesOf(first.groupOf());
        assertThat(second.notes()).isEqualTo(first.notes());
    }
}
