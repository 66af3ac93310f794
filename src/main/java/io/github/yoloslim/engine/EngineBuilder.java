package io.github.yoloslim.engine;

import io.github.yoloslim.cache.FileSnapshot;
import io.github.yoloslim.onnx.YoloModelInfo;
import io.github.yoloslim.progress.ProgressListener;
import io.github.yoloslim.runtime.Detector;

/**
 * Builds and runs serialized engines. Implementations are found with {@link java.util.ServiceLoader}; the one
 * that ships is {@code engine.tensorrt.TensorRtEngineBuilder}, whose package is the only code that touches TensorRT.
 */
public interface EngineBuilder {

    /** A short name for logs, e.g. {@code TensorRT 10.15 (JavaCPP)}. */
    String name();

    /**
     * What this machine offers. Never throws: missing libraries, driver or GPU are answered with the
     * {@link Availability} and the loader's own words, from a real attempt to load them.
     */
    EngineEnvironment probe();

    /** Builds an engine; the plan comes back as bytes and the caller writes it. */
    BuiltEngine build(EngineSpec spec, ProgressListener listener) throws EngineBuildException;

    /** Loads a plan and runs it on the GPU with the same input and output as the ONNX model it came from. */
    Detector open(FileSnapshot plan, YoloModelInfo info) throws EngineBuildException;
}
