package io.github.yoloslim.data;

import io.github.yoloslim.Choices;

/** What to do with an image that cannot be decoded. */
public enum UnreadableImagePolicy {
    /** Warn, count it in the report, and go on without it (for every model alike). */
    SKIP,
    /** Fail, naming the image. */
    FAIL;

    /** Parses a configuration value ({@code skip} or {@code fail}). */
    public static UnreadableImagePolicy parse(String value, String element) {
        return Choices.parse(UnreadableImagePolicy.class, value, element,
                "skip (warn and go on without the image) or fail");
    }
}
