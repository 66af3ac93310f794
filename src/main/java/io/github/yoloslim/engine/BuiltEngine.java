package io.github.yoloslim.engine;

import java.util.List;

/**
 * A serialized engine and what the build learned.
 *
 * @param plan the serialized engine
 * @param timingCache the timing cache after the build, to save for the next one
 * @param timingCacheReused whether the given timing cache was accepted (false when absent or from another
 *        TensorRT version or GPU)
 * @param warnings what TensorRT warned about, for the log
 */
public record BuiltEngine(byte[] plan, byte[] timingCache, boolean timingCacheReused, List<String> warnings) {

    public BuiltEngine {
        warnings = List.copyOf(warnings);
    }
}
