package io.github.yoloslim.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.ImageDecoder;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.runtime.DetectorOutput;
import io.github.yoloslim.runtime.DetectorSession;
import io.github.yoloslim.testing.SharedData;
import org.junit.jupiter.api.Test;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The real YOLOv8n on libtorch against ONNX Runtime (skipped where ../shared is absent). */
class RealModelTrainableGraphTest {

    @Test
    void forwardPassMatchesOnnxRuntimeOnTheBusPhoto() throws Exception {
        Path modelFile = SharedData.require("models/yolov8n.onnx");
        OnnxModel model = OnnxModel.load(modelFile, "<model>");
        YoloModelInfo info = YoloModelInspector.inspect(model, "<model>", ModelOverrides.NONE);
        float[] image = new float[3 * 640 * 640];
        new Letterbox(640).apply(ImageDecoder.decode(SharedData.require("data/samples/bus.jpg")), image, 0);

        float[] expected;
        try (DetectorSession session = DetectorSession.open(modelFile, info, 2, "<model>")) {
            DetectorOutput output = session.run(image, 1);
            expected = output.data();
        }
        float[] actual;
        try (NDManager manager = TorchEngine.newManager(TorchEngine.resolve(TrainingDevice.CPU));
                TrainableGraph graph = TrainableGraph.load(model, TrainableGraph.convParameters(model), manager,
                        "<model>");
                NDManager run = manager.newSubManager()) {
            NDArray input = run.create(FloatBuffer.wrap(image), new Shape(1, 3, 640, 640));
            actual = graph.run(run, input, List.of("output0")).get("output0").toFloatArray();
        }
        assertThat(actual).hasSameSizeAs(expected);
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        double worst = 0;
        double worstScore = 0;
        int anchors = 8400;
        for (int i = 0; i < expected.length; i++) {
            min = Math.min(min, expected[i]);
            max = Math.max(max, expected[i]);
            double difference = Math.abs(actual[i] - expected[i]);
            worst = Math.max(worst, difference);
            if (i / anchors >= 4) {
                worstScore = Math.max(worstScore, difference);
            }
        }
        System.out.printf("yolov8n on bus.jpg, libtorch vs ONNX Runtime: max |difference| %.3g over an output range "
                + "of %.1f; class scores %.3g%n", worst, max - min, worstScore);
        assertThat(worst).isLessThanOrEqualTo(1e-3 * (max - min));
        assertThat(worstScore).isLessThanOrEqualTo(1e-3);
    }

    @Test
    void weightOnlyInt8ModelIsRefusedNamingTheOperatorAndNode() throws Exception {
        OnnxModel model = OnnxModel.load(SharedData.require("models/yolov8n.int8-dynamic.onnx"), "<model>");
        try (NDManager manager = TorchEngine.newManager(TorchEngine.resolve(TrainingDevice.CPU))) {
            assertThatThrownBy(() -> TrainableGraph.load(model, Set.of(), manager, "<model>"))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageContaining("uses operator DynamicQuantizeLinear at node 'images_QuantizeLinear', "
                            + "which the training runtime does not support")
                    .hasMessageContaining("ConvInteger");
        }
    }
}
