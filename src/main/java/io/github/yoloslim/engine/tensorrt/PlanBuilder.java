package io.github.yoloslim.engine.tensorrt;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.engine.BatchProfile;
import io.github.yoloslim.engine.BuiltEngine;
import io.github.yoloslim.engine.EngineBuildException;
import io.github.yoloslim.engine.EngineEnvironment;
import io.github.yoloslim.engine.EngineSpec;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvinfer.ITimingCache;
import org.bytedeco.tensorrt.nvonnxparser.IParser;
import org.bytedeco.tensorrt.nvonnxparser.IParserError;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** One TensorRT build: parses the ONNX model, applies the batch profile, precision and timing cache, serializes. */
final class PlanBuilder {

    private PlanBuilder() {
    }

    static BuiltEngine build(EngineSpec spec, EngineEnvironment environment, Messages messages,
            NativeScope scope) throws EngineBuildException {
        IBuilder builder = scope.own(nvinfer.createInferBuilder(Log.INSTANCE), IBuilder::new);
        // 0: weakly typed, so that the precision flags below choose the layers' precisions.
        INetworkDefinition network = builder == null ? null
                : scope.own(builder.createNetworkV2(0), INetworkDefinition::new);
        // JavaCPP has no C++ delete for the parser (see NativeScope): it and the weights it holds stay allocated.
        IParser parser = network == null ? null : nvonnxparser.createParser(network, Log.INSTANCE);
        if (parser == null) {
            throw new EngineBuildException(EngineBuildException.Kind.BUILD_FAILED, "TensorRT could not create its"
                    + " builder, network and ONNX parser: " + messages.firstError(), messages.errors());
        }
        String onnx = spec.onnx().toAbsolutePath().toString();
        messages.listener.detail("TensorRT " + environment.tensorRtVersion() + " parsing " + onnx);
        if (!parser.parseFromFile(onnx, ILogger.Severity.kWARNING.value)) {
            List<String> errors = new ArrayList<>();
            for (int i = 0; i < parser.getNbErrors(); i++) {
                errors.add(describe(parser.getError(i)));
            }
            if (errors.isEmpty()) {
                errors.addAll(messages.errors());
            }
            throw new EngineBuildException(EngineBuildException.Kind.PARSER_REJECTED, "TensorRT "
                    + environment.tensorRtVersion() + "'s ONNX parser rejected " + onnx + ": "
                    + (errors.isEmpty() ? "no reason given" : String.join("; ", errors)) + ". The model uses an"
                    + " operator or attribute this TensorRT does not support; re-export it with a standard opset"
                    + " (e.g. `yolo export format=onnx opset=17`) without custom operators.", errors);
        }

        IBuilderConfig config = scope.own(builder.createBuilderConfig(), IBuilderConfig::new);
        if (spec.workspaceBytes() > 0) {
            config.setMemoryPoolLimit(nvinfer.MemoryPoolType.kWORKSPACE, spec.workspaceBytes());
        }
        config.setBuilderOptimizationLevel(spec.optimizationLevel());
        IOptimizationProfile profile = batchProfile(spec, builder, network, messages, scope);
        if (profile != null && config.addOptimizationProfile(profile) < 0) {
            throw new IllegalStateException("TensorRT refused the batch profile: " + messages.firstError());
        }
        setPrecision(spec, environment, builder, config, profile, messages, scope);
        boolean reused = setTimingCache(spec.timingCache(), config, messages, scope);

        messages.listener.detail("TensorRT building a " + spec.precision().id() + " engine at optimisation level "
                + spec.optimizationLevel());
        IHostMemory plan = scope.own(builder.buildSerializedNetwork(network, config), IHostMemory::new);
        if (plan == null) {
            throw new EngineBuildException(EngineBuildException.Kind.BUILD_FAILED, "TensorRT could not build an"
                    + " engine from " + onnx + ": " + messages.firstError() + ". Check the workspace limit"
                    + " (<workspace>) and the precision against the GPU, or try fp32.", messages.errors());
        }
        IHostMemory timingCache = scope.own(config.getTimingCache().serialize(), IHostMemory::new);
        return new BuiltEngine(bytes(plan), bytes(timingCache), reused, messages.warnings());
    }

