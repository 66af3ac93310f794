package io.github.yoloslim.testing;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.runtime.DetectorSession;

import java.nio.FloatBuffer;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** Runs small models built in tests in ONNX Runtime (one thread, all optimisations), fed one float input. */
public final class OrtRuns {

    private OrtRuns() {
    }

    /** Runs {@code model} on one input and returns its first output. */
    public static float[] run(OnnxModel model, float[] input, long[] shape) throws OrtException {
        try (OrtSession session = session(model);
                OnnxTensor tensor = OnnxTensor.createTensor(DetectorSession.environment(), FloatBuffer.wrap(input),
                        shape);
                OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), tensor))) {
            return values((OnnxTensor) result.get(0));
        }
    }

    /** Runs {@code model} on one input with {@code tensors} exposed as outputs, and returns them by name. */
    public static Map<String, float[]> run(OnnxModel model, float[] input, long[] shape, Set<String> tensors)
            throws OrtException {
        Map<String, float[]> values = new TreeMap<>();
        try (OrtSession session = session(withOutputs(model, tensors));
                OnnxTensor tensor = OnnxTensor.createTensor(DetectorSession.environment(), FloatBuffer.wrap(input),
                        shape);
                OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), tensor),
                        tensors)) {
            for (Map.Entry<String, OnnxValue> output : result) {
                values.put(output.getKey(), values((OnnxTensor) output.getValue()));
            }
        }
        return values;
    }

    /** A session of {@code model}. */
    public static OrtSession session(OnnxModel model) throws OrtException {
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(1);
            return DetectorSession.environment().createSession(model.toBytes(), options);
        }
    }

    /** {@code model} with {@code tensors} added as float graph outputs. */
    public static OnnxModel withOutputs(OnnxModel model, Set<String> tensors) {
        GraphProto.Builder graph = model.graph().toBuilder();
        Set<String> present = new HashSet<>();
        graph.getOutputList().forEach(o -> present.add(o.getName()));
        for (String tensor : tensors) {
            if (present.add(tensor)) {
                graph.addOutput(ValueInfoProto.newBuilder().setName(tensor).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
            }
        }
        return OnnxModel.of(model.proto().toBuilder().setGraph(graph).build());
    }

    private static float[] values(OnnxTensor tensor) {
        FloatBuffer buffer = tensor.getFloatBuffer();
        float[] values = new float[buffer.remaining()];
        buffer.get(values);
        return values;
    }
}
