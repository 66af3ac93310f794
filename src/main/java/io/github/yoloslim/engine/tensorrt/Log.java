package io.github.yoloslim.engine.tensorrt;

import org.bytedeco.tensorrt.nvinfer.ILogger;

/**
 * The one logger handed to TensorRT. TensorRT keeps the first logger it is given as its process-wide logger
 * (for plugins and later builders), so a logger freed after one build would be called after it was freed;
 * this one lives as long as the JVM and passes messages to the build, load or run in progress.
 */
final class Log extends ILogger {
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
