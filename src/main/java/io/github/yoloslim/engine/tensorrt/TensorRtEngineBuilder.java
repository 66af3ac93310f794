package io.github.yoloslim.engine.tensorrt;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.engine.Availability;
import io.github.yoloslim.engine.BatchProfile;
import io.github.yoloslim.engine.BuiltEngine;
import io.github.yoloslim.engine.EngineBuildException;
import io.github.yoloslim.engine.EngineBuilder;
import io.github.yoloslim.engine.EngineEnvironment;
import io.github.yoloslim.engine.EngineSpec;
import io.github.yoloslim.engine.Precision;
import io.github.yoloslim.onnx.OutputLayout;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.runtime.Detector;
import io.github.yoloslim.runtime.DetectorOutput;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;
import org.bytedeco.tensorrt.nvinfer.Dims64;
import org.bytedeco.tensorrt.nvinfer.IBuilder;
import org.bytedeco.tensorrt.nvinfer.IBuilderConfig;
import org.bytedeco.tensorrt.nvinfer.ICudaEngine;
import org.bytedeco.tensorrt.nvinfer.IExecutionContext;
import org.bytedeco.tensorrt.nvinfer.IHostMemory;
import org.bytedeco.tensorrt.nvinfer.IInt8EntropyCalibrator2;
import org.bytedeco.tensorrt.nvinfer.ILogger;
import org.bytedeco.tensorrt.nvinfer.INetworkDefinition;
import org.bytedeco.tensorrt.nvinfer.IOptimizationProfile;
import org.bytedeco.tensorrt.nvinfer.IRuntime;
import org.bytedeco.tensorrt.nvinfer.ITensor;
import org.bytedeco.tensorrt.nvinfer.ITimingCache;
import org.bytedeco.tensorrt.nvonnxparser.IParser;
import org.bytedeco.tensorrt.nvonnxparser.IParserError;

