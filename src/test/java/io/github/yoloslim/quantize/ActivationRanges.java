package io.github.yoloslim.quantize;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.runtime.DetectorSession;
import io.github.yoloslim.testing.OrtRuns;

import java.nio.FloatBuffer;
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
        try (OrtSession session = OrtRuns.session(OrtRuns.withOutputs(model, tensors))) {
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
}
