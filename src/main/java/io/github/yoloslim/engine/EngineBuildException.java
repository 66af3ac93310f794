package io.github.yoloslim.engine;

import java.util.List;

/** TensorRT refused to build: the parser rejected the model, the GPU lacks the precision, or the build failed. */
public class EngineBuildException extends Exception {
    private static final long serialVersionUID = 1L;

    /** Why the build failed. */
    public enum Kind {
        /** The ONNX parser rejected the model; {@link #details()} holds its errors. */
        PARSER_REJECTED,
        /** The GPU does not support the requested precision (e.g. INT8 on a card without it). */
        UNSUPPORTED_PRECISION,
        /** The builder returned no engine; {@link #details()} holds TensorRT's errors. */
        BUILD_FAILED
    }

    private final Kind kind;
    private final List<String> details;

    public EngineBuildException(Kind kind, String message, List<String> details) {
        super(message);
        this.kind = kind;
        this.details = List.copyOf(details);
    }

    /** Why the build failed. */
    public Kind kind() {
        return kind;
    }

    /** TensorRT's own messages. */
    public List<String> details() {
        return details;
    }
}
