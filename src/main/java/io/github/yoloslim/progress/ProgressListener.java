package io.github.yoloslim.progress;

/**
 * How the core tells a user what it is doing, without knowing about Maven: one {@link #stage} line per stage
 * with counts and rates, {@link #detail} for per-item lines, {@link #warn} for things the user should fix.
 */
public interface ProgressListener {

    /** One line per stage or progress step (Maven INFO). */
    void stage(String message);

    /** Per-item detail (Maven DEBUG). */
    void detail(String message);

    /** Something suspicious that does not stop the work (Maven WARNING). */
    void warn(String message);

    /** A listener that drops everything, for tests and library callers that do not log. */
    static ProgressListener silent() {
        return new ProgressListener() {
            @Override
            public void stage(String message) {
            }

            @Override
            public void detail(String message) {
            }

            @Override
            public void warn(String message) {
            }
        };
    }
}
