package io.github.yoloslim.djl;

import ai.djl.engine.Engine;

import java.nio.file.Path;

/**
 * DJL for tests as an application has it: its cache (where it unpacks archives) in a test folder, no network, and
 * its OnnxRuntime engine started before anything else makes an ONNX Runtime environment, since DJL sets global
 * thread pools, which ONNX Runtime accepts only from the environment's creator. PyTorch, on this class path for the
 * training stages, is kept from standing in for operations ONNX Runtime's NDArrays lack, as it would not in an
 * application with the OnnxRuntime engine alone.
 */
final class DjlTesting {

    private DjlTesting() {
    }

    static void prepare(Path cache) {
        System.setProperty("DJL_CACHE_DIR", cache.toString());
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("ai.djl.onnx.disable_alternative", "true");
        Engine.getEngine(DjlArchive.ENGINE);
    }
}
