package dev.squeeze;

/**
 * A problem with the user's input or environment that squeeze can explain in one line:
 * the message names the file or field and says how to fix it. The CLI prints the message
 * alone (no stack trace) and exits with {@link #exitCode()}.
 */
public class SqueezeException extends RuntimeException {
    /** Exit code for bad input (usage, files, values). */
    public static final int BAD_INPUT = 2;

    private final int exitCode;

    public SqueezeException(String message) {
        this(message, null);
    }

    public SqueezeException(String message, Throwable cause) {
        super(message, cause);
        this.exitCode = BAD_INPUT;
    }

    public int exitCode() {
        return exitCode;
    }
}