    private static String describe(IParserError error) {
        String where = error.node() >= 0
                ? "node " + error.node() + " '" + error.nodeName() + "' (" + error.nodeOperator() + "): " : "";
        return where + error.desc();
    }

    /**
     * The profile for a dynamic batch: {@code <batchProfile>} on the batch dimension, the network's own sizes on
     * the others. Null when every input is fixed.
     */
    private static IOptimizationProfile batchProfile(EngineSpec spec, IBuilder builder, INetworkDefinition network,
            Messages messages, NativeScope scope) {
        IOptimizationProfile profile = null;
        for (int i = 0; i < network.getNbInputs(); i++) {
            ITensor input = network.getInput(i);
            Dims64 dims = scope.track(input.getDimensions());
            for (int d = 1; d < dims.nbDims(); d++) {
                if (dims.d(d) < 0) {
                    throw new InvalidInputException("Input '" + input.getName() + "' of " + spec.onnx() + " has a"
                            + " dynamic dimension " + d + " besides the batch; TensorRT engines are built for one"
                            + " image size here. Export the model with a fixed size (e.g. `yolo export format=onnx"
                            + " imgsz=640`).");
                }
            }
            if (dims.nbDims() == 0 || dims.d(0) >= 0) {
                continue;
            }
            BatchProfile batch = spec.batchProfile().orElseThrow(() -> new InvalidInputException("The model "
                    + spec.onnx() + " has a dynamic batch, so TensorRT needs the batch sizes to build for: set"
                    + " <batchProfile>min,opt,max</batchProfile>, e.g. 1,4,8 (TensorRT tunes for opt)."));
            if (profile == null) {
                profile = builder.createOptimizationProfile();
            }
            String name = input.getName();
            Dims64 min = scope.track(withBatch(dims, batch.min()));
            Dims64 opt = scope.track(withBatch(dims, batch.opt()));
            Dims64 max = scope.track(withBatch(dims, batch.max()));
            if (!profile.setDimensions(name, nvinfer.OptProfileSelector.kMIN, min)
                    || !profile.setDimensions(name, nvinfer.OptProfileSelector.kOPT, opt)
                    || !profile.setDimensions(name, nvinfer.OptProfileSelector.kMAX, max)) {
                throw new IllegalStateException("TensorRT refused the batch profile " + batch + " for input '" + name
                        + "': " + messages.firstError());
            }
        }
        if (profile == null && spec.batchProfile().isPresent()) {
            messages.warn("The model " + spec.onnx() + " has a fixed batch, so <batchProfile> is ignored.");
        }
        return profile;
    }

    static Dims64 withBatch(Dims64 dims, long batch) {
        Dims64 copy = new Dims64();
        copy.nbDims(dims.nbDims());
        for (int d = 0; d < dims.nbDims(); d++) {
            copy.d(d, d == 0 ? batch : dims.d(d));
        }
        return copy;
    }

