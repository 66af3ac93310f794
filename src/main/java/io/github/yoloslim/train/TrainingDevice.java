package io.github.yoloslim.train;

import io.github.yoloslim.Choices;

import java.util.Locale;

/** Where training runs ({@code <device>}). */
public enum TrainingDevice {
    /** The first CUDA GPU when libtorch sees one, else the CPU. */
    AUTO,
    /** The CPU. */
    CPU,
    /** The first CUDA GPU; refused with a clear message where there is none or libtorch is a CPU build. */
    GPU;

    /** Parses a configuration value: {@code auto}, {@code cpu} or {@code gpu}. */
    public static TrainingDevice parse(String value, String element) {
        return Choices.parse(TrainingDevice.class, value, element,
                "auto (a CUDA GPU when there is one, else the CPU), cpu or gpu");
    }

    /** The configuration spelling. */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
