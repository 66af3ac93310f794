package io.github.yoloslim.quantize;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.runtime.DetectorSession;

import java.nio.FloatBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Test stand-in for the calibrator: runs a float model in ONNX Runtime with the wanted tensors exposed as extra
 * graph outputs and returns max |x| of each over all inputs.
 */
final class ActivationRanges {

    private ActivationRanges() {
    }

    /** max |x| of every tensor in {@code tensors} over {@code inputs} (each fed to the model's single input). */
    static Map<String, Double> maxAbs(OnnxModel model, Set<String> tensors, List<float[]> inputs, long[] shape)
            throws OrtException {
        Map<String, Double> amax = new TreeMap<>();
        try (OrtSession session = session(withOutputs(model, tensors))) {
            String input = session.getInputNames().iterator().next();
            for (float[] data : inputs) {
                try (OnnxTensor tensor = OnnxTensor.createTensor(DetectorSession.environment(), FloatBuffer.wrap(data),
                        shape); OrtSession.Result result = session.run(Map.of(input, tensor), tensors)) {
                    for (Map.Entry<String, OnnxValue> output : result) {
                        FloatBuffer values = ((OnnxTensor) output.getValue()).getFloatBuffer();
                        double max = 0;
                        while (values.hasRemaining()) {
                            max = Math.max(max, Math.abs(values.get()));
                        }
                        amax.merge(output.getKey(), max, Math::max);
                    }
                }
            }
        }
        return amax;
    }

    /** Runs {@code model} on one input and returns its first output. */
    static float[] run(OnnxModel model, float[] input, long[] shape) throws OrtException {
        try (OrtSession session = session(model);
                OnnxTensor tensor = OnnxTensor.createTensor(DetectorSession.environment(), FloatBuffer.wrap(input),
                        shape);
                OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), tensor))) {
            FloatBuffer values = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[] out = new float[values.remaining()];
            values.get(out);
            return out;
        }
    }

    static OrtSession session(OnnxModel model) throws OrtException {
        OrtEnvironment environment = DetectorSession.environment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(1);
            return environment.createSession(model.toBytes(), options);
        }
    }

    /** {@code model} with {@code tensors} added as float graph outputs. */
    static OnnxModel withOutputs(OnnxModel model, Set<String> tensors) {
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
}
