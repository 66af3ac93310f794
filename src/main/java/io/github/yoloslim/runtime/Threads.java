package io.github.yoloslim.runtime;

/** The one meaning of a {@code threads} setting: 0 uses one thread per available processor. */
public final class Threads {

    private Threads() {
    }

    /** The thread count to use for a configured value. */
    public static int resolve(int configured) {
        return configured > 0 ? configured : Runtime.getRuntime().availableProcessors();
    }
}
