package io.github.yoloslim.onnx;

import ai.onnx.proto.OnnxMl.TensorShapeProto;

import java.util.List;
import java.util.stream.Collectors;

/** A declared tensor shape whose dimensions are fixed sizes or symbolic (dynamic) names. */
public record TensorShape(List<Dim> dims) {

    /** One dimension: a fixed {@code size} ≥ 0, or dynamic with its symbolic name (possibly empty). */
    public record Dim(long size, String symbol) {
        /** Whether the size is known. */
        public boolean isFixed() {
            return size >= 0;
        }

        @Override
        public String toString() {
            return isFixed() ? Long.toString(size) : symbol.isEmpty() ? "?" : symbol;
        }
    }

    public TensorShape {
        dims = List.copyOf(dims);
    }

    static TensorShape of(TensorShapeProto proto) {
        return new TensorShape(proto.getDimList().stream()
                .map(d -> d.hasDimValue() ? new Dim(d.getDimValue(), "") : new Dim(-1, d.getDimParam()))
                .toList());
    }

    /** A fully fixed shape. */
    public static TensorShape fixed(long... sizes) {
        return new TensorShape(java.util.Arrays.stream(sizes).mapToObj(s -> new Dim(s, "")).toList());
    }

    /** The number of dimensions. */
    public int rank() {
        return dims.size();
    }

    /** The size of dimension {@code i}, or -1 when it is dynamic. */
    public long size(int i) {
        return dims.get(i).size();
    }

    @Override
    public String toString() {
        return dims.stream().map(Dim::toString).collect(Collectors.joining(", ", "[", "]"));
    }
}
