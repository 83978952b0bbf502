package dev.switchboard.protocol;

/**
 * An error the gateway answers itself, rendered in the client's protocol envelope.
 *
 * @see ErrorEnvelope
 */
public class GatewayException extends RuntimeException {
    private final ErrorKind kind;
    private final String param;

    public GatewayException(ErrorKind kind, String message) {
        this(kind, message, null, null);
    }

    public GatewayException(ErrorKind kind, String message, String param, Throwable cause) {
        super(message, cause, false, false);
        this.kind = kind;
        this.param = param;
    }

    public ErrorKind kind() {
        return kind;
    }

    /** The request field at fault (OpenAI's {@code param}), or null. */
    public String param() {
        return param;
    }
}
