package io.github.yoloslim.runtime;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.onnx.OutputLayout;
import io.github.yoloslim.onnx.YoloModelInfo;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Map;

/** A YOLOv8 detector loaded into ONNX Runtime on the CPU, run on letterboxed NCHW batches. */
public final class DetectorSession implements Detector {

    private static final long INIT_STACK_BYTES = 16L << 20;
    private static OrtEnvironment sharedEnvironment;

    private final OrtEnvironment environment;
    private final OrtSession session;
    private final YoloModelInfo info;

    private DetectorSession(OrtEnvironment environment, OrtSession session, YoloModelInfo info) {
        this.environment = environment;
        this.session = session;
        this.info = info;
    }

    /**
     * Loads {@code model} with all graph optimisations.
     *
     * @param threads intra-op threads
     * @param parameter the setting the model came from, for messages
     * @throws InvalidInputException when ONNX Runtime rejects the model
     * @throws OrtException when ONNX Runtime itself fails (native library, memory)
     */
    public static DetectorSession open(FileSnapshot model, YoloModelInfo info, int threads, String parameter)
            throws OrtException {
        OrtEnvironment environment = environment();
        try (SessionOptions options = options(threads)) {
            OrtSession session;
            try {
                session = environment.createSession(model.bytes(), options);
            } catch (OrtException e) {
                if (e.getCode() == OrtException.OrtErrorCode.ORT_INVALID_GRAPH
                        || e.getCode() == OrtException.OrtErrorCode.ORT_INVALID_PROTOBUF
                        || e.getCode() == OrtException.OrtErrorCode.ORT_NOT_IMPLEMENTED
                        || e.getCode() == OrtException.OrtErrorCode.ORT_INVALID_ARGUMENT) {
                    throw new InvalidInputException(parameter + " " + model.file() + " cannot be loaded by ONNX Runtime "
                            + "(" + e.getMessage() + "). Check that the model was exported with a standard opset.", e);
                }
                throw e;
            }
            return new DetectorSession(environment, session, info);
        }
    }

    /** Loads the ONNX file {@code model}, as {@link #open(FileSnapshot, YoloModelInfo, int, String)} does. */
    public static DetectorSession open(Path model, YoloModelInfo info, int threads, String parameter)
            throws IOException, OrtException {
        return open(FileSnapshot.read(model), info, threads, parameter);
    }

    /**
     * The options every session here runs with: all graph optimisations, {@code threads} intra-op threads, and
     * no spinning once a run has returned. ONNX Runtime's idle workers otherwise keep a core busy for a while
     * after each run, just when the caller's own threads (image decoding, activation histograms) need it; stopping
     * them does not slow inference.
     */
    static SessionOptions options(int threads) throws OrtException {
        SessionOptions options = new SessionOptions();
        options.setOptimizationLevel(OptLevel.ALL_OPT);
        options.setIntraOpNumThreads(threads);
        options.setInterOpNumThreads(1);
        options.setExecutionMode(SessionOptions.ExecutionMode.SEQUENTIAL);
        options.addConfigEntry("session.force_spinning_stop", "1");
        return options;
    }

    /**
     * ONNX Runtime's shared environment. Its native initialisation was seen to overrun the JVM's default 1 MB
     * thread stack and crash the whole JVM (a segmentation fault, no Java exception) when the process has a long
     * command line, so it is created once on a thread with a roomier stack.
     */
    public static synchronized OrtEnvironment environment() throws OrtException {
        if (sharedEnvironment == null) {
            OrtEnvironment[] created = new OrtEnvironment[1];
            Throwable[] failure = new Throwable[1];
            Thread thread = new Thread(null, () -> {
                try {
                    created[0] = OrtEnvironment.getEnvironment();
                } catch (Throwable e) {
                    failure[0] = e;
                }
            }, "yolo-slim-onnxruntime-init", INIT_STACK_BYTES);
            thread.start();
            try {
                thread.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new OrtException("interrupted while loading ONNX Runtime");
            }
            if (failure[0] != null) {
                throw new OrtException("ONNX Runtime's native library could not be loaded: " + failure[0]);
            }
            sharedEnvironment = created[0];
        }
        return sharedEnvironment;
    }

    @Override
    public YoloModelInfo info() {
        return info;
    }

    /**
     * Runs a batch. {@code input} holds {@code batch} letterboxed images, each {@code 3 × H × W} floats in [0,1];
     * a model with a fixed batch larger than {@code batch} is fed the unused slots as they are in the array.
     */
    @Override
    public DetectorOutput run(float[] input, int batch) throws InferenceException {
        int feed = info.fixedBatch() > 0 ? info.fixedBatch() : batch;
        long[] shape = {feed, 3, info.inputHeight(), info.inputWidth()};
        int length = Math.multiplyExact(feed, 3 * info.inputHeight() * info.inputWidth());
        try (OnnxTensor tensor = OnnxTensor.createTensor(environment, FloatBuffer.wrap(input, 0, length), shape);
                OrtSession.Result result = session.run(Map.of(info.inputName(), tensor))) {
            OnnxTensor output = (OnnxTensor) result.get(0);
            long[] outShape = output.getInfo().getShape();
            float[] data = new float[Math.toIntExact(output.getInfo().getNumElements())];
            output.getFloatBuffer().get(data);
            boolean attributesFirst = info.layout() == OutputLayout.ATTRIBUTES_FIRST;
            int attributes = (int) (attributesFirst ? outShape[1] : outShape[2]);
            int anchors = (int) (attributesFirst ? outShape[2] : outShape[1]);
            return new DetectorOutput(data, batch, attributes, anchors, info.layout());
        } catch (OrtException e) {
            throw new InferenceException("ONNX Runtime could not run a batch of " + batch + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() throws InferenceException {
        try {
            session.close();
        } catch (OrtException e) {
            throw new InferenceException("ONNX Runtime could not release its session: " + e.getMessage(), e);
        }
    }
}
