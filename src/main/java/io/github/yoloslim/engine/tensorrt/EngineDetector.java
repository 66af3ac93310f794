package io.github.yoloslim.engine.tensorrt;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.data.DecodeSchedule;
import io.github.yoloslim.engine.EngineBuildException;
import io.github.yoloslim.onnx.OutputLayout;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.runtime.Detector;
import io.github.yoloslim.runtime.DetectorOutput;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.bytedeco.tensorrt.nvinfer.IRuntime;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A deserialized engine with its execution context, CUDA stream and device buffers for the largest batch. */
final class EngineDetector implements Detector {
    private final YoloModelInfo info;
    private final NativeScope scope;
    private final Messages messages;
    private final IExecutionContext context;
    private final CUstream_st stream;
    private final Pointer deviceInput;
    private final Pointer deviceOutput;
    private final FloatPointer hostInput;
    private final FloatPointer hostOutput;
    private final boolean dynamicBatch;
    private final int maxBatch;
    private final int imageValues;

    private EngineDetector(YoloModelInfo info, NativeScope scope, Messages messages, IExecutionContext context,
            boolean dynamicBatch, int maxBatch, long outputValues) {
        this.info = info;
        this.scope = scope;
        this.messages = messages;
        this.context = context;
        this.dynamicBatch = dynamicBatch;
        this.maxBatch = maxBatch;
        this.imageValues = 3 * info.inputHeight() * info.inputWidth();
        long inputValues = (long) maxBatch * imageValues;
        this.stream = new CUstream_st();
        cuda(cudart.cudaStreamCreate(stream), "cudaStreamCreate");
        scope.onClose(() -> cudart.cudaStreamDestroy(stream));
        this.deviceInput = deviceBuffer(inputValues * Float.BYTES);
        this.deviceOutput = deviceBuffer(outputValues * Float.BYTES);
        this.hostInput = scope.track(new FloatPointer(inputValues));
        this.hostOutput = scope.track(new FloatPointer(outputValues));
        // Addresses stay valid for the context's life, so they are set once.
        if (!context.setTensorAddress(info.inputName(), deviceInput)
                || !context.setTensorAddress(info.outputName(), deviceOutput)) {
            throw new IllegalStateException("TensorRT refused the device buffers: " + messages.firstError());
        }
    }

    private Pointer deviceBuffer(long bytes) {
        Pointer buffer = new Pointer();
        cuda(cudart.cudaMalloc(buffer, bytes), "cudaMalloc of " + bytes + " bytes");
        scope.onClose(() -> cudart.cudaFree(buffer));
        return buffer;
    }

    static EngineDetector load(byte[] plan, Path file, YoloModelInfo info) throws EngineBuildException {
        Messages messages = new Messages(ProgressListener.silent());
        NativeScope scope = new NativeScope();
        Log.INSTANCE.capture(messages);
        try {
            IRuntime runtime = scope.own(nvinfer.createInferRuntime(Log.INSTANCE), IRuntime::new);
            ICudaEngine engine;
            try (BytePointer bytes = new BytePointer(plan)) {
                engine = scope.own(runtime.deserializeCudaEngine(bytes, plan.length), ICudaEngine::new);
            }
            if (engine == null) {
                throw new EngineBuildException(EngineBuildException.Kind.BUILD_FAILED, "TensorRT could not load"
                        + " the plan " + file + ": " + messages.firstError() + ". A plan runs only with the"
                        + " TensorRT version and on the GPU model it was built with; rebuild it here with the"
                        + " build-engine goal.", messages.errors());
            }
            requireTensor(engine, info.inputName(), nvinfer.TensorIOMode.kINPUT, file);
            requireTensor(engine, info.outputName(), nvinfer.TensorIOMode.kOUTPUT, file);
            Dims64 input = scope.track(engine.getTensorShape(info.inputName()));
            if (input.nbDims() != 4 || input.d(2) != info.inputHeight() || input.d(3) != info.inputWidth()) {
                throw new InvalidInputException("The plan " + file + " takes '" + info.inputName() + "' as "
                        + shape(input) + ", not [batch, 3, " + info.inputHeight() + ", " + info.inputWidth() + "]:"
                        + " it was built from another model or image size. Rebuild it from this model.");
            }
            boolean dynamicBatch = input.d(0) < 0;
            int maxBatch = Math.toIntExact(dynamicBatch ? scope.track(engine.getProfileShape(info.inputName(), 0,
                    nvinfer.OptProfileSelector.kMAX)).d(0) : input.d(0));
            IExecutionContext context = scope.own(engine.createExecutionContext(), IExecutionContext::new);
            if (context == null) {
                throw new IllegalStateException("TensorRT could not create an execution context for " + file
                        + ": " + messages.firstError());
            }
            if (dynamicBatch && !context.setInputShape(info.inputName(),
                    scope.track(PlanBuilder.withBatch(input, maxBatch)))) {
                throw new IllegalStateException("TensorRT refused batch " + maxBatch + " for " + file + ": "
                        + messages.firstError());
            }
            long outputValues = values(scope.track(context.getTensorShape(info.outputName())));
            return new EngineDetector(info, scope, messages, context, dynamicBatch, maxBatch, outputValues);
        } catch (EngineBuildException | RuntimeException e) {
            scope.close();
            throw e;
        } finally {
            Log.INSTANCE.capture(null);
        }
    }

