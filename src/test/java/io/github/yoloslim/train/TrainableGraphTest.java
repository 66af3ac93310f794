package io.github.yoloslim.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import ai.onnx.proto.OnnxMl.TensorProto;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.ModelOverrides;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.onnx.YoloModelInspector;
import io.github.yoloslim.prune.YoloGraphs;
import io.github.yoloslim.runtime.DetectorSession;
import io.github.yoloslim.testing.GraphBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static io.github.yoloslim.testing.GraphBuilder.ints;
import static io.github.yoloslim.testing.GraphBuilder.string;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The runtime on a small YOLOv8 built in code: what trains, write-back, and refusals. */
class TrainableGraphTest {

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = TorchEngine.newManager(TorchEngine.resolve(TrainingDevice.CPU));
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void convWeightsAndBiasesTrainButNotTheDflBins() {
        OnnxModel model = YoloGraphs.yolo(false);
        Set<String> trainable = TrainableGraph.convParameters(model);
        long convs = model.graph().getNodeList().stream().filter(n -> n.getOpType().equals("Conv")).count();
        // Every Conv has a weight and a bias but the DFL's, which has only its fixed bins.
        assertThat(trainable).hasSize((int) (2 * (convs - 1)))
                .contains("/model.0/conv.weight", "/model.0/conv.bias", "/model.9/cv2.1/cv2.1.2.weight")
                .doesNotContain("/model.9/dfl/conv.weight", "/model.4/scales", "/model.9/dfl/shape");
    }

    @Test
    void writtenBackModelGivesInOnnxRuntimeWhatLibtorchComputed(@TempDir Path folder) throws Exception {
        OnnxModel model = YoloGraphs.yolo(false);
        long[] shape = YoloGraphs.INPUT_SHAPE;
        float[] image = YoloGraphs.input(shape, 5);
        float[] trainedOutput;
        OnnxModel written;
        try (TrainableGraph graph = TrainableGraph.load(model, TrainableGraph.convParameters(model), manager,
                "<model>")) {
            Optimizer sgd = Optimizer.sgd().setLearningRateTracker(Tracker.fixed(0.05f)).optMomentum(0.9f).build();
            for (int step = 0; step < 3; step++) {
                try (NDManager run = manager.newSubManager()) {
                    NDArray input = run.create(FloatBuffer.wrap(image), new Shape(shape));
                    try (GradientCollector collector = TorchEngine.get().newGradientCollector()) {
                        NDArray out = graph.run(run, input, List.of(graph.model().graph().getOutput(0).getName()))
                                .values().iterator().next();
                        collector.backward(out.square().mean());
                    }
                    graph.parameters().forEach((name, parameter) -> {
                        try (NDArray gradient = parameter.getGradient()) {
                            sgd.update(name, parameter, gradient);
                            gradient.muli(0);
                        }
                    });
                }
            }
            try (NDManager run = manager.newSubManager()) {
                NDArray input = run.create(FloatBuffer.wrap(image), new Shape(shape));
                String output = model.graph().getOutput(0).getName();
                trainedOutput = graph.run(run, input, List.of(output)).get(output).toFloatArray();
            }
            written = graph.toOnnx();
        }

        // Same graph, same initializer names, types and dims; only trained values differ.
        assertThat(written.graph().getNodeList()).isEqualTo(model.graph().getNodeList());
        assertThat(written.graph().getInitializerList()).extracting(TensorProto::getName, TensorProto::getDataType,
                TensorProto::getDimsList).isEqualTo(model.graph().getInitializerList().stream()
                        .map(t -> org.assertj.core.groups.Tuple.tuple(t.getName(), t.getDataType(), t.getDimsList()))
                        .toList());
        GraphView before = model.graphView();
        GraphView after = written.graphView();
        assertThat(GraphView.floats(after.initializer("/model.0/conv.weight").orElseThrow()))
                .isNotEqualTo(GraphView.floats(before.initializer("/model.0/conv.weight").orElseThrow()));
        assertThat(after.initializer("/model.9/dfl/conv.weight")).isEqualTo(before.initializer("/model.9/dfl/conv.weight"));

        Path file = folder.resolve("trained.onnx");
        written.save(file);
        YoloModelInfo info = YoloModelInspector.inspect(written, "<model>", ModelOverrides.NONE);
        float[] onnxRuntime;
        try (DetectorSession session = DetectorSession.open(file, info, 1, "<model>")) {
            onnxRuntime = session.run(image, 1).data();
        }
        assertThat(onnxRuntime).hasSameSizeAs(trainedOutput);
        double worst = 0;
        double range = 0;
        for (int i = 0; i < onnxRuntime.length; i++) {
            worst = Math.max(worst, Math.abs(onnxRuntime[i] - trainedOutput[i]));
            range = Math.max(range, Math.abs(onnxRuntime[i]));
        }
        assertThat(worst).isLessThanOrEqualTo(1e-5 * Math.max(1, range));
    }

