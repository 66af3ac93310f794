package io.github.yoloslim;

/**
 * The user's model, data or configuration is wrong, as opposed to an infrastructure failure (I/O, native
 * libraries). The message names the parameter or file, the bad value and the fix; the Maven adapter turns it
 * into a build failure rather than an error.
 */
public class InvalidInputException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public InvalidInputException(String message) {
        super(message);
    }

    public InvalidInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