    private static void requireTensor(ICudaEngine engine, String name, nvinfer.TensorIOMode mode, Path file) {
        if (engine.getTensorIOMode(name).value != mode.value) {
            throw new InvalidInputException("The plan " + file + " has no " + (mode.value
                    == nvinfer.TensorIOMode.kINPUT.value ? "input" : "output") + " '" + name + "': it was built"
                    + " from another model. Rebuild it from this model.");
        }
        if (engine.getTensorDataType(name).value != nvinfer.DataType.kFLOAT.value) {
            throw new InvalidInputException("The plan " + file + " has '" + name + "' as "
                    + engine.getTensorDataType(name) + ", not float32; rebuild it with build-engine, which keeps"
                    + " the model's float inputs and outputs.");
        }
    }

    @Override
    public YoloModelInfo info() {
        return info;
    }

    @Override
    public int batchCapacity(int preferred) {
        return dynamicBatch ? Math.min(maxBatch, Math.max(1, preferred)) : maxBatch;
    }

    /** The GPU runs the engine while the CPU's cores are free to decode the next images. */
    @Override
    public DecodeSchedule decodeSchedule(int threads) {
        return DecodeSchedule.duringRuns();
    }

    /**
     * Runs a batch as {@link io.github.yoloslim.runtime.DetectorSession} does: an engine with a fixed batch
     * larger than {@code batch} is fed the unused slots as they are in the array.
     */
    @Override
    public DetectorOutput run(float[] input, int batch) {
        int feed = dynamicBatch ? batch : maxBatch;
        if (batch < 1 || feed > maxBatch) {
            throw new IllegalArgumentException("batch " + batch + " does not fit the plan, which takes 1 to "
                    + maxBatch + " images" + (dynamicBatch ? " (the max of its <batchProfile>)" : ""));
        }
        long inputValues = (long) feed * imageValues;
        if (input.length < inputValues) {
            throw new IllegalArgumentException("input holds " + input.length + " values, fewer than " + feed
                    + " images of " + imageValues);
        }
        synchronized (TensorRtEngineBuilder.NATIVE) {
            Log.INSTANCE.capture(messages);
            try {
                int errors = messages.errors().size();
                if (dynamicBatch) {
                    try (Dims64 dims = new Dims64()) {
                        dims.nbDims(4).d(0, feed).d(1, 3).d(2, info.inputHeight()).d(3, info.inputWidth());
                        if (!context.setInputShape(info.inputName(), dims)) {
                            throw new IllegalStateException("TensorRT refused batch " + feed + ": "
                                    + messages.errorsSince(errors));
                        }
                    }
                }
                long[] shape;
                try (Dims64 output = context.getTensorShape(info.outputName())) {
                    shape = new long[output.nbDims()];
                    for (int d = 0; d < shape.length; d++) {
                        shape[d] = output.d(d);
                    }
                }
                int outputValues = Math.toIntExact(values(shape));
                hostInput.position(0).put(input, 0, Math.toIntExact(inputValues));
                cuda(cudart.cudaMemcpyAsync(deviceInput, hostInput, inputValues * Float.BYTES,
                        cudart.cudaMemcpyHostToDevice, stream), "cudaMemcpyAsync to the GPU");
                if (!context.enqueueV3(stream)) {
                    throw new IllegalStateException("TensorRT could not run the engine: "
                            + messages.errorsSince(errors));
                }
                cuda(cudart.cudaMemcpyAsync(hostOutput, deviceOutput, (long) outputValues * Float.BYTES,
                        cudart.cudaMemcpyDeviceToHost, stream), "cudaMemcpyAsync from the GPU");
                cuda(cudart.cudaStreamSynchronize(stream), "cudaStreamSynchronize");
                float[] data = new float[outputValues];
                hostOutput.position(0).get(data);
                boolean attributesFirst = info.layout() == OutputLayout.ATTRIBUTES_FIRST;
                int attributes = (int) (attributesFirst ? shape[1] : shape[2]);
                int anchors = (int) (attributesFirst ? shape[2] : shape[1]);
                return new DetectorOutput(data, batch, attributes, anchors, info.layout());
            } finally {
                Log.INSTANCE.capture(null);
            }
        }
    }

    @Override
    public void close() {
        synchronized (TensorRtEngineBuilder.NATIVE) {
            scope.close();
        }
    }

    private static String shape(Dims64 dims) {
        List<String> sizes = new ArrayList<>();
        for (int d = 0; d < dims.nbDims(); d++) {
            sizes.add(dims.d(d) < 0 ? "?" : Long.toString(dims.d(d)));
        }
        return "[" + String.join(", ", sizes) + "]";
    }

    private static long values(Dims64 dims) {
        long[] sizes = new long[dims.nbDims()];
        for (int d = 0; d < sizes.length; d++) {
            sizes[d] = dims.d(d);
        }
        return values(sizes);
    }

    private static long values(long[] shape) {
        long values = 1;
        for (long size : shape) {
            values = Math.multiplyExact(values, size);
        }
        return values;
    }

    private static void cuda(int status, String call) {
        if (status != cudart.cudaSuccess) {
            throw new IllegalStateException("CUDA " + call + " failed: " + TensorRtProbe.cudaError(status));
        }
    }
}
