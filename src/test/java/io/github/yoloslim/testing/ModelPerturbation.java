package io.github.yoloslim.testing;

import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import com.google.protobuf.ByteString;
import io.github.yoloslim.onnx.GraphView;
import io.github.yoloslim.onnx.OnnxModel;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;

/** Makes a worse copy of a real model, for tests and ITs that need a candidate the gate must reject. */
public final class ModelPerturbation {

    private ModelPerturbation() {
    }

    /**
     * Multiplies every Conv weight by {@code 1 + relativeNoise · N(0, 1)}, seeded, and writes the result.
     */
    public static void perturbConvWeights(Path source, Path target, double relativeNoise, long seed)
            throws IOException {
        OnnxModel model = OnnxModel.load(source, "<model>");
        Set<String> weights = new HashSet<>();
        for (NodeProto node : model.graph().getNodeList()) {
            if (node.getOpType().equals("Conv")) {
                weights.add(node.getInput(1));
            }
        }
        Random random = new Random(seed);
        ModelProto.Builder builder = model.proto().toBuilder();
        var graph = builder.getGraphBuilder();
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            TensorProto tensor = graph.getInitializer(i);
            if (!weights.contains(tensor.getName())) {
                continue;
            }
            float[] values = GraphView.floats(tensor);
            ByteBuffer raw = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            for (float value : values) {
                raw.putFloat((float) (value * (1 + relativeNoise * random.nextGaussian())));
            }
            graph.setInitializer(i, tensor.toBuilder().clearFloatData().setRawData(ByteString.copyFrom(raw.array())));
        }
        OnnxModel.of(builder.build()).save(target);
    }
}
