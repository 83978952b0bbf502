package dev.switchboard.upstream;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ClientHttpResponse;

import dev.switchboard.config.Upstream;
import dev.switchboard.protocol.BodyBytes;
import dev.switchboard.protocol.EmbeddedError;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.Json;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import reactor.core.publisher.Mono;

/**
 * Sorts an upstream's response into an {@link AttemptOutcome}, following what other gateways learned:
 * 5xx and 529 are the target's failure, 429 a cooldown, 401/402/403 a broken key, other 4xx the client's
 * fault. Non-streaming 2xx bodies are read whole first, so a MiniMax error under HTTP 200 is caught and a
 * break while reading can still fail over.
 */
public final class ResponseClassifier {
    /** A chat completion is never near this; a body that is, is not one. */
    private static final int MAX_BUFFERED_BODY = 32 * 1024 * 1024;
    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final int REASON_LENGTH = 300;

    private ResponseClassifier() {}

    /**
     * Whether a Content-Type names an event stream, parameters aside. Read off the header's text: Spring's
     * MediaType parse goes through a cache behind a lock, once for every answer.
     */
    static boolean isEventStream(String contentType) {
        if (contentType == null) return false;
        String type = MediaType.TEXT_EVENT_STREAM_VALUE;
        int at = 0;
        while (at < contentType.length() && Character.isWhitespace(contentType.charAt(at))) at++;
        if (!contentType.regionMatches(true, at, type, 0, type.length())) return false;
        for (int i = at + type.length(); i < contentType.length(); i++) {
            char c = contentType.charAt(i);
            if (c == ';') return true;
            if (!Character.isWhitespace(c)) return false;
        }
        return true;
    }

    public static Mono<AttemptOutcome> classify(ClientHttpResponse response, Upstream upstream, Duration defaultRetryAfter) {
        int status = response.getStatusCode().value();
        if (status >= 200 && status < 300) {
            if (isEventStream(response.getHeaders().getFirst(HttpHeaders.CONTENT_TYPE))) {
                return Mono.just(new AttemptOutcome.Delivered(response, null, null));
            }
            return read(response, MAX_BUFFERED_BODY).map(body -> {
                JsonNode json = EmbeddedError.possible(body) ? parse(body) : null;
                EmbeddedError embedded = json == null ? null : EmbeddedError.find(json);
                return embedded == null ? new AttemptOutcome.Delivered(response, body, json) : embedded(embedded, upstream, defaultRetryAfter);
            });
        }
        return switch (status) {
            case 400, 404, 409, 413, 415, 422 -> Mono.just(new AttemptOutcome.ClientError(response));
            case 429 -> reason(response, upstream).map(r ->
                    new AttemptOutcome.RateLimited(r, retryAfter(response.getHeaders(), defaultRetryAfter)));
            case 401, 402, 403 -> reason(response, upstream).map(AttemptOutcome.CredentialsRefused::new);
            default -> reason(response, upstream).map(r -> new AttemptOutcome.Failed(r, status == 408 || status == 504));
        };
    }

    private static AttemptOutcome embedded(EmbeddedError error, Upstream upstream, Duration defaultRetryAfter) {
        String message = upstream.secrets().redact(error.message());
        return switch (error.kind()) {
            case RATE_LIMITED -> new AttemptOutcome.RateLimited(message, defaultRetryAfter);
            case CREDENTIALS -> new AttemptOutcome.CredentialsRefused(message);
            case SERVER -> new AttemptOutcome.Failed(message, false);
            case CLIENT -> new AttemptOutcome.Rejected(new GatewayException(ErrorKind.INVALID_REQUEST,
                    "Upstream '" + upstream.name() + "' rejected the request: " + message));
        };
    }

    private static JsonNode parse(byte[] body) {
        try {
            return Json.MAPPER.readTree(body);
        } catch (JacksonException e) {
            return null;
        }
    }

    /**
     * The status and the start of the error body, for the admin view, the log and the client's error when no
     * target answers; the upstream's secrets redacted from it. The body is drained so the connection is reused.
     */
    private static Mono<String> reason(ClientHttpResponse response, Upstream upstream) {
        String status = "HTTP " + response.getStatusCode().value();
        return read(response, MAX_ERROR_BODY)
                .map(body -> {
                    byte[] redacted = upstream.secrets().redact(body);
                    String text = new String(redacted, 0, Math.min(redacted.length, REASON_LENGTH), StandardCharsets.UTF_8).strip();
                    return text.isEmpty() ? status : status + ": " + text;
                })
                .onErrorReturn(status);
    }

    private static Mono<byte[]> read(ClientHttpResponse response, int limit) {
        return BodyBytes.read(response.getBody(), limit).defaultIfEmpty(new byte[0]);
    }

    /** {@code Retry-After} in seconds or as an HTTP date; the default when absent or unreadable. */
    static Duration retryAfter(HttpHeaders headers, Duration fallback) {
        String value = headers.getFirst(HttpHeaders.RETRY_AFTER);
        if (value == null || value.isBlank()) return fallback;
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.strip())));
        } catch (NumberFormatException notSeconds) {
            try {
                Duration until = Duration.between(Instant.now(), ZonedDateTime.parse(value.strip(), DateTimeFormatter.RFC_1123_DATE_TIME));
                return until.isNegative() ? Duration.ZERO : until;
            } catch (RuntimeException notDate) {
                return fallback;
            }
        }
    }
}
