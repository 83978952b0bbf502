package dev.switchboard.protocol;

import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/**
 * An error hidden in a 2xx body. MiniMax answers errors as {@code base_resp.status_code != 0} under HTTP 200,
 * and its OpenAI-style endpoint has answered in the Anthropic envelope ({@code {"type":"error",...}}).
 */
public record EmbeddedError(Kind kind, String message) {
    public enum Kind { RATE_LIMITED, CREDENTIALS, CLIENT, SERVER }

    private static final byte[] BASE_RESP = "\"base_resp\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private static final byte[] TYPE_ERROR = "\"error\"".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Whether the body may hide an error and is worth parsing for one (most bodies carry neither marker). */
    public static boolean possible(byte[] body) {
        return indexOf(body, BASE_RESP) >= 0 || indexOf(body, TYPE_ERROR) >= 0;
    }

    /** The error in a successful-looking JSON body, or null when it is a real success. */
    public static EmbeddedError find(byte[] body) {
        if (!possible(body)) return null;
        try {
            return find(Json.MAPPER.readTree(body));
        } catch (JacksonException e) {
            return null;
        }
    }

    /** The error in an already parsed body, or null. */
    public static EmbeddedError find(JsonNode root) {
        JsonNode baseResp = root.path("base_resp");
        int code = baseResp.path("status_code").asInt(0);
        if (code != 0) {
            String message = "MiniMax status " + code + ": " + baseResp.path("status_msg").asString("");
            return new EmbeddedError(switch (code) {
                case 1002 -> Kind.RATE_LIMITED;
                case 1004, 2049, 1008 -> Kind.CREDENTIALS;
                case 1039, 2013 -> Kind.CLIENT;
                default -> Kind.SERVER;
            }, message);
        }
        if ("error".equals(root.path("type").asString(null)) && root.path("error").isObject()) {
            String type = root.path("error").path("type").asString("");
            String message = type + ": " + root.path("error").path("message").asString("");
            return new EmbeddedError(switch (type) {
                case "rate_limit_error" -> Kind.RATE_LIMITED;
                case "authentication_error", "authorized_error", "permission_error", "billing_error" -> Kind.CREDENTIALS;
                case "invalid_request_error", "not_found_error", "request_too_large" -> Kind.CLIENT;
                default -> Kind.SERVER;
            }, message);
        }
        return null;
    }

    static int indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) continue outer;
            }
            return i;
        }
        return -1;
    }
}
