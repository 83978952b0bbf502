package dev.switchboard.api;

import dev.switchboard.config.Protocol;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.RequestScan;
import tools.jackson.core.JsonToken;

/** The proxied endpoints: the protocol each speaks and where it lives under an upstream's base URL. */
public enum ApiEndpoint {
    CHAT_COMPLETIONS(Protocol.OPENAI, "/v1/chat/completions", "/chat/completions"),
    MESSAGES(Protocol.ANTHROPIC, "/v1/messages", "/v1/messages"),
    COUNT_TOKENS(Protocol.ANTHROPIC, "/v1/messages/count_tokens", "/v1/messages/count_tokens");

    private final Protocol protocol;
    private final String path;
    private final String upstreamPath;

    ApiEndpoint(Protocol protocol, String path, String upstreamPath) {
        this.protocol = protocol;
        this.path = path;
        this.upstreamPath = upstreamPath;
    }

    /** Where clients reach it on the gateway (POST). */
    public String path() {
        return path;
    }

    /** Whether a request target (path and query, as sent) names this endpoint: its path exactly, any query. */
    boolean servedAt(String uri) {
        return uri.startsWith(path) && (uri.length() == path.length() || uri.charAt(path.length()) == '?');
    }

    public Protocol protocol() {
        return protocol;
    }

    /**
     * Appended to an upstream's base-url (the URL its protocol's official SDK would be given): this
     * endpoint's own path, or the other protocol's chat endpoint when the request is translated.
     */
    public String upstreamPath(Protocol upstream) {
        if (this == COUNT_TOKENS || upstream == protocol) return upstreamPath;
        return upstream == Protocol.OPENAI ? CHAT_COMPLETIONS.upstreamPath : MESSAGES.upstreamPath;
    }

    /** @return the alias; throws 400 for what this endpoint requires and the body lacks */
    String validate(RequestScan scan) {
        RequestScan.Field model = scan.field("model");
        if (model == null) throw invalid("The request body needs a \"model\" field naming a model alias", "model");
        if (scan.model() == null || scan.model().isBlank()) throw invalid("\"model\" must be a non-empty string", "model");
        if (this == MESSAGES) {
            RequestScan.Field maxTokens = scan.field("max_tokens");
            if (maxTokens == null) throw invalid("max_tokens: Field required", "max_tokens");
            if (maxTokens.valueToken() != JsonToken.VALUE_NUMBER_INT) throw invalid("max_tokens: must be an integer", "max_tokens");
        }
        return scan.model();
    }

    private static GatewayException invalid(String message, String param) {
        return new GatewayException(ErrorKind.INVALID_REQUEST, message, param, null);
    }
}
