package io.github.yoloslim.engine.tensorrt;

import io.github.yoloslim.engine.Availability;
import io.github.yoloslim.engine.EngineEnvironment;
import org.bytedeco.cuda.cudart.cudaDeviceProp;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.tensorrt.global.nvinfer;
import org.bytedeco.tensorrt.global.nvonnxparser;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds out whether TensorRT can run here, from real attempts to load CUDA's runtime, TensorRT and its ONNX parser
 * and to ask the driver for a GPU; a failure is answered with the {@link Availability} and the loader's own words.
 */
final class TensorRtProbe {

    /** The TensorRT release the JNI wrappers were built against; an older libnvinfer lacks what they call. */
    static final int WRAPPED_MAJOR = nvinfer.NV_TENSORRT_MAJOR;
    static final int WRAPPED_MINOR = nvinfer.NV_TENSORRT_MINOR;
    private static final Pattern MISSING_LIBRARY =
            Pattern.compile("(lib[\\w.+-]+?\\.so[\\w.]*): cannot open shared object file");

    private TensorRtProbe() {
    }

    static EngineEnvironment load() {
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

    static String cudaError(int status) {
        return cudart.cudaGetErrorString(status).getString() + " (cudaError " + status + ")";
    }

    static void requireAvailable(EngineEnvironment environment) {
        if (!environment.available()) {
            throw new IllegalStateException("TensorRT cannot run here: " + environment.availability().description()
                    + " (" + environment.detail() + "). Call probe() first and build only when it is AVAILABLE.");
        }
    }
}
