package dev.switchboard.auth;

import org.springframework.http.HttpHeaders;
import org.springframework.stereotype.Component;

import dev.switchboard.config.ClientKey;
import dev.switchboard.config.KeyDigest;
import dev.switchboard.config.RouteTable;
import dev.switchboard.keys.KeyDirectory;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;

/**
 * Identifies the client by its gateway key: {@code Authorization: Bearer <key>} (OpenAI SDKs) or
 * {@code x-api-key: <key>} (Anthropic SDKs). Keys are compared as SHA-256 digests; a key is never logged or
 * echoed, and never forwarded upstream.
 */
@Component
public class ClientAuthenticator {
    private static final String BEARER = "Bearer ";

    private final KeyDirectory directory;

    public ClientAuthenticator(KeyDirectory directory) {
        this.directory = directory;
    }

    /** @return the key, as configured */
    public ClientKey authenticate(RouteTable table, HttpHeaders headers) {
        String bearer = bearer(headers.getFirst(HttpHeaders.AUTHORIZATION));
        String apiKey = headers.getFirst("x-api-key");
        if (bearer == null && apiKey == null) {
            throw new GatewayException(ErrorKind.AUTHENTICATION,
                    "Missing API key: send your Switchboard key as 'Authorization: Bearer <key>' or 'x-api-key: <key>'");
        }
        ClientKey found = lookup(table, bearer);
        if (found == null) found = lookup(table, apiKey);
        if (found == null) throw new GatewayException(ErrorKind.AUTHENTICATION, "Invalid API key: unknown, revoked or expired");
        return found;
    }

    /** The routes file's keys first, then the admin API's (revoked, expired and past-grace ones are not found). */
    private ClientKey lookup(RouteTable table, String key) {
        if (key == null || key.isEmpty()) return null;
        String digest = KeyDigest.sha256Hex(key);
        ClientKey configured = table.keysByDigest().get(digest);
        return configured != null ? configured : directory.find(digest);
    }

    private static String bearer(String authorization) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        return authorization.substring(BEARER.length()).strip();
    }
}
