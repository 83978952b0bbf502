package dev.switchboard.translate;

import java.nio.charset.StandardCharsets;

import dev.switchboard.config.Protocol;
import dev.switchboard.config.Target;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.RequestScan;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * Where the request path meets translation: only when the target speaks the other protocol than the
 * client; same-protocol traffic never comes here and keeps its byte-exact passthrough.
 */
public final class Translation {
    private Translation() {}

    public static boolean needed(Protocol client, Target target) {
        return target.upstream().protocol() != client;
    }

    /** The client's request in the target's protocol, naming the target's model. */
    public static byte[] request(Protocol client, RequestScan scan, Target target) {
        JsonNode in;
        try {
            in = Json.MAPPER.readTree(scan.body());
        } catch (JacksonException e) {
            throw new GatewayException(ErrorKind.INVALID_REQUEST, "The request body is not valid JSON");
        }
        JsonNode out = client == Protocol.ANTHROPIC
                ? RequestTranslator.toOpenAi(in, target.model())
                : RequestTranslator.toAnthropic(in, target.model());
        return Json.MAPPER.writeValueAsBytes(out);
    }

    /** A whole answer as a tree, parsed here unless the classifier parsed it already. */
    public static JsonNode parse(byte[] body, JsonNode parsed) {
        if (parsed != null) return parsed;
        try {
            return Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw new GatewayException(ErrorKind.UPSTREAM_UNREACHABLE, "The upstream's answer is not valid JSON");
        }
    }

    /** A whole answer of the upstream's protocol, parsed, in the client's. */
    public static byte[] response(Protocol client, JsonNode in) {
        JsonNode out = client == Protocol.ANTHROPIC
                ? ResponseTranslator.toAnthropic(in)
                : ResponseTranslator.toOpenAi(in, System.currentTimeMillis() / 1000);
        return Json.MAPPER.writeValueAsBytes(out);
    }

    /** @param includeUsage an OpenAI client asked for the usage chunk */
    public static StreamTranslator stream(Protocol client, boolean includeUsage) {
        return client == Protocol.ANTHROPIC
                ? new AnthropicStreamFromOpenAi()
                : new OpenAiStreamFromAnthropic(includeUsage, System.currentTimeMillis() / 1000);
    }

    /**
     * An upstream's 4xx, written in its protocol's (or its own) envelope, as the gateway's error in the
     * client's: the status kept where the client's protocol has a name for it, the upstream's message kept.
     */
    public static GatewayException clientError(String upstream, int status, byte[] body) {
        String message = null;
        try {
            JsonNode root = Json.MAPPER.readTree(body);
            message = root.path("error").path("message").asString(null);
            if (message == null) message = root.path("message").asString(null);
        } catch (JacksonException notJson) {
            // the status alone then
        }
        if (message == null || message.isBlank()) message = new String(body, 0, Math.min(body.length, 300), StandardCharsets.UTF_8).strip();
        ErrorKind kind = switch (status) {
            case 404 -> ErrorKind.MODEL_NOT_FOUND;
            case 413 -> ErrorKind.REQUEST_TOO_LARGE;
            default -> ErrorKind.INVALID_REQUEST;
        };
        return new GatewayException(kind, "Upstream '" + upstream + "' rejected the request (HTTP " + status + ")"
                + (message.isEmpty() ? "" : ": " + message));
    }
}
