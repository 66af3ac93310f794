package io.github.yoloslim.data;

import java.io.IOException;
import java.nio.file.Path;

/**
 * An image file could not be decoded: missing, truncated beyond repair, corrupt or in an unsupported format. The
 * message names the file and the reason; the caller decides whether to skip the image or fail.
 */
public class UnreadableImageException extends IOException {
    private static final long serialVersionUID = 1L;

    private final transient Path file;
    private final String reason;

    public UnreadableImageException(Path file, String reason, Throwable cause) {
        super("cannot read image " + file + ": " + reason, cause);
        this.file = file;
        this.reason = reason;
    }

    public UnreadableImageException(Path file, String reason) {
        this(file, reason, null);
    }

    /** The image file. */
    public Path file() {
        return file;
    }

    /** Why it could not be read, without the file name. */
    public String reason() {
        return reason;
    }
}
