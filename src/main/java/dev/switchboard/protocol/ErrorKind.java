package dev.switchboard.protocol;

/**
 * The errors the gateway itself answers, with their HTTP status and how each protocol names them.
 * Errors an upstream answered are passed back as the upstream wrote them and never pass through here.
 */
public enum ErrorKind {
    INVALID_REQUEST(400, "invalid_request_error", null, "invalid_request_error"),
    AUTHENTICATION(401, "invalid_request_error", "invalid_api_key", "authentication_error"),
    INSUFFICIENT_QUOTA(402, "insufficient_quota", "insufficient_quota", "billing_error"),
    PERMISSION(403, "invalid_request_error", "permission_denied", "permission_error"),
    MODEL_NOT_FOUND(404, "invalid_request_error", "model_not_found", "not_found_error"),
    /** A stored response that is not there (another key's, expired, deleted). */
    RESPONSE_NOT_FOUND(404, "invalid_request_error", "response_not_found", "not_found_error"),
    /** A path the gateway does not serve. */
    NOT_FOUND(404, "invalid_request_error", "unknown_url", "not_found_error"),
    METHOD_NOT_ALLOWED(405, "invalid_request_error", "method_not_allowed", "invalid_request_error"),
    /** The request's body did not arrive in time ({@code switchboard.limits.body-read-timeout}). */
    REQUEST_TIMEOUT(408, "invalid_request_error", "request_timeout", "invalid_request_error"),
    REQUEST_TOO_LARGE(413, "invalid_request_error", "request_too_large", "request_too_large"),
    RATE_LIMITED(429, "rate_limit_error", "rate_limit_exceeded", "rate_limit_error"),
    INTERNAL(500, "server_error", "internal_error", "api_error"),
    UPSTREAM_UNREACHABLE(502, "server_error", "upstream_unreachable", "api_error"),
    NO_UPSTREAM(503, "server_error", "no_upstream_available", "api_error"),
    /** The gateway itself is at a limit (memory for request bodies): try again shortly. */
    OVERLOADED(503, "server_error", "gateway_overloaded", "overloaded_error"),
    UPSTREAM_TIMEOUT(504, "timeout", "upstream_timeout", "timeout_error");

    private final int status;
    private final String openAiType;
    private final String openAiCode;
    private final String anthropicType;

    ErrorKind(int status, String openAiType, String openAiCode, String anthropicType) {
        this.status = status;
        this.openAiType = openAiType;
        this.openAiCode = openAiCode;
        this.anthropicType = anthropicType;
    }

    public int status() {
        return status;
    }

    public String openAiType() {
        return openAiType;
    }

    /** null where OpenAI sends {@code "code": null} */
    public String openAiCode() {
        return openAiCode;
    }

    public String anthropicType() {
        return anthropicType;
    }
}
