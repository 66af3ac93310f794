package io.github.yoloslim.progress;

import java.util.Locale;

/** Durations as a person reads them in a progress line: {@code 8 s}, {@code 3 min 20 s}, {@code 1 h 05 min}. */
public final class Durations {

    private Durations() {
    }

    /** {@code seconds} rounded to what matters at its size; {@code ?} when not finite (no rate yet). */
    public static String describe(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "?";
        }
        long whole = Math.round(seconds);
        if (whole < 60) {
            return whole + " s";
        }
        if (whole < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", whole / 60, whole % 60);
        }
        long minutes = Math.round(seconds / 60);
        return String.format(Locale.ROOT, "%d h %02d min", minutes / 60, minutes % 60);
    }
}
