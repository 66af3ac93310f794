package io.github.yoloslim.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.ImageDecoder;
import io.github.yoloslim.data.ImageSelection;
import io.github.yoloslim.data.Letterbox;
import io.github.yoloslim.data.UnreadableImagePolicy;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.prune.YoloGraphs;
import io.github.yoloslim.runtime.DetectorSession;
import io.github.yoloslim.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The real YOLOv8n on libtorch against ONNX Runtime (skipped where ../shared is absent). */
class RealModelTrainableGraphTest {

    @Test
    void forwardPassMatchesOnnxRuntimeOnTheBusPhoto() throws Exception {
        Path modelFile = SharedData.require("models/yolov8n.onnx");
        Difference difference = compareOnBus(OnnxModel.load(modelFile, "<model>"), modelFile);
        System.out.printf("yolov8n on bus.jpg, libtorch vs ONNX Runtime: max |difference| %.3g over an output range "
                + "of %.1f; class scores %.3g%n", difference.worst(), difference.range(), difference.worstScore());
        assertThat(difference.worst()).isLessThanOrEqualTo(1e-3 * difference.range());
        assertThat(difference.worstScore()).isLessThanOrEqualTo(1e-3);
    }

    @Test
    void distilledWeightsWrittenBackRunInOnnxRuntimeAsInLibtorch(@TempDir Path folder) throws Exception {
        OnnxModel teacher = OnnxModel.load(SharedData.require("models/yolov8n.onnx"), "<model>");
        List<Path> images = ImageSelection.from(SharedData.require("data/coco-unlabeled/images"), "trainingImages", 2)
                .images();
        DistillationSettings settings = new DistillationSettings(1, 2, 320, 1e-3, 0, 0.1, 0, 1,
                new LossWeights(1, 1, 0, 1), Augmentation.NONE, TrainingDevice.CPU, 2);
        // The student is the teacher with its first Conv damaged.
        OnnxModel student = YoloGraphs.editInitializer(teacher, "model.0.conv.weight", w -> {
            float[] scaled = w.clone();
            for (int i = 0; i < scaled.length; i++) {
                scaled[i] *= 0.8f;
            }
            return scaled;
        });
        DistillationResult result = new Distiller(ProgressListener.silent()).run(new DistillationRequest(teacher,
                student, images, images.get(0).getParent(), UnreadableImagePolicy.SKIP, settings, Optional.empty()));
        assertThat(result.steps()).isEqualTo(1);
        assertThat(GraphView.floats(result.model().graphView().initializer("model.22.cv3.0.2.weight").orElseThrow()))
                .isNotEqualTo(GraphView.floats(teacher.graphView().initializer("model.22.cv3.0.2.weight")
                        .orElseThrow()));
        Path file = folder.resolve("yolov8n.distilled.onnx");
        result.model().save(file);
        Difference difference = compareOnBus(result.model(), file);
        assertThat(difference.worst()).isLessThanOrEqualTo(1e-3 * difference.range());
        assertThat(difference.worstScore()).isLessThanOrEqualTo(1e-3);
    }

    @Test
    void detectHeadTensorsOfYolov8n() throws Exception {
        DetectHeadTensors head = DetectHeadTensors.locate(OnnxModel.load(SharedData.require("models/yolov8n.onnx"),
                "<model>"), "<model>");
        assertThat(head.regMax()).isEqualTo(16);
        assertThat(head.scales()).containsExactly(
                new DetectHeadTensors.Scale("/model.15/cv2/act/Mul_output_0", "/model.22/cv2.0/cv2.0.2/Conv_output_0",
                        "/model.22/cv3.0/cv3.0.2/Conv_output_0", 64, 80),
                new DetectHeadTensors.Scale("/model.18/cv2/act/Mul_output_0", "/model.22/cv2.1/cv2.1.2/Conv_output_0",
                        "/model.22/cv3.1/cv3.1.2/Conv_output_0", 128, 80),
                new DetectHeadTensors.Scale("/model.21/cv2/act/Mul_output_0", "/model.22/cv2.2/cv2.2.2/Conv_output_0",
                        "/model.22/cv3.2/cv3.2.2/Conv_output_0", 256, 80));
    }

    /** How far libtorch's output of {@code model} is from ONNX Runtime's on bus.jpg, and the output's range. */
    private record Difference(double worst, double worstScore, double range) {
    }

    private static Difference compareOnBus(OnnxModel model, Path file) throws Exception {
        YoloModelInfo info = YoloModelInspector.inspect(model, "<model>", ModelOverrides.NONE);
        float[] image = new float[3 * 640 * 640];
        new Letterbox(640).apply(ImageDecoder.decode(SharedData.require("data/samples/bus.jpg")), image, 0);
        float[] expected;
        try (DetectorSession session = DetectorSession.open(file, info, 2, "<model>")) {
            expected = session.run(image, 1).data();
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
        return new Difference(worst, worstScore, max - min);
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
