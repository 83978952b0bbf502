package dev.switchboard.upstream;

import java.time.Duration;

import org.springframework.http.client.reactive.ClientHttpResponse;

import dev.switchboard.protocol.GatewayException;
import tools.jackson.databind.JsonNode;

/** How one attempt at one target ended, as far as routing and health care. */
public sealed interface AttemptOutcome {
    /**
     * A 2xx to pass to the client. {@code body} holds a non-streaming body already read (so a break while
     * reading it could still fail over); null for a stream, which is then read from {@code response}.
     * {@code json} is the body parsed, when classifying it needed a parse (so the usage reader need not
     * parse again), else null.
     */
    record Delivered(ClientHttpResponse response, byte[] body, JsonNode json) implements AttemptOutcome {
        public boolean streaming() {
            return body == null;
        }
    }

    /** The client's request is at fault (400, 404, 413, 422...): passed back as the upstream wrote it, no retry. */
    record ClientError(ClientHttpResponse response) implements AttemptOutcome {}

    /** The upstream rejected the request inside a 2xx body; the client gets this error, no retry. */
    record Rejected(GatewayException error) implements AttemptOutcome {}

    /** Network error, timeout, 5xx, 529: count a failure, try the next target. */
    record Failed(String reason, boolean timeout) implements AttemptOutcome {}

    /** 429: cool the target down for {@code retryAfter}, try the next one. */
    record RateLimited(String reason, Duration retryAfter) implements AttemptOutcome {}

    /** 401/402/403: the target's key or balance is broken; long cooldown, try the next one. */
    record CredentialsRefused(String reason) implements AttemptOutcome {}
}
