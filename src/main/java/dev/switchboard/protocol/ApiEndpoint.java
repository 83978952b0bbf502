package dev.switchboard.protocol;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

import dev.switchboard.config.Protocol;
import tools.jackson.core.JsonToken;

/**
 * The proxied endpoints: the protocol each speaks and where it lives under an upstream's base URL. Named in
 * lower case in usage records and logs ({@code chat_completions}).
 */
public enum ApiEndpoint {
    CHAT_COMPLETIONS(Protocol.OPENAI, "/v1/chat/completions", "/chat/completions"),
    MESSAGES(Protocol.ANTHROPIC, "/v1/messages", "/v1/messages"),
    COUNT_TOKENS(Protocol.ANTHROPIC, "/v1/messages/count_tokens", "/v1/messages/count_tokens"),
    EMBEDDINGS(Protocol.OPENAI, "/v1/embeddings", "/embeddings"),
    RESPONSES(Protocol.OPENAI_RESPONSES, "/v1/responses", "/responses");

    private final Protocol protocol;
    private final String path;
    private final String upstreamPath;
    /** Lower-cased once: records and metrics name it on every request. */
    private final String wireName = name().toLowerCase(Locale.ROOT);

    ApiEndpoint(Protocol protocol, String path, String upstreamPath) {
        this.protocol = protocol;
        this.path = path;
        this.upstreamPath = upstreamPath;
    }

    /** The endpoint's name in records: lower case. */
    @JsonValue
    public String wireName() {
        return wireName;
    }

    /** From a record, in either case (records written before names were lower case say CHAT_COMPLETIONS). */
    @JsonCreator
    public static ApiEndpoint of(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }

    /** Where clients reach it on the gateway (POST). */
    public String path() {
        return path;
    }

    /**
     * Whether a request target, as sent, names this endpoint: its path exactly, any query. The target may be
     * in absolute form ({@code http://host:8080/v1/messages}), which an HTTP/1.1 server must accept (RFC 9112,
     * 3.2.2) and Spring WebFlux does for the gateway's other paths.
     */
    public boolean servedAt(String target) {
        int at = pathStart(target);
        return at >= 0 && target.startsWith(path, at)
                && (target.length() == at + path.length() || target.charAt(at + path.length()) == '?');
    }

    /** Where the path begins: 0 in origin form, after the authority in absolute form, -1 if there is no path. */
    private static int pathStart(String target) {
        if (target.startsWith("/")) return 0;
        int scheme = target.indexOf("://");
        return scheme < 0 ? -1 : target.indexOf('/', scheme + 3);
    }

    public Protocol protocol() {
        return protocol;
    }

    /**
     * Whether an upstream of another protocol may serve it, through a translator: not counting tokens or
     * embeddings, which other protocols have no counterpart of.
     */
    public boolean translatable() {
        return this == CHAT_COMPLETIONS || this == MESSAGES || this == RESPONSES;
    }

    /** Whether providers bill its requests: counting tokens is free (Anthropic's count_tokens). */
    public boolean billed() {
        return this != COUNT_TOKENS;
    }

    /**
     * Appended to an upstream's base-url (the URL its protocol's official SDK would be given): this
     * endpoint's own path, or the upstream protocol's generation endpoint when the request is translated.
     */
    public String upstreamPath(Protocol upstream) {
        return upstream == protocol ? upstreamPath : upstream.generationPath();
    }

    /** @return the alias; throws 400 for what this endpoint requires and the body lacks */
    public String validate(RequestScan scan) {
        RequestScan.Field model = scan.field("model");
        if (model == null) throw invalid("The request body needs a \"model\" field naming a model alias", "model");
        if (scan.model() == null || scan.model().isBlank()) throw invalid("\"model\" must be a non-empty string", "model");
        if (this == MESSAGES) {
            RequestScan.Field maxTokens = scan.field("max_tokens");
            if (maxTokens == null) throw invalid("max_tokens: Field required", "max_tokens");
            if (maxTokens.valueToken() != JsonToken.VALUE_NUMBER_INT) throw invalid("max_tokens: must be an integer", "max_tokens");
        }
        if (this == EMBEDDINGS) embeddingsInput(scan);
        if (this == RESPONSES) dev.switchboard.protocol.responses.ResponsesInput.check(scan.valueTree("input"));
        return scan.model();
    }

    /** OpenAI's: a string, or an array of strings, of token ids or of arrays of token ids; never empty. */
    private static void embeddingsInput(RequestScan scan) {
        tools.jackson.databind.JsonNode input = scan.valueTree("input");
        String expected = "\"input\" must be a string, or an array of strings or of token ids";
        if (input == null) throw invalid("input: Field required", "input");
        if (input.isString()) {
            if (input.asString().isEmpty()) throw invalid("\"input\" must not be empty", "input");
            return;
        }
        if (!input.isArray() || input.isEmpty()) throw invalid(expected, "input");
        boolean strings = true, tokens = true, tokenArrays = true;
        for (tools.jackson.databind.JsonNode item : input) {
            strings &= item.isString();
            tokens &= item.isIntegralNumber();
            boolean ids = item.isArray() && !item.isEmpty();
            if (ids) for (tools.jackson.databind.JsonNode id : item) ids &= id.isIntegralNumber();
            tokenArrays &= ids;
        }
        if (!strings && !tokens && !tokenArrays) throw invalid(expected, "input");
    }

    private static GatewayException invalid(String message, String param) {
        return new GatewayException(ErrorKind.INVALID_REQUEST, message, param, null);
    }
}
