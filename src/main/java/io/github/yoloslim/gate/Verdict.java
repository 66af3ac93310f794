package io.github.yoloslim.gate;

/** The outcome of the mAP gate. */
public enum Verdict {
    /** The candidate is within every configured limit. */
    PASSED("PASS"),
    /** The candidate lost more mAP50-95 than {@code <maxMapDrop>} allows. */
    MAP_DROP_EXCEEDED("FAIL"),
    /** The candidate scored below the {@code <minMap>} floor. */
    BELOW_MIN_MAP("FAIL");

    private final String label;

    Verdict(String label) {
        this.label = label;
    }

    /** {@code PASS} or {@code FAIL}, for the log table. */
    public String label() {
        return label;
    }

    /** Whether the build may go on. */
    public boolean passed() {
        return this == PASSED;
    }
}