    // TensorRT 10 deprecates the precision flags and platform queries in favour of strongly typed networks but
    // honours them for weakly typed ones, Q/DQ networks included (without kINT8 their Q/DQ pairs run as float);
    // implicit INT8 and the calibrators exist only in this API.
    @SuppressWarnings("deprecation")
    private static void setPrecision(EngineSpec spec, EngineEnvironment environment, IBuilder builder,
            IBuilderConfig config, IOptimizationProfile profile, Messages messages, NativeScope scope)
            throws EngineBuildException {
        switch (spec.precision()) {
            case FP32 -> {
            }
            case FP16 -> {
                requireFast(builder.platformHasFastFp16(), "fp16", "FP16", "5.3", environment);
                config.setFlag(nvinfer.BuilderFlag.kFP16);
            }
            case INT8 -> {
                requireFast(builder.platformHasFastInt8(), "int8", "INT8", "6.1", environment);
                config.setFlag(nvinfer.BuilderFlag.kINT8);
            }
            case INT8_IMPLICIT -> {
                requireFast(builder.platformHasFastInt8(), "int8-implicit", "INT8", "6.1", environment);
                config.setFlag(nvinfer.BuilderFlag.kINT8);
                setCalibrator(spec.calibrationCache().orElseThrow(), config, profile, scope);
            }
            case BEST -> {
                // Every precision the GPU runs fast; the ones it lacks are left out rather than refused.
                if (builder.platformHasFastFp16()) {
                    config.setFlag(nvinfer.BuilderFlag.kFP16);
                } else {
                    messages.warn("<precision>best</precision>: " + gpu(environment) + " has no fast FP16; building"
                            + " without it.");
                }
                if (builder.platformHasFastInt8()) {
                    config.setFlag(nvinfer.BuilderFlag.kINT8);
                    spec.calibrationCache().ifPresent(cache -> setCalibrator(cache, config, profile, scope));
                } else {
                    messages.warn("<precision>best</precision>: " + gpu(environment) + " has no fast INT8; building"
                            + " without it.");
                }
            }
        }
    }

    private static void requireFast(boolean fast, String precision, String kind, String capability,
            EngineEnvironment environment) throws EngineBuildException {
        if (!fast) {
            throw new EngineBuildException(EngineBuildException.Kind.UNSUPPORTED_PRECISION, "<precision>" + precision
                    + "</precision>: " + gpu(environment) + " has no fast " + kind + " (TensorRT needs compute"
                    + " capability " + capability + " or newer). Choose fp32" + (kind.equals("INT8") ? " or fp16" : "")
                    + ", or build on a newer GPU.", List.of());
        }
    }

    private static String gpu(EngineEnvironment environment) {
        return "the GPU " + environment.gpuName() + " (compute capability " + environment.computeCapability() + ")";
    }

    @SuppressWarnings("deprecation")
    private static void setCalibrator(byte[] cache, IBuilderConfig config, IOptimizationProfile profile,
            NativeScope scope) {
        config.setInt8Calibrator(scope.track(new CacheCalibrator(cache)));
        if (profile != null) {
            // Calibration runs at one shape; TensorRT refuses a dynamic network without a calibration profile.
            config.setCalibrationProfile(profile);
        }
    }

    /**
     * Attaches the given timing cache, or an empty one when there is none or TensorRT rejects it.
     *
     * @return whether the given cache was accepted
     */
    private static boolean setTimingCache(Optional<byte[]> given, IBuilderConfig config, Messages messages,
            NativeScope scope) {
        if (given.isPresent()) {
            byte[] bytes = given.get();
            int complaints = messages.complaints();
            ITimingCache cache;
            try (BytePointer blob = new BytePointer(bytes)) {
                cache = scope.own(config.createTimingCache(blob, bytes.length), ITimingCache::new);
            }
            // A cache from another version or device is refused here (null or a logged complaint) or when
            // attached; ignoreMismatch=false keeps TensorRT from using another GPU's timings.
            if (cache != null && messages.complaints() == complaints && config.setTimingCache(cache, false)) {
                return true;
            }
            messages.warn("The timing cache is from another TensorRT version or GPU, or is damaged, and TensorRT"
                    + " rejected it (" + messages.lastComplaint(complaints) + "); rebuilding it. The new cache"
                    + " replaces it after this build.");
        }
        ITimingCache empty = scope.own(config.createTimingCache(null, 0), ITimingCache::new);
        config.setTimingCache(empty, false);
        return false;
    }

    private static byte[] bytes(IHostMemory memory) {
        byte[] bytes = new byte[Math.toIntExact(memory.size())];
        new BytePointer(memory.data()).capacity(bytes.length).get(bytes);
        return bytes;
    }
}
