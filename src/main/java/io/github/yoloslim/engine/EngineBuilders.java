package io.github.yoloslim.engine;

import java.util.ServiceLoader;

/** Finds the {@link EngineBuilder} on the class path. */
public final class EngineBuilders {

    private EngineBuilders() {
    }

    /**
     * The first engine builder {@link ServiceLoader} finds with this class's loader (the plugin's).
     *
     * @throws IllegalStateException when the plugin jar has none, which means it was repackaged without its
     *         service file
     */
    public static EngineBuilder load() {
        return ServiceLoader.load(EngineBuilder.class, EngineBuilders.class.getClassLoader()).findFirst()
                .orElseThrow(() -> new IllegalStateException("no " + EngineBuilder.class.getName()
                        + " service is registered; the yolo-slim plugin jar lacks its META-INF/services entry"));
    }

    /** What to tell a user whose machine cannot build engines. */
    static String howToFix(EngineEnvironment environment) {
        String missing = environment.availability().description()
                + (environment.detail().isEmpty() ? "" : " (" + environment.detail() + ")");
        String libraries = "TensorRT 10.15's and CUDA 13's libraries: either the plugin dependencies "
                + "org.bytedeco:tensorrt:10.15-1.5.13:linux-x86_64-redist and "
                + "org.bytedeco:cuda:13.1-9.19-1.5.13:linux-x86_64-redist (see the README), or TensorRT 10.15 with "
                + "cuBLAS, NVRTC and cuDNN 9 installed and their lib folders on LD_LIBRARY_PATH";
        String fix = switch (environment.availability()) {
            case NO_CUDA_DRIVER, NO_GPU -> "Run build-engine on a machine with an NVIDIA GPU and its driver, and "
                    + libraries;
            case NO_CUDA_RUNTIME, NO_TENSORRT, FAILED -> "Add " + libraries;
            case AVAILABLE -> "";
        };
        return "TensorRT engines cannot be built here: " + missing + ". " + fix + "; or set "
                + "<onMissingTensorRt>skip</onMissingTensorRt> to go on without an engine, or "
                + "-Dyoloslim.engine.skip to skip the goal.";
    }
}
