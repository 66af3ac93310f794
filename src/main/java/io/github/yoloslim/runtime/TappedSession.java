package io.github.yoloslim.runtime;

import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.TensorInfo;
import io.github.yoloslim.onnx.OnnxModel;
import io.github.yoloslim.onnx.YoloModelInfo;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * A model run with some of its intermediate tensors exposed as extra outputs, for calibration. The tapped
 * tensors are written by ONNX Runtime straight into buffers allocated once (pinned outputs), so a run costs
 * no allocation and the caller reads each tensor in place; only one batch of activations exists at a time.
 */
public final class TappedSession implements AutoCloseable {

    /** Receives one tapped tensor of one run; the buffer's content is valid until the next run. */
    @FunctionalInterface
    public interface TensorConsumer {
        void accept(String tensor, FloatBuffer values);
    }

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final YoloModelInfo info;
    private final List<String> tensors;
    private final Map<String, OnnxTensor> pinned = new LinkedHashMap<>();
    private final Map<String, FloatBuffer> buffers = new LinkedHashMap<>();
    private int pinnedBatch;

    private TappedSession(OrtEnvironment environment, OrtSession session, YoloModelInfo info, List<String> tensors) {
        this.environment = environment;
        this.session = session;
        this.info = info;
        this.tensors = tensors;
    }

    /**
     * Opens {@code model} with {@code tensors} added to its outputs.
     *
     * @param tensors float intermediate tensors (or graph inputs) of the model, in the order they are reported
     */
    public static TappedSession open(OnnxModel model, YoloModelInfo info, List<String> tensors, int threads)
            throws OrtException {
        GraphProto.Builder graph = model.proto().getGraph().toBuilder();
        Set<String> outputs = new HashSet<>();
        graph.getOutputList().forEach(o -> outputs.add(o.getName()));
        for (String tensor : tensors) {
            // The image input is reported from the caller's array: ONNX Runtime does not copy a graph input
            // into a pinned output.
            if (!tensor.equals(info.inputName()) && outputs.add(tensor)) {
                graph.addOutput(ValueInfoProto.newBuilder().setName(tensor).setType(TypeProto.newBuilder()
                        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))));
            }
        }
        ModelProto tapped = model.proto().toBuilder().setGraph(graph).build();
        OrtEnvironment environment = DetectorSession.environment();
        try (SessionOptions options = DetectorSession.options(threads)) {
            OrtSession session = environment.createSession(tapped.toByteArray(), options);
            return new TappedSession(environment, session, info, List.copyOf(tensors));
        }
    }

    /**
     * Runs a batch of letterboxed images and hands every tapped tensor to {@code consumer}, in the order given
     * at {@link #open}. The model's own output is not read.
     */
    public void run(float[] input, int batch, TensorConsumer consumer) throws OrtException {
        int feed = info.fixedBatch() > 0 ? info.fixedBatch() : batch;
        long[] shape = {feed, 3, info.inputHeight(), info.inputWidth()};
        int length = Math.multiplyExact(feed, 3 * info.inputHeight() * info.inputWidth());
        try (OnnxTensor image = OnnxTensor.createTensor(environment, FloatBuffer.wrap(input, 0, length), shape)) {
            Map<String, OnnxTensor> inputs = Map.of(info.inputName(), image);
            if (pinned.isEmpty() || pinnedBatch != feed) {
                runAndPin(inputs, feed, batch, input, length, consumer);
                return;
            }
            try (OrtSession.Result ignored = session.run(inputs, Set.of(), pinned)) {
                report(consumer, input, length, feed, batch, buffers::get);
            }
        }
    }

    /**
     * Hands every tapped tensor to {@code consumer}: the image input from the caller's array, the others from
     * {@code outputs}. A fixed batch larger than the images fed has unused slots at the end: only the fed ones
     * are reported.
     */
    private void report(TensorConsumer consumer, float[] input, int length, int feed, int batch,
            Function<String, FloatBuffer> outputs) {
        for (String tensor : tensors) {
            FloatBuffer values = tensor.equals(info.inputName()) ? FloatBuffer.wrap(input, 0, length)
                    : outputs.apply(tensor).clear();
            consumer.accept(tensor, values.limit(values.limit() / feed * batch));
        }
    }

    /**
     * The first run, and the first after the batch size changed: learns the tapped tensors' shapes from ONNX
     * Runtime's own outputs, reports those, and allocates an output buffer for each, used from the next run on.
     */
    private void runAndPin(Map<String, OnnxTensor> inputs, int feed, int batch, float[] input, int length,
            TensorConsumer consumer) throws OrtException {
        closePinned();
        Set<String> outputs = new HashSet<>(tensors);
        outputs.remove(info.inputName());
        try (OrtSession.Result result = session.run(inputs, outputs)) {
            Map<String, FloatBuffer> first = new HashMap<>();
            for (String tensor : outputs) {
                OnnxTensor value = (OnnxTensor) result.get(tensor).orElseThrow();
                TensorInfo tensorInfo = value.getInfo();
                int elements = Math.toIntExact(tensorInfo.getNumElements());
                FloatBuffer buffer = ByteBuffer.allocateDirect(elements * Float.BYTES).order(ByteOrder.nativeOrder())
                        .asFloatBuffer();
                pinned.put(tensor, OnnxTensor.createTensor(environment, buffer, tensorInfo.getShape()));
                buffers.put(tensor, buffer);
                first.put(tensor, value.getFloatBuffer());
            }
            report(consumer, input, length, feed, batch, first::get);
        }
        pinnedBatch = feed;
    }

    /** The shape of a tapped tensor, batch first, as the last run produced it; null before the first run. */
    public long[] shape(String tensor) {
        if (tensor.equals(info.inputName())) {
            return new long[] {pinnedBatch, 3, info.inputHeight(), info.inputWidth()};
        }
        OnnxTensor pinnedTensor = pinned.get(tensor);
        return pinnedTensor == null ? null : pinnedTensor.getInfo().getShape();
    }

    private void closePinned() {
        pinned.values().forEach(OnnxTensor::close);
        pinned.clear();
        buffers.clear();
    }

    @Override
    public void close() throws OrtException {
        closePinned();
        session.close();
    }

    /** The tensors this session reports, in order. */
    public List<String> tensors() {
        return new ArrayList<>(tensors);
    }
}
