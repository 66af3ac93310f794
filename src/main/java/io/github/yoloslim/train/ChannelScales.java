package io.github.yoloslim.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The trainable factors of a {@link ChannelScaling} on one graph, and the scaled Conv weights and biases they give.
 * A Conv may hold channels of several groups (a C2f {@code cv1} output, one group per Split half); its factor
 * vector is the groups' scales side by side, 1 where no group covers a channel.
 */
final class ChannelScales {

    /** A slice of one Conv's output channels and the group scale that multiplies it. */
    private record Piece(int offset, NDArray scale) {
    }

    /** A scaled initializer: its unscaled value, its output-channel count, and its pieces by offset. */
    private record Scaled(NDArray base, long channels, List<Piece> pieces) {
    }

    private final Map<String, NDArray> factors = new LinkedHashMap<>();
    private final Map<String, Scaled> scaled = new LinkedHashMap<>();

    /**
     * @param values an initializer's current value (a trainable parameter or a constant) by name
     * @param manager owns the factors
     */
    ChannelScales(ChannelScaling scaling, Function<String, NDArray> values, NDManager manager) {
        Map<String, List<Piece>> pieces = new LinkedHashMap<>();
        for (ChannelScaling.Group group : scaling.groups()) {
            float[] initial = scaling.initialScales().get(group.name());
            NDArray factor = initial == null ? manager.ones(new Shape(group.size())) : manager.create(initial);
            factor.setRequiresGradient(true);
            factors.put(group.name(), factor);
            for (ChannelScaling.Member member : group.members()) {
                for (String name : member.bias() == null ? List.of(member.weight())
                        : List.of(member.weight(), member.bias())) {
                    pieces.computeIfAbsent(name, n -> new ArrayList<>()).add(new Piece(member.offset(), factor));
                }
            }
        }
        pieces.forEach((name, list) -> {
            NDArray base = values.apply(name);
            if (base == null) {
                throw new IllegalArgumentException("no initializer called '" + name + "' to scale");
            }
            list.sort(Comparator.comparingInt(Piece::offset));
            scaled.put(name, new Scaled(base, base.getShape().get(0), Collections.unmodifiableList(list)));
        });
    }

    /** The factors by group name. */
    Map<String, NDArray> factors() {
        return Collections.unmodifiableMap(factors);
    }

    /** Every scaled initializer's value with its factors applied, created under {@code run}. */
    Map<String, NDArray> scaledInitializers(NDManager run) {
        Map<String, NDArray> result = new LinkedHashMap<>();
        scaled.forEach((name, entry) -> {
            NDList parts = new NDList();
            long next = 0;
            for (Piece piece : entry.pieces()) {
                if (piece.offset() > next) {
                    parts.add(run.ones(new Shape(piece.offset() - next)));
                }
                parts.add(piece.scale());
                next = piece.offset() + piece.scale().getShape().get(0);
            }
            if (next < entry.channels()) {
                parts.add(run.ones(new Shape(entry.channels() - next)));
            }
            long[] shape = new long[entry.base().getShape().dimension()];
            Arrays.fill(shape, 1);
            shape[0] = entry.channels();
            // Every array an operation makes belongs to its first operand's manager (the graph's): attach each
            // to the run, so that the run frees them.
            NDArray joined = parts.size() == 1 ? parts.get(0) : owned(NDArrays.concat(parts, 0), run);
            NDArray factor = owned(joined.reshape(new Shape(shape)), run);
            NDArray value = owned(entry.base().mul(factor), run);
            result.put(name, value);
        });
        return result;
    }

    /** Sets every scale whose magnitude is below {@code threshold} to exactly zero, in place. */
    void zeroBelow(float threshold) {
        for (NDArray factor : factors.values()) {
            try (NDArray magnitude = factor.abs(); NDArray kept = magnitude.gte(threshold);
                    NDArray mask = kept.toType(factor.getDataType(), false)) {
                factor.muli(mask);
            }
        }
    }

    /** Sets every scale to exactly one, in place: the channels get their weights back unscaled. */
    void reset() {
        for (NDArray factor : factors.values()) {
            factor.muli(0).addi(1);
        }
    }

    private static NDArray owned(NDArray array, NDManager owner) {
        array.attach(owner);
        return array;
    }
}
