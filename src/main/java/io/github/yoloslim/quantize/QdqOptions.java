package io.github.yoloslim.quantize;

import java.util.Objects;
import java.util.Set;

/**
 * What to quantize.
 *
 * @param format the Q/DQ layout
 * @param excludeNodes names of nodes to keep in float, beyond the head decode
 * @param excludeOpTypes operator types (e.g. {@code Concat}) to keep in float everywhere
 */
public record QdqOptions(QdqFormat format, Set<String> excludeNodes, Set<String> excludeOpTypes) {

    public QdqOptions {
        Objects.requireNonNull(format, "format");
        excludeNodes = Set.copyOf(excludeNodes);
        excludeOpTypes = Set.copyOf(excludeOpTypes);
    }

    /** The default placement in {@code format}: nothing excluded beyond the head decode. */
    public static QdqOptions of(QdqFormat format) {
        return new QdqOptions(format, Set.of(), Set.of());
    }
}
