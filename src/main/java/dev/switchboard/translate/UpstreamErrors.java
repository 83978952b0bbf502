package dev.switchboard.translate;

import java.nio.charset.StandardCharsets;

import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.Json;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/** An upstream's 4xx, written in its protocol's (or its own) envelope, as the gateway's error in the client's. */
final class UpstreamErrors {
    private UpstreamErrors() {}

    /** The status kept where the client's protocol has a name for it, the upstream's message kept. */
    static GatewayException clientError(String upstream, int status, byte[] body) {
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

    /** A whole answer the upstream sent, as a tree. */
    static JsonNode parse(byte[] body, JsonNode parsed) {
        if (parsed != null) return parsed;
        try {
            return Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            throw new GatewayException(ErrorKind.UPSTREAM_UNREACHABLE, "The upstream's answer is not valid JSON");
        }
    }
}
