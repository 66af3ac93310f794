package io.github.yoloslim.engine.tensorrt;

import io.github.yoloslim.InvalidInputException;
import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.engine.BuiltEngine;
import io.github.yoloslim.engine.EngineBuildException;
import io.github.yoloslim.engine.EngineBuilder;
import io.github.yoloslim.engine.EngineEnvironment;
import io.github.yoloslim.engine.EngineSpec;
import io.github.yoloslim.engine.Precision;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.runtime.Detector;

import java.nio.file.Files;

/**
 * The {@link EngineBuilder} that ships: TensorRT 10.15 through JavaCPP's presets ({@code org.bytedeco:tensorrt}
 * and {@code org.bytedeco:cuda}). Its package is the only code in the project that touches TensorRT or CUDA
 * ({@link TensorRtProbe}, {@link PlanBuilder}, {@link EngineDetector}, {@link CacheCalibrator}, {@link Log},
 * {@link NativeScope}); everything else talks to the interface, and nothing native is loaded until
 * {@link #probe()} is called.
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

    // Held through builds, plan loads and runs; the probe has its own lock so it answers during a long build.
    static final Object NATIVE = new Object();
    private static final Object PROBE = new Object();
    private static EngineEnvironment environment;

    /** Creates the builder; loads nothing native (ServiceLoader instantiates it on every machine). */
    public TensorRtEngineBuilder() {
    }

    @Override
    public String name() {
        return "TensorRT " + TensorRtProbe.WRAPPED_MAJOR + "." + TensorRtProbe.WRAPPED_MINOR + " (JavaCPP)";
    }

    /**
     * Loads CUDA's runtime, then TensorRT and its ONNX parser, then asks the driver for a GPU. The answer is
     * cached for the JVM: a library that failed to load stays failed, and loading again would only repeat it.
     */
    @Override
    public EngineEnvironment probe() {
        synchronized (PROBE) {
            if (environment == null) {
                environment = TensorRtProbe.load();
            }
            return environment;
        }
    }

    @Override
    public BuiltEngine build(EngineSpec spec, ProgressListener listener) throws EngineBuildException {
        EngineEnvironment environment = probe();
        TensorRtProbe.requireAvailable(environment);
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
                return PlanBuilder.build(spec, environment, messages, scope);
            } finally {
                Log.INSTANCE.capture(null);
            }
        }
    }

    @Override
    public Detector open(FileSnapshot plan, YoloModelInfo info) throws EngineBuildException {
        TensorRtProbe.requireAvailable(probe());
        synchronized (NATIVE) {
            return EngineDetector.load(plan.bytes(), plan.file(), info);
        }
    }
}
