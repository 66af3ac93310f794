package io.github.yoloslim.gate;

/** The outcome of the mAP gate. */
public enum Verdict {
    /** The candidate is within every configured limit. */
    PASSED("PASS", "within tolerance"),
    /** The candidate lost more mAP50-95 than {@code <maxMapDrop>} allows. */
    MAP_DROP_EXCEEDED("FAIL", "mAP50-95 dropped more than <maxMapDrop>"),
    /** The candidate scored below the {@code <minMap>} floor. */
    BELOW_MIN_MAP("FAIL", "mAP50-95 below <minMap>");

    private final String label;
    private final String description;

    Verdict(String label, String description) {
        this.label = label;
        this.description = description;
    }

    /** {@code PASS} or {@code FAIL}, for the log table. */
    public String label() {
        return label;
    }

    /** What the verdict means, in words. */
    public String description() {
        return description;
    }

    /** Whether the build may go on. */
    public boolean passed() {
        return this == PASSED;
    }
}
