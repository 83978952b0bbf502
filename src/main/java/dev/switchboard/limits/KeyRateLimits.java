package dev.switchboard.limits;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.stereotype.Component;

import dev.switchboard.config.ClientKey;
import dev.switchboard.config.KeyLimits;
import dev.switchboard.config.Team;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Signal;

/**
 * Each key's rate limits: requests a minute and tokens a minute as Bucket4j token buckets that refill
 * smoothly over the minute, and the requests in flight as a count. A request is admitted only if every limit
 * of its key has room; the tokens it takes at admission are an estimate (its prompt's bytes over four, plus
 * the answer it allows) that {@link Admission#settle} corrects once its usage is known. A key with no limit
 * costs nothing here.
 * <p>
 * With {@code switchboard.redis.url} set, the buckets and counts live in Redis ({@link SharedLimits}) and
 * every replica shares them. While Redis does not answer, each replica limits alone in its own memory (with
 * a warning), and goes back to Redis once it answers again; without Redis, it always does.
 */
@Component
public class KeyRateLimits implements DisposableBean {
    private static final Duration MINUTE = Duration.ofMinutes(1);

    private final ConcurrentHashMap<String, Limited> keys = new ConcurrentHashMap<>();
    private final TimeMeter clock;
    /** Redis's limits, or null without Redis. */
    private final SharedLimits shared;

    @Autowired
    KeyRateLimits(RedisProperties redis) {
        this(TimeMeter.SYSTEM_NANOTIME, redis.url() == null || redis.url().isBlank() ? null
                : new SharedLimits(redis.url(), redis.prefix(), redis.timeout()));
    }

    /**
     * @param clock  the local buckets' time: a test's own, to move the minute on without waiting
     * @param shared Redis's limits, or null
     */
    KeyRateLimits(TimeMeter clock, SharedLimits shared) {
        this.clock = clock;
        this.shared = shared;
    }

    /**
     * @param url     Redis for limits every replica shares ({@code redis://host:6379}); unset, each replica limits alone
     * @param prefix  the keys' prefix in Redis
     * @param timeout how long admission waits for Redis before it limits locally
     */
    @ConfigurationProperties("switchboard.redis")
    record RedisProperties(String url, @DefaultValue("switchboard:") String prefix, @DefaultValue("250ms") Duration timeout) {}

    /**
     * Admits one request of {@code key} that may take about {@code estimatedTokens}, or refuses it with a
     * {@link RateLimitedException}: 429 in the client's envelope, with when to retry.
     */
    public Mono<Admission> admit(ClientKey key, long estimatedTokens) {
        Team team = key.team();
        if (team == null || !team.limits().any()) return admit(key.name(), key.limits(), estimatedTokens);
        if (!key.limits().any()) return admit(team.subject(), team.limits(), estimatedTokens);
        // both must have room: asked at once (through Redis, on one pipelined connection), and what one refusal
        // leaves taken of the other is given back
        return Mono.zip(admit(key.name(), key.limits(), estimatedTokens).materialize(),
                        admit(team.subject(), team.limits(), estimatedTokens).materialize())
                .map(both -> {
                    Signal<Admission> own = both.getT1(), shared = both.getT2();
                    if (own.isOnNext() && shared.isOnNext()) return new Both(own.get(), shared.get());
                    if (own.isOnNext()) own.get().refund();
                    if (shared.isOnNext()) shared.get().refund();
                    throw Exceptions.propagate(own.isOnError() ? own.getThrowable() : shared.getThrowable());
                });
    }

    /** One subject's limits: a key's name, or a team's {@link Team#subject()}. */
    Mono<Admission> admit(String subject, KeyLimits limits, long estimatedTokens) {
        if (!limits.any()) return Mono.just(Admission.NONE);
        // a reload that changes the subject's limits starts it afresh
        Limited local = keys.compute(subject, (name, held) -> held != null && held.limits.equals(limits) ? held : new Limited(limits, clock));
        Mono<Admission> alone = Mono.fromCallable(() -> local.admit(subject, estimatedTokens));
        if (shared == null || !shared.available()) return alone;
        return shared.admit(subject, limits, estimatedTokens).onErrorResume(SharedLimits.Unavailable.class, e -> alone);
    }

    /** A key's admission and its team's: released and settled together; the headers are the key's own. */
    private record Both(Admission key, Admission team) implements Admission {
        @Override
        public RateLimitHeaders headers() {
            return key.headers();
        }

