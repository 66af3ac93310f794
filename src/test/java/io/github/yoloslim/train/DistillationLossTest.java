package io.github.yoloslim.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.prune.YoloGraphs;
import org.junit.jupiter.api.Test;

import java.lang.ref.Reference;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The distillation loss's gradients on a small YOLOv8 built in code. */
class DistillationLossTest {

    private static final OnnxModel TEACHER = YoloGraphs.yolo(false);

    /**
     * The gradients do not depend on what the garbage collector did between the forward and the backward pass:
     * every constant the loss and the graph's operators put on the autograd path is owned by libtorch. With DJL's
     * {@code Number} overloads (the loss's temperature, weights and softplus constants), freed and reused memory
     * turned these gradients into {@link FreedNativeMemory#SENTINEL}-driven garbage.
     */
    @Test
    void theGradientsAreTheSameWhenFreedMemoryIsReusedBeforeTheBackwardPass() throws Exception {
        OnnxModel student = YoloGraphs.editInitializer(TEACHER, "/model.2/conv.weight", w -> {
            float[] out = w.clone();
            for (int i = 0; i < out.length; i++) {
                out[i] *= 0.7f;
            }
            return out;
        });
        Map<String, float[]> undisturbed = gradients(student, false);
        Map<String, float[]> disturbed = gradients(student, true);
        assertThat(undisturbed).isNotEmpty();
        assertThat(undisturbed.values()).anySatisfy(gradient -> assertThat(gradient).isNotEqualTo(
                new float[gradient.length]));
        undisturbed.forEach((name, gradient) -> assertThat(disturbed.get(name)).as(name).isEqualTo(gradient));
    }

    private static Map<String, float[]> gradients(OnnxModel student, boolean reuseFreedMemory) throws Exception {
        DetectHeadTensors teacherHead = DetectHeadTensors.locate(TEACHER, "<model>");
        DetectHeadTensors studentHead = DetectHeadTensors.locate(student, "<student>");
        LossWeights weights = new LossWeights(1, 1, 1, 2);
        try (NDManager manager = TorchEngine.newManager(TorchEngine.resolve(TrainingDevice.CPU));
                TrainableGraph teacherGraph = TrainableGraph.load(TEACHER, Set.of(), manager, "<model>");
                TrainableGraph studentGraph = TrainableGraph.load(student, TrainableGraph.convParameters(student),
                        manager, "<student>");
                DistillationLoss loss = new DistillationLoss(weights, teacherHead, studentHead, manager);
                NDManager step = manager.newSubManager()) {
            long[] shape = {2, 3, 16, 16};
            NDArray input = step.create(FloatBuffer.wrap(YoloGraphs.input(shape, 5)), new Shape(shape));
            Map<String, NDArray> targets = teacherGraph.run(step, input, teacherHead.all());
            List<ByteBuffer> taken = List.of();
            try (GradientCollector collector = TorchEngine.get().newGradientCollector()) {
                Map<String, NDArray> outputs = studentGraph.run(step, input, studentHead.all());
                NDArray total = loss.compute(targets, outputs).total();
                if (reuseFreedMemory) {
                    taken = FreedNativeMemory.collectAndReuse();
                }
                collector.backward(total);
            }
            Reference.reachabilityFence(taken);
            Map<String, float[]> gradients = new LinkedHashMap<>();
            studentGraph.parameters().forEach((name, parameter) -> {
                try (NDArray gradient = parameter.getGradient()) {
                    gradients.put(name, gradient.toFloatArray());
                }
            });
            return gradients;
        }
    }
}