import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@link EngineBuilder} that ships: TensorRT 10.15 through JavaCPP's presets ({@code org.bytedeco:tensorrt}
 * and {@code org.bytedeco:cuda}). It is the only class in the project that touches TensorRT or CUDA; everything
 * else talks to the interface, and nothing native is loaded until {@link #probe()} is called.
 *
 * <h2>Native libraries</h2>
 * The plugin brings TensorRT's Java API and JavaCPP's JNI wrappers for linux-x86_64, not TensorRT and CUDA
 * themselves. Besides the NVIDIA driver ({@code libcuda.so.1}, always from the system, for CUDA 13) they come
 * <ul>
 * <li>from the system, on {@code LD_LIBRARY_PATH} or in the linker cache: TensorRT 10.15 or a newer 10.x
 *     ({@code libnvinfer.so.10}, {@code libnvonnxparser.so.10}) and the CUDA 13 libraries that JavaCPP's
 *     TensorRT wrappers load ({@code libcudart.so.13}, {@code libcublas.so.13}, {@code libcublasLt.so.13},
 *     {@code libnvrtc.so.13} and cuDNN 9's {@code libcudnn_*.so.9}, although TensorRT itself needs no cuDNN); or
 * </li>
 * <li>from Maven Central, as dependencies of the plugin (about 530 MB for TensorRT, more for CUDA):
 * <pre>{@code
 * <plugin>
 *   <groupId>io.github.yoloslim</groupId>
 *   <artifactId>yolo-slim-maven-plugin</artifactId>
 *   <dependencies>
 *     <dependency>
 *       <groupId>org.bytedeco</groupId>
 *       <artifactId>tensorrt</artifactId>
 *       <version>10.15-1.5.13</version>
 *       <classifier>linux-x86_64-redist</classifier>
 *     </dependency>
 *     <dependency>
 *       <groupId>org.bytedeco</groupId>
 *       <artifactId>cuda</artifactId>
 *       <version>13.1-9.19-1.5.13</version>
 *       <classifier>linux-x86_64-redist</classifier>
 *     </dependency>
 *   </dependencies>
 * </plugin>
 * }</pre></li>
 * </ul>
 * JavaCPP extracts the libraries it loads from the jars into {@code ~/.javacpp/cache} (several GB with the redist
 * jars); {@code -Dorg.bytedeco.javacpp.cachedir=<folder>} in {@code MAVEN_OPTS} puts them elsewhere.
 *
 * <h2>Builds</h2>
 * A {@code workspaceBytes} of 0 or less leaves TensorRT's default workspace limit (the GPU's memory). Networks
 * are created weakly typed so that the precision flags apply; explicit batch is TensorRT 10's only mode.
 * Builds, plan loads and inference runs are serialised within the JVM: TensorRT logs through one process-wide
 * logger, and this class keeps a single one that reports to whichever of them is running.
 */
public final class TensorRtEngineBuilder implements EngineBuilder {

    /** The TensorRT release the JNI wrappers were built against; an older libnvinfer lacks what they call. */
    private static final int WRAPPED_MAJOR = nvinfer.NV_TENSORRT_MAJOR;
    private static final int WRAPPED_MINOR = nvinfer.NV_TENSORRT_MINOR;
    private static final Pattern MISSING_LIBRARY =
            Pattern.compile("(lib[\\w.+-]+?\\.so[\\w.]*): cannot open shared object file");
    // Held through builds, plan loads and runs; the probe has its own lock so it answers during a long build.
    private static final Object NATIVE = new Object();
    private static final Object PROBE = new Object();
    private static EngineEnvironment environment;

    /** Creates the builder; loads nothing native (ServiceLoader instantiates it on every machine). */
    public TensorRtEngineBuilder() {
    }

    @Override
    public String name() {
        return "TensorRT " + WRAPPED_MAJOR + "." + WRAPPED_MINOR + " (JavaCPP)";
    }

    /**
     * Loads CUDA's runtime, then TensorRT and its ONNX parser, then asks the driver for a GPU. The answer is
     * cached for the JVM: a library that failed to load stays failed, and loading again would only repeat it.
     */
    @Override
    public EngineEnvironment probe() {
        synchronized (PROBE) {
            if (environment == null) {
                environment = load();
            }
            return environment;
        }
    }

    private static EngineEnvironment load() {
        try {
            Loader.load(cudart.class);
        } catch (LinkageError | RuntimeException e) {
            return failure(e, null, null);
        }
        String runtime;
        String driver;
        try {
            int[] version = new int[1];
            runtime = cudart.cudaRuntimeGetVersion(version) == cudart.cudaSuccess ? cudaVersion(version[0]) : null;
            // CUDA reports driver version 0 when no working driver is behind libcuda.
            driver = cudart.cudaDriverGetVersion(version) == cudart.cudaSuccess && version[0] > 0
                    ? cudaVersion(version[0]) : null;
        } catch (LinkageError | RuntimeException e) {
            return failure(e, null, null);
        }
        String tensorRt;
        try {
            Loader.load(nvinfer.class);
            Loader.load(nvonnxparser.class);
            int number = nvinfer.getInferLibVersion();
            tensorRt = number / 10000 + "." + number / 100 % 100 + "." + number % 100;
            if (number / 10000 != WRAPPED_MAJOR || number / 100 % 100 < WRAPPED_MINOR) {
                return new EngineEnvironment(Availability.NO_TENSORRT, "libnvinfer is TensorRT " + tensorRt
                        + ", but the JavaCPP wrappers need " + WRAPPED_MAJOR + "." + WRAPPED_MINOR + " or a newer "
                        + WRAPPED_MAJOR + ".x", tensorRt, runtime, driver, null, null);
            }
        } catch (LinkageError | RuntimeException e) {
            return failure(e, runtime, driver);
        }
        try {
            int[] count = new int[1];
            int status = cudart.cudaGetDeviceCount(count);
            if (status == cudart.cudaErrorInsufficientDriver) {
                return new EngineEnvironment(Availability.NO_CUDA_DRIVER, cudaError(status) + " (driver supports CUDA "
                        + driver + ", runtime is " + runtime + ")", tensorRt, runtime, driver, null, null);
            }
            if (status != cudart.cudaSuccess || count[0] == 0) {
                String detail = status != cudart.cudaSuccess ? "cudaGetDeviceCount: " + cudaError(status)
                        : "cudaGetDeviceCount found no CUDA device";
                return new EngineEnvironment(Availability.NO_GPU, detail, tensorRt, runtime, driver, null, null);
            }
            try (cudaDeviceProp properties = new cudaDeviceProp()) {
                status = cudart.cudaGetDeviceProperties(properties, 0);
                if (status != cudart.cudaSuccess) {
                    return new EngineEnvironment(Availability.NO_GPU, "cudaGetDeviceProperties: " + cudaError(status),
                            tensorRt, runtime, driver, null, null);
                }
                return new EngineEnvironment(Availability.AVAILABLE, "", tensorRt, runtime, driver,
                        properties.name().getString(), properties.major() + "." + properties.minor());
            }
        } catch (LinkageError | RuntimeException e) {
            return failure(e, runtime, driver);
        }
    }

    private static EngineEnvironment failure(Throwable e, String runtime, String driver) {
        String detail = detail(e);
        return new EngineEnvironment(classify(detail), detail, null, runtime, driver, null, null);
    }

    /**
     * The loader's innermost words: for a missing library, from its name on ({@code libcuda.so.1: cannot open
     * shared object file: No such file or directory}), without the path of the JNI wrapper that needed it.
     */
    static String detail(Throwable failure) {
        Throwable innermost = failure;
        while (innermost.getCause() != null && innermost.getCause() != innermost) {
            innermost = innermost.getCause();
        }
        String message = innermost.getMessage() != null ? innermost.getMessage() : innermost.toString();
        Matcher missing = MISSING_LIBRARY.matcher(message);
        return missing.find() ? message.substring(missing.start()) : message;
    }

    /** Which part is missing, from the library named in {@link #detail}. */
    static Availability classify(String detail) {
        Matcher missing = MISSING_LIBRARY.matcher(detail);
        if (!missing.find()) {
            return Availability.FAILED;
        }
        String library = missing.group(1);
        if (library.startsWith("libcuda.so")) {
            return Availability.NO_CUDA_DRIVER;
        }
        if (library.startsWith("libnvinfer") || library.startsWith("libnvonnxparser")) {
            return Availability.NO_TENSORRT;
        }
        if (library.startsWith("libcudart") || library.startsWith("libcublas") || library.startsWith("libcudnn")
                || library.startsWith("libnvrtc")) {
            return Availability.NO_CUDA_RUNTIME;
        }
        return Availability.FAILED;
    }

    /** CUDA's version number as major.minor: {@code 13010 → 13.1}. */
    private static String cudaVersion(int number) {
        return number / 1000 + "." + number % 1000 / 10;
    }

    private static String cudaError(int status) {
        return cudart.cudaGetErrorString(status).getString() + " (cudaError " + status + ")";
    }

    private static void requireAvailable(EngineEnvironment environment) {
        if (!environment.available()) {
            throw new IllegalStateException("TensorRT cannot run here: " + environment.availability().description()
                    + " (" + environment.detail() + "). Call probe() first and build only when it is AVAILABLE.");
        }
    }

    @Override
    public BuiltEngine build(EngineSpec spec, ProgressListener listener) throws EngineBuildException {
        EngineEnvironment environment = probe();
        requireAvailable(environment);
        if (spec.optimizationLevel() < 0 || spec.optimizationLevel() > 5) {
            throw new InvalidInputException("<optimizationLevel>" + spec.optimizationLevel() + "</optimizationLevel>"
                    + " is not a TensorRT builder optimisation level: give 0 (fastest build) to 5 (most tactics"
                    + " tried); 3 is TensorRT's default.");
        }
        if (spec.precision() == Precision.INT8_IMPLICIT && spec.calibrationCache().isEmpty()) {
            throw new InvalidInputException("<precision>int8-implicit</precision> needs TensorRT's calibration cache:"
                    + " run the calibrate goal first (it writes calibration.cache), or choose int8 for the Q/DQ model"
                    + " or fp16.");
        }
        if (!Files.isRegularFile(spec.onnx())) {
            throw new InvalidInputException("The model " + spec.onnx() + " to build an engine from does not exist."
                    + " Run the goals that write it first, or point <model> at an ONNX file.");
        }
        synchronized (NATIVE) {
            Messages messages = new Messages(listener);
            Log.INSTANCE.capture(messages);
            try (NativeScope scope = new NativeScope()) {
                return build(spec, environment, messages, scope);
            } finally {
                Log.INSTANCE.capture(null);
            }
        }
    }

    private static BuiltEngine build(EngineSpec spec, EngineEnvironment environment, Messages messages,
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

    private static Dims64 withBatch(Dims64 dims, long batch) {
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

    @Override
    public Detector open(FileSnapshot plan, YoloModelInfo info) throws EngineBuildException {
        requireAvailable(probe());
        synchronized (NATIVE) {
            return EngineDetector.load(plan.bytes(), plan.file(), info);
        }
    }

    /** A deserialized engine with its execution context, CUDA stream and device buffers for the largest batch. */
    private static final class EngineDetector implements Detector {
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
                        scope.track(withBatch(input, maxBatch)))) {
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
            synchronized (NATIVE) {
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
            synchronized (NATIVE) {
                scope.close();
            }
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
            throw new IllegalStateException("CUDA " + call + " failed: " + cudaError(status));
        }
    }

    /**
     * Implicit INT8 from a calibration cache alone: TensorRT reads the cache and, when it matches this TensorRT,
     * asks for no images. Should it not match, {@link #getBatch} ends calibration at once and TensorRT reports that
     * it has no scales.
     */
    @SuppressWarnings("deprecation")
    private static final class CacheCalibrator extends IInt8EntropyCalibrator2 {
        // Held as a field so the bytes stay allocated while TensorRT reads them during the build.
        private final BytePointer cache;
        private final long length;

        CacheCalibrator(byte[] cache) {
            this.cache = new BytePointer(cache);
            this.length = cache.length;
        }

        @Override
        public int getBatchSize() {
            return 1;
        }

        @Override
        @SuppressWarnings("rawtypes") // JavaCPP declares the parameters raw; an override must match.
        public boolean getBatch(PointerPointer bindings, PointerPointer names, int nbBindings) {
            return false;
        }

        @Override
        public Pointer readCalibrationCache(LongPointer length) {
            length.put(this.length);
            return cache;
        }

        @Override
        public void writeCalibrationCache(Pointer ptr, long length) {
            // The cache came from the calibrate goal; TensorRT has nothing new to add to it.
        }

        @Override
        public void deallocate() {
            cache.close();
            super.deallocate();
        }
    }

    /** What TensorRT logged during one build, plan load or run, and where it goes. */
    private static final class Messages {
        private static final int ERROR = ILogger.Severity.kERROR.value;
        private static final int WARNING = ILogger.Severity.kWARNING.value;

        private final ProgressListener listener;
        private final List<String> warnings = new ArrayList<>();
        private final List<String> errors = new ArrayList<>();
        private final List<String> complaints = new ArrayList<>();

        Messages(ProgressListener listener) {
            this.listener = listener;
        }

        synchronized void add(int severity, String message) {
            // kINTERNAL_ERROR (0) and kERROR (1) are errors; then warnings, info (3) and verbose (4).
            if (severity <= ERROR) {
                errors.add(message);
                complaints.add(message);
                warnings.add("error: " + message);
                listener.warn("TensorRT error: " + message);
            } else if (severity == WARNING) {
                complaints.add(message);
                warnings.add(message);
                listener.warn("TensorRT: " + message);
            } else {
                listener.detail("TensorRT: " + message);
            }
        }

        /** A warning of this class's own, for the log and the build's warnings. */
        synchronized void warn(String message) {
            warnings.add(message);
            listener.warn(message);
        }

        synchronized List<String> warnings() {
            return List.copyOf(warnings);
        }

        synchronized List<String> errors() {
            return List.copyOf(errors);
        }

        synchronized String firstError() {
            return errors.isEmpty() ? "TensorRT logged no error" : errors.get(0);
        }

        synchronized String errorsSince(int count) {
            return errors.size() > count ? String.join("; ", errors.subList(count, errors.size()))
                    : "TensorRT logged no error";
        }

        /** Errors and warnings so far, to tell whether one call complained. */
        synchronized int complaints() {
            return complaints.size();
        }

        synchronized String lastComplaint(int since) {
            return complaints.size() > since ? complaints.get(complaints.size() - 1) : "TensorRT gave no reason";
        }
    }

    /**
     * The one logger handed to TensorRT. TensorRT keeps the first logger it is given as its process-wide logger
     * (for plugins and later builders), so a logger freed after one build would be called after it was freed;
     * this one lives as long as the JVM and passes messages to the build, load or run in progress.
     */
    private static final class Log extends ILogger {
        // Created on first use, after probe() loaded TensorRT: ILogger's class initialisation loads the natives.
        static final Log INSTANCE = new Log();

        private volatile Messages messages;

        void capture(Messages messages) {
            this.messages = messages;
        }

        @Override
        public void log(Severity severity, String message) {
            Messages current = messages;
            if (current != null) {
                // JavaCPP passes a fresh enum object to callbacks, so compare values, not identities.
                current.add(severity.value, message);
            }
        }
    }

    /**
     * Native objects released together, last acquired first. JavaCPP wraps what TensorRT returns without a
     * deallocator, so {@code close()} on it frees nothing (JavaCPP's own samples leak these). Every TensorRT class
     * used here has a public constructor whose JavaCPP deallocator is the C++ {@code delete} for that class; a
     * throwaway instance lends that function to the returned object through JavaCPP's
     * {@code Pointer.NativeDeallocator}, which is not public (checked against JavaCPP 1.5.13 by this class's tests).
     * TensorRT 10 objects are destroyed with {@code delete}, through their virtual destructors.
     */
    static final class NativeScope implements AutoCloseable {
        private static final Map<Class<?>, Long> DELETERS = new ConcurrentHashMap<>();
        private final Deque<Runnable> releases = new ArrayDeque<>();

        /** An object JavaCPP allocated, with its own deallocator. */
        <P extends Pointer> P track(P pointer) {
            releases.push(pointer::deallocate);
            return pointer;
        }

        /**
         * An object that TensorRT returned and the caller owns; null stays null.
         *
         * @param sample makes an instance of the object's class through its public constructor
         */
        <P extends Pointer> P own(P object, Supplier<P> sample) {
            if (object == null || object.isNull()) {
                return null;
            }
            // Attaching runs a deallocator already there, so an object JavaCPP owns keeps its own.
            if (deallocatorOf(object) == null) {
                attachDelete(object, DELETERS.computeIfAbsent(object.getClass(), type -> deleter(sample)));
            }
            return track(object);
        }

        void onClose(Runnable release) {
            releases.push(release);
        }

        @Override
        public void close() {
            while (!releases.isEmpty()) {
                releases.pop().run();
            }
        }

        /** The address of the deallocation function JavaCPP registered for a fresh instance of the class. */
        private static long deleter(Supplier<? extends Pointer> sample) {
            Pointer instance = sample.get();
            try {
                Object nativeDeallocator = deallocatorOf(instance);
                Method address = nativeDeallocator.getClass().getDeclaredMethod("deallocatorAddress");
                address.setAccessible(true);
                return (Long) address.invoke(nativeDeallocator);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw javaCppChanged(e);
            } finally {
                instance.deallocate();
            }
        }

        private static Object deallocatorOf(Pointer pointer) {
            try {
                Method deallocator = Pointer.class.getDeclaredMethod("deallocator");
                deallocator.setAccessible(true);
                return deallocator.invoke(pointer);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw javaCppChanged(e);
            }
        }

        private static IllegalStateException javaCppChanged(Exception e) {
            return new IllegalStateException("This JavaCPP does not offer the native deallocator that"
                    + " TensorRtEngineBuilder relies on (written for JavaCPP 1.5.13)", e);
        }

        private static void attachDelete(Pointer object, long deleter) {
            try {
                Class<?> nativeDeallocator = Class.forName(Pointer.class.getName() + "$NativeDeallocator");
                Constructor<?> constructor = nativeDeallocator.getDeclaredConstructor(Pointer.class, long.class,
                        long.class);
                constructor.setAccessible(true);
                Object deallocator = constructor.newInstance(object, object.address(), deleter);
                Method attach = Pointer.class.getDeclaredMethod("deallocator",
                        Class.forName(Pointer.class.getName() + "$Deallocator"));
                attach.setAccessible(true);
                attach.invoke(object, deallocator);
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw javaCppChanged(e);
            }
        }
    }
}