        @Override
        public void release() {
            key.release();
            team.release();
        }

        @Override
        public void settle(long actualTokens) {
            key.settle(actualTokens);
            team.settle(actualTokens);
        }

        @Override
        public void refund() {
            key.refund();
            team.refund();
        }
    }

    /** Budget holds shared through the same Redis, or null without Redis. */
    public SharedHolds sharedHolds() {
        return shared;
    }

    @Override
    public void destroy() {
        if (shared != null) shared.close();
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

        static Bucket bucket(long perMinute, TimeMeter clock) {
            return Bucket.builder().addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, MINUTE).build())
                    .withCustomTimePrecision(clock).build();
        }

        Admission admit(String name, long estimatedTokens) {
            if (tokens != null && estimatedTokens > limits.tokensPerMinute()) {
                throw RateLimitedException.tooLarge(name, estimatedTokens, limits.tokensPerMinute(), RateLimitHeaders.of(this));
            }
            if (limits.concurrent() > 0 && inFlight.incrementAndGet() > limits.concurrent()) {
                inFlight.decrementAndGet();
                throw RateLimitedException.inFlight(name, limits.concurrent(), RateLimitHeaders.of(this));
            }
            try {
                if (requests != null) {
                    ConsumptionProbe probe = requests.tryConsumeAndReturnRemaining(1);
                    if (!probe.isConsumed()) {
                        throw RateLimitedException.requests(name, limits.requestsPerMinute(), Duration.ofNanos(probe.getNanosToWaitForRefill()),
                                RateLimitHeaders.of(this));
                    }
                }
                if (tokens != null && estimatedTokens > 0) {
                    ConsumptionProbe probe = tokens.tryConsumeAndReturnRemaining(estimatedTokens);
                    if (!probe.isConsumed()) {
                        if (requests != null) requests.addTokens(1); // refused: the request took nothing
                        throw RateLimitedException.tokens(name, limits.tokensPerMinute(), Duration.ofNanos(probe.getNanosToWaitForRefill()),
                                RateLimitHeaders.of(this));
                    }
                }
            } catch (RuntimeException e) {
                if (limits.concurrent() > 0) inFlight.decrementAndGet();
                throw e;
            }
            return new LocalAdmission(this, estimatedTokens);
        }
    }

    /** One admitted request: its place in flight, and the tokens it took on account. */
    public interface Admission {
        /** A key without limits: nothing to settle, no headers. */
        Admission NONE = new Admission() {
            @Override
            public RateLimitHeaders headers() {
                return null;
            }

            @Override
            public void release() {
            }

            @Override
            public void settle(long actualTokens) {
            }
        };

        /**
         * The request was refused after all (its team's limits had no room): its place in flight and its tokens
         * go back; the request itself stays counted, as a refused request of a key with room would be.
         */
        default void refund() {
            release();
            settle(0);
        }

        /** The {@code x-ratelimit-*} headers as this request left the limits, or null for a key without limits. */
        RateLimitHeaders headers();

        /** The request's place in flight is free again; once, however often it is called. */
        void release();

        /**
         * The request used {@code actualTokens}: the estimate it took is corrected, in either direction. More than
         * estimated goes on the key's account even past its limit (the next requests wait for it to refill).
         */
        void settle(long actualTokens);
    }

    /** Admitted by this replica's own buckets. */
    static final class LocalAdmission implements Admission {
        private final Limited limited;
        private final long estimatedTokens;
        private final AtomicInteger released = new AtomicInteger();
        private final RateLimitHeaders headers;

        LocalAdmission(Limited limited, long estimatedTokens) {
            this.limited = limited;
            this.estimatedTokens = estimatedTokens;
            this.headers = RateLimitHeaders.of(limited);
        }

        @Override
        public RateLimitHeaders headers() {
            return headers;
        }

        @Override
        public void release() {
            if (released.getAndIncrement() > 0) return;
            if (limited.limits.concurrent() > 0) limited.inFlight.decrementAndGet();
        }

        @Override
        public void settle(long actualTokens) {
            if (limited.tokens == null) return;
            long difference = actualTokens - estimatedTokens;
            if (difference > 0) limited.tokens.consumeIgnoringRateLimits(difference);
            else if (difference < 0) limited.tokens.addTokens(-difference);
        }
    }
}