    @Test
    void anOperatorTheRuntimeLacksIsNamedWithItsNode() {
        GraphBuilder g = new GraphBuilder(3);
        String x = g.conv("a", g.input("images", 3, 8), 3, 4, 3);
        String norm = g.node("/model.3/norm", "LRN", List.of(x), GraphBuilder.integer("size", 3));
        OnnxModel model = g.output(norm).build(17);
        assertThatThrownBy(() -> TrainableGraph.load(model, Set.of(), manager, "<student>"))
                .isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("<student> <in memory> uses operator LRN at node '/model.3/norm', which the "
                        + "training runtime does not support. Train the float model as Ultralytics exports it")
                .hasMessageContaining("supported: Add, Cast, Concat, Constant");
    }

    @Test
    void anUnsupportedFormOfAKnownOperatorIsNamedWithItsNode() {
        GraphBuilder g = new GraphBuilder(3);
        String x = g.conv("a", g.input("images", 3, 8), 3, 4, 3);
        String scales = g.initializer(io.github.yoloslim.testing.TinyDetectors.floats("scales",
                new float[] {1, 1, 2, 2}, 4));
        String up = g.node("/model.10/Resize", "Resize", List.of(x, "", scales), string("mode", "linear"));
        OnnxModel model = g.output(up).build(17);
        try (TrainableGraph graph = TrainableGraph.load(model, Set.of(), manager, "<model>");
                NDManager run = manager.newSubManager()) {
            NDArray input = run.zeros(new Shape(1, 3, 8, 8));
            assertThatThrownBy(() -> graph.run(run, input, List.of(up)))
                    .isInstanceOf(InvalidInputException.class)
                    .hasMessageStartingWith("<in memory> uses Resize mode linear (only nearest) at node "
                            + "'/model.10/Resize' (Resize), which the training runtime does not support.");
        }
    }

    @Test
    void constantShapeArithmeticIsFoldedAndActivationShapesComputed() {
        // A dynamic-shape export's flatten: Reshape(x, Concat(Shape(x)[0:2], [-1])).
        GraphBuilder g = new GraphBuilder(3);
        String x = g.conv("a", g.input("images", 3, 8), 3, 4, 3);
        String shape = g.node("shape", "Shape", List.of(x));
        String head = g.node("slice", "Slice", List.of(shape, g.int64s("zero", 0), g.int64s("two", 2)));
        String target = g.node("target", "Concat", List.of(head, g.int64s("minus", -1)),
                GraphBuilder.integer("axis", 0));
        String flat = g.node("flat", "Reshape", List.of(x, target));
        String perm = g.node("perm", "Transpose", List.of(flat), ints("perm", 0, 2, 1));
        OnnxModel model = g.output(perm).build(17);
        try (TrainableGraph graph = TrainableGraph.load(model, Set.of(), manager, "<model>");
                NDManager run = manager.newSubManager()) {
            NDArray input = run.ones(new Shape(2, 3, 8, 8));
            assertThat(graph.run(run, input, List.of(perm)).get(perm).getShape()).isEqualTo(new Shape(2, 64, 4));
        }
    }

    @Test
    void gpuIsRefusedWhereLibtorchSeesNone() {
        org.junit.jupiter.api.Assumptions.assumeTrue(TorchEngine.get().getGpuCount() == 0,
                "skipped: this machine has a CUDA GPU that libtorch sees");
        assertThatThrownBy(() -> TorchEngine.resolve(TrainingDevice.GPU)).isInstanceOf(InvalidInputException.class)
                .hasMessageStartingWith("<device>gpu</device> asks for a CUDA GPU, but libtorch 2.7.1")
                .hasMessageContaining("Use <device>auto</device> or <device>cpu</device>");
        assertThat(TorchEngine.resolve(TrainingDevice.AUTO)).isEqualTo(ai.djl.Device.cpu());
    }
}
