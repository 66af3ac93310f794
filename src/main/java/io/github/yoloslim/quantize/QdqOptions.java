package io.github.yoloslim.quantize;

import java.util.Collections;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * What to quantize, and how.
 *
 * @param format the Q/DQ layout
 * @param encoding how activations and weights are stored; must fit the layout ({@link Int8Encoding#parse})
 * @param excludeNodes names of nodes to keep in float, beyond the head decode; iterated in sorted order
 * @param excludeOpTypes operator types (e.g. {@code Concat}) to keep in float everywhere; iterated in sorted order
 */
public record QdqOptions(QdqFormat format, Int8Encoding encoding, Set<String> excludeNodes,
        Set<String> excludeOpTypes) {

    public QdqOptions {
        Objects.requireNonNull(format, "format");
        Objects.requireNonNull(encoding, "encoding");
        if ((format == QdqFormat.TENSORRT) != (encoding == Int8Encoding.S8S8)) {
            throw new IllegalArgumentException(encoding.id() + " does not fit the " + format + " layout");
        }
        // Sorted, so that the options print, hash and iterate alike in every JVM.
        excludeNodes = Collections.unmodifiableSortedSet(new TreeSet<>(excludeNodes));
        excludeOpTypes = Collections.unmodifiableSortedSet(new TreeSet<>(excludeOpTypes));
    }

    /** {@code format} with its default encoding. */
    public QdqOptions(QdqFormat format, Set<String> excludeNodes, Set<String> excludeOpTypes) {
        this(format, Int8Encoding.defaultFor(format), excludeNodes, excludeOpTypes);
    }

    /** The default placement in {@code format}: its default encoding, nothing excluded beyond the head decode. */
    public static QdqOptions of(QdqFormat format) {
        return new QdqOptions(format, Set.of(), Set.of());
    }

    /** The default placement in {@code format} with {@code encoding}. */
    public static QdqOptions of(QdqFormat format, Int8Encoding encoding) {
        return new QdqOptions(format, encoding, Set.of(), Set.of());
    }
}
