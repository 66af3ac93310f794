package io.github.yoloslim.train;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.pytorch.jni.LibUtils;
import com.sun.jna.Library;
import com.sun.jna.Native;
import io.github.yoloslim.InvalidInputException;

/**
 * libtorch through DJL's PyTorch engine, loaded once per JVM from the {@code pytorch-native-cpu} jar on the class
 * path, never downloaded ({@code ai.djl.offline=true}).
 *
 * <p>Training runs in the build's own JVM rather than in a forked one. libtorch cannot be unloaded and a native
 * library binds to one class loader, so the engine is loaded once and held here for the life of this class: a
 * second goal, a second training in the same build, the plugin-testing harness, or a Maven daemon that keeps the
 * plugin's class realm all reuse it. Measured on 2 cores: the load takes 1.2–1.4 s and adds 120 MB resident
 * (2.9 s the first time ever, when DJL extracts the bundled 432 MB libtorch into its cache), against trainings of
 * minutes; a forked JVM would pay it, a JVM start and a copy of both models on every training, and buy isolation
 * only from the one case that fails in-process: a second class loader in the same JVM (another version of the
 * plugin, or a daemon that reloaded it), which gets a message with the fix.
 */
public final class TorchEngine {

    /** The class path resource by which DJL finds the bundled libtorch. */
    private static final String BUNDLED_LIBTORCH = "native/lib/pytorch.properties";

    private static Engine engine;
    private static long loadNanos;

    private TorchEngine() {
    }

    /**
     * The PyTorch engine, loaded on first use.
     *
     * @throws IllegalStateException when libtorch cannot be loaded (the native jar is missing from the class path,
     *         or the platform is not linux-x86_64)
     */
    public static synchronized Engine get() {
        if (engine == null) {
            if (TorchEngine.class.getClassLoader().getResource(BUNDLED_LIBTORCH) == null) {
                throw new IllegalStateException("libtorch is not on the class path (" + BUNDLED_LIBTORCH + " from "
                        + "ai.djl.pytorch:pytorch-native-cpu:linux-x86_64 is missing); training needs the plugin's "
                        + "own dependencies, on linux-x86_64");
            }
            System.setProperty("ai.djl.offline", "true");
            waitPassivelyBetweenParallelRegions();
            // libtorch fixes its inter-op pool at the first parallel work; the graphs here run node by node.
            System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
            long start = System.nanoTime();
            // DJL finds its engines through the context class loader; a plugin's own loader has them.
            Thread thread = Thread.currentThread();
            ClassLoader previous = thread.getContextClassLoader();
            thread.setContextClassLoader(TorchEngine.class.getClassLoader());
            try {
                engine = Engine.getEngine("PyTorch");
            } catch (RuntimeException | UnsatisfiedLinkError e) {
                if (String.valueOf(rootCause(e).getMessage()).contains("already loaded in another classloader")) {
                    throw new IllegalStateException("libtorch is already loaded in this JVM by another class loader "
                            + "(another version of this plugin, or a Maven daemon that reloaded it), and a native "
                            + "library loads into one class loader only. Stop the daemon (`mvnd --stop`) or run the "
                            + "build with plain `mvn`.", e);
                }
                throw new IllegalStateException("libtorch could not be loaded through DJL: " + e.getMessage(), e);
            } finally {
                thread.setContextClassLoader(previous);
            }
            loadNanos = System.nanoTime() - start;
        }
        return engine;
    }

    /** The C library's environment, which libtorch's OpenMP reads when it loads (Java cannot change its own). */
    private interface CLibrary extends Library {
        int setenv(String name, String value, int overwrite);
    }

    /**
     * Tells libtorch's OpenMP (libgomp) to sleep rather than spin when its threads wait, unless the user chose
     * otherwise ({@code OMP_WAIT_POLICY}). Spinning threads fight the build's other threads and any other process
     * for the cores: measured on the shared 2-core machine, a 640×640 YOLOv8n forward pass took 2.6 s with 2
     * spinning threads, 0.43 s with 2 passive ones and 0.43 s with 1.
     */
    private static void waitPassivelyBetweenParallelRegions() {
        if (System.getenv("OMP_WAIT_POLICY") == null) {
            Native.load("c", CLibrary.class).setenv("OMP_WAIT_POLICY", "PASSIVE", 0);
        }
    }

    private static Throwable rootCause(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getCause() != cause) {
            cause = cause.getCause();
        }
        return cause;
    }

    /** How long loading libtorch took in this JVM, in seconds (0 before it was loaded). */
    public static synchronized double loadSeconds() {
        return loadNanos / 1e9;
    }

    /** Where the loaded libtorch lives (DJL extracts the bundled one into its cache folder). */
    public static String libtorchPath() {
        get();
        return LibUtils.getLibtorchPath();
    }

    /**
     * Sets libtorch's intra-op threads for the runs that follow. Results are deterministic for a fixed thread
     * count on the same machine; a different count can change float summation order.
     */
    public static void setThreads(int threads) {
        get();
        JniUtils.setNumThreads(threads);
    }

    /** Seeds libtorch's random numbers (used by DJL's initialisers and dropout; the graphs here draw none). */
    public static void seed(long seed) {
        get().setRandomSeed((int) seed);
    }

    /**
     * A constant for an operation on the autograd path, owned by libtorch and by {@code like}'s manager. DJL's
     * {@code NDArray.mul(Number)}, {@code div(Number)}, {@code maximum(Number)} and the like wrap the number's Java
     * buffer as a tensor without copying it and release that buffer as soon as the operation returns, while autograd
     * keeps the tensor for the backward pass: once the garbage collector frees the buffer, backward reads whatever
     * took its memory (measured: the gradient of {@code x.div(2)} came out Infinity instead of 0.5; a 3-epoch
     * distillation departed from an identical run at step 121). This tensor lives until the manager closes.
     */
    public static NDArray scalar(NDArray like, float value) {
        return like.getManager().full(new Shape(), value, like.getDataType());
    }

    /** A manager for arrays on {@code device}, libtorch loaded. */
    public static NDManager newManager(Device device) {
        return get().newBaseManager(device);
    }

    /**
     * The device for a {@code <device>} setting.
     *
     * @throws InvalidInputException for {@code gpu} where libtorch sees no CUDA device
     */
    public static Device resolve(TrainingDevice device) {
        int gpus = get().getGpuCount();
        return switch (device) {
            case CPU -> Device.cpu();
            case AUTO -> gpus > 0 ? Device.gpu() : Device.cpu();
            case GPU -> {
                if (gpus == 0) {
                    throw new InvalidInputException("<device>gpu</device> asks for a CUDA GPU, but libtorch "
                            + get().getVersion() + " (" + LibUtils.getLibtorchPath() + ") sees none: there is no "
                            + "CUDA device, or the libtorch on the class path is the CPU build (the plugin bundles "
                            + "only that one). Use <device>auto</device> or <device>cpu</device>, or add a CUDA build "
                            + "of ai.djl.pytorch:pytorch-native to the plugin's dependencies on a machine with a GPU.");
                }
                yield Device.gpu();
            }
        };
    }
}
