package dev.switchboard.limits;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.stereotype.Component;

import dev.switchboard.config.ClientKey;
import dev.switchboard.config.KeyLimits;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;

/**
 * Each key's rate limits, held in this replica's memory: requests a minute and tokens a minute as Bucket4j
 * token buckets that refill smoothly over the minute, and the requests in flight as a count. A request is
 * admitted only if every limit of its key has room; the tokens it takes at admission are an estimate (its
 * prompt's bytes over four, plus the answer it allows) that {@link Admission#settle} corrects once its usage
 * is known. A key with no limit costs nothing here. Each replica limits alone.
 */
@Component
public class KeyRateLimits {
    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final ConcurrentHashMap<String, Limited> keys = new ConcurrentHashMap<>();
    private final TimeMeter clock;

    public KeyRateLimits() {
        this(TimeMeter.SYSTEM_NANOTIME);
    }

    /** @param clock the buckets' time: a test's own, to move the minute on without waiting */
    KeyRateLimits(TimeMeter clock) {
        this.clock = clock;
    }

    /**
     * Admits one request of {@code key} that may take about {@code estimatedTokens}, or refuses it.
     *
     * @throws RateLimitedException when a limit has no room: 429 in the client's envelope, with when to retry
     */
    public Admission admit(ClientKey key, long estimatedTokens) {
        KeyLimits limits = key.limits();
        if (!limits.any()) return Admission.NONE;
        // a reload that changes the key's limits starts it afresh
        Limited limited = keys.compute(key.name(), (name, held) -> held != null && held.limits.equals(limits) ? held : new Limited(limits, clock));
        return limited.admit(key.name(), estimatedTokens);
    }

    /** One key's buckets and requests in flight. */
    static final class Limited {
        final KeyLimits limits;
        final Bucket requests;
        final Bucket tokens;
        final AtomicInteger inFlight = new AtomicInteger();

        Limited(KeyLimits limits, TimeMeter clock) {
            this.limits = limits;
            this.requests = limits.requestsPerMinute() > 0 ? bucket(limits.requestsPerMinute(), clock) : null;
            this.tokens = limits.tokensPerMinute() > 0 ? bucket(limits.tokensPerMinute(), clock) : null;
        }

        private static Bucket bucket(long perMinute, TimeMeter clock) {
            return Bucket.builder().addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, MINUTE).build())
                    .withCustomTimePrecision(clock).build();
        }

        Admission admit(String name, long estimatedTokens) {
            if (tokens != null && estimatedTokens > limits.tokensPerMinute()) {
                throw new RateLimitedException("This request may take about " + estimatedTokens + " tokens, more than key '" + name
                        + "' may use in a minute (" + limits.tokensPerMinute() + "): ask for fewer (max_tokens) or a higher limit",
                        null, RateLimitHeaders.of(this));
            }
            if (limits.concurrent() > 0 && inFlight.incrementAndGet() > limits.concurrent()) {
                inFlight.decrementAndGet();
                throw new RateLimitedException("Key '" + name + "' has " + limits.concurrent() + " requests in flight, its limit",
                        Duration.ofSeconds(1), RateLimitHeaders.of(this));
            }
            try {
                if (requests != null) {
                    ConsumptionProbe probe = requests.tryConsumeAndReturnRemaining(1);
                    if (!probe.isConsumed()) {
                        throw new RateLimitedException("Key '" + name + "' has used its " + limits.requestsPerMinute()
                                + " requests a minute", Duration.ofNanos(probe.getNanosToWaitForRefill()), RateLimitHeaders.of(this));
                    }
                }
                if (tokens != null && estimatedTokens > 0) {
                    ConsumptionProbe probe = tokens.tryConsumeAndReturnRemaining(estimatedTokens);
                    if (!probe.isConsumed()) {
                        if (requests != null) requests.addTokens(1); // refused: the request took nothing
                        throw new RateLimitedException("Key '" + name + "' has used its " + limits.tokensPerMinute()
                                + " tokens a minute", Duration.ofNanos(probe.getNanosToWaitForRefill()), RateLimitHeaders.of(this));
                    }
                }
            } catch (RuntimeException e) {
                if (limits.concurrent() > 0) inFlight.decrementAndGet();
                throw e;
            }
            return new Admission(this, estimatedTokens);
        }
    }

    /** One admitted request: its place in flight, and the tokens it took on account. */
    public static final class Admission {
        /** A key without limits: nothing to settle, no headers. */
        public static final Admission NONE = new Admission(null, 0);

        private final Limited limited;
        private final long estimatedTokens;
        private final AtomicInteger released = new AtomicInteger();
        private final RateLimitHeaders headers;

        Admission(Limited limited, long estimatedTokens) {
            this.limited = limited;
            this.estimatedTokens = estimatedTokens;
            this.headers = limited == null ? null : RateLimitHeaders.of(limited);
        }

        /** The {@code x-ratelimit-*} headers as this request left the limits, or null for a key without limits. */
        public RateLimitHeaders headers() {
            return headers;
        }

        /** The request's place in flight is free again; once, however often it is called. */
        public void release() {
            if (limited == null || released.getAndIncrement() > 0) return;
            if (limited.limits.concurrent() > 0) limited.inFlight.decrementAndGet();
        }

        /**
         * The request used {@code actualTokens}: the estimate it took is corrected, in either direction. More than
         * estimated goes on the key's account even past its limit (the next requests wait for it to refill).
         */
        public void settle(long actualTokens) {
            if (limited == null || limited.tokens == null) return;
            long difference = actualTokens - estimatedTokens;
            if (difference > 0) limited.tokens.consumeIgnoringRateLimits(difference);
            else if (difference < 0) limited.tokens.addTokens(-difference);
        }
    }
}
