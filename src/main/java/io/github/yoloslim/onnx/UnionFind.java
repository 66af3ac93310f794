package io.github.yoloslim.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Disjoint classes of graph elements (tensors sharing a scale, channel pieces tied by residual Adds), with path
 * compression. Which member represents a class is unspecified: callers name classes by a member they choose.
 *
 * @param <T> the elements; any value with {@code equals} and {@code hashCode}
 */
public final class UnionFind<T> {

    private final Map<T, T> parent = new HashMap<>();

    /** The representative of {@code element}'s class; an element never united is its own. */
    public T find(T element) {
        T root = element;
        for (T up = parent.get(root); up != null; up = parent.get(root)) {
            root = up;
        }
        for (T node = element; !node.equals(root); ) {
            node = parent.put(node, root);
        }
        return root;
    }

    /** Puts {@code a} and {@code b} in one class. */
    public void union(T a, T b) {
        T rootA = find(a);
        T rootB = find(b);
        if (!rootA.equals(rootB)) {
            parent.put(rootB, rootA);
        }
    }

    /**
     * The classes of {@code elements}, each with its members in the order given, keyed by representative; the
     * classes in the order of their first member.
     */
    public Map<T, List<T>> classes(Iterable<T> elements) {
        Map<T, List<T>> classes = new LinkedHashMap<>();
        elements.forEach(element -> classes.computeIfAbsent(find(element), k -> new ArrayList<>()).add(element));
        return classes;
    }
}
