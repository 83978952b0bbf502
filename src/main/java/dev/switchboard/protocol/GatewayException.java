package dev.switchboard.protocol;

/**
 * An error the gateway answers itself, rendered in the client's protocol envelope.
 *
 * @see ErrorEnvelope
 */
public class GatewayException extends RuntimeException {
    private final ErrorKind kind;
    private final String param;
    private final java.time.Duration retryAfter;

    public GatewayException(ErrorKind kind, String message) {
        this(kind, message, null, null);
    }

    public GatewayException(ErrorKind kind, String message, String param, Throwable cause) {
        this(kind, message, param, cause, null);
    }

    /** @param retryAfter sent as {@code Retry-After} when not null */
    public GatewayException(ErrorKind kind, String message, String param, Throwable cause, java.time.Duration retryAfter) {
        super(message, cause, false, false);
        this.kind = kind;
        this.param = param;
        this.retryAfter = retryAfter;
    }

    public ErrorKind kind() {
        return kind;
    }

    /** When the client may try again, or null. */
    public java.time.Duration retryAfter() {
        return retryAfter;
    }

    /** The request field at fault (OpenAI's {@code param}), or null. */
    public String param() {
        return param;
    }
}
