package io.github.yoloslim.djl;

import ai.djl.engine.Engine;

import java.nio.file.Path;

/**
 * DJL for tests as an application has it: its cache (where it unpacks archives) in a test folder, no network, and
 * its OnnxRuntime engine started before anything else makes an ONNX Runtime environment, since DJL sets global
 * thread pools, which ONNX Runtime accepts only from the environment's creator.
 */
final class DjlTesting {

    private DjlTesting() {
    }

    static void prepare(Path cache) {
        System.setProperty("DJL_CACHE_DIR", cache.toString());
        System.setProperty("ai.djl.offline", "true");
        Engine.getEngine(DjlArchive.ENGINE);
    }
}
