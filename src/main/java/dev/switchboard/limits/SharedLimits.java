package dev.switchboard.limits;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.switchboard.config.KeyLimits;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.AsyncProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.ByteArrayCodec;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Rate limits every replica shares, in Redis: each key's requests-a-minute and tokens-a-minute buckets are
 * Bucket4j's, kept in Redis through Lettuce (compare-and-swap, so replicas taking from one bucket at once
 * never overdraw it), and its requests in flight a counter ({@code INCR}, {@code DECR}). The limits a request
 * meets are asked at once, pipelined on one connection, and what a refused request took from the others is
 * given back. Budgets' holds ({@link SharedHolds}) are a script each, one round trip. Never blocks: Lettuce
 * answers on its own threads.
 * <p>
 * Redis going away stops nothing: a call that fails or takes longer than the timeout marks Redis away, the
 * caller limits in its own memory, and a background check brings Redis back once it answers (both logged).
 * A replica that dies holding requests in flight leaves them counted until the count expires (five minutes
 * after the key's last admission).
 */
final class SharedLimits implements AutoCloseable, SharedHolds {
    private static final Logger log = LoggerFactory.getLogger(SharedLimits.class);
    private static final Duration MINUTE = Duration.ofMinutes(1);
    private static final long IN_FLIGHT_TTL_SECONDS = 300;
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(2);

    /** Redis did not answer in time: the caller limits alone. */
    static final class Unavailable extends RuntimeException {
        Unavailable(Throwable cause) {
            super("Redis did not answer", cause, false, false);
        }
    }

    private final RedisClient client;
    private final RedisURI uri;
    private final String prefix;
    private volatile StatefulRedisConnection<byte[], byte[]> connection;
    private volatile AsyncProxyManager<byte[]> buckets;
    private final AtomicBoolean up = new AtomicBoolean(true);
    private final AtomicLong retryAt = new AtomicLong();

    SharedLimits(String url, String prefix, Duration timeout) {
        this.client = RedisClient.create();
        this.uri = RedisURI.create(url);
        // commands fail at once while the connection is down, rather than queue until the timeout
        client.setOptions(ClientOptions.builder().autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(timeout)).build());
        this.prefix = prefix;
        connect();
    }

    /** Connected, or tried again in the background: a Redis away at start-up stops nothing either. */
    private void connect() {
        client.connectAsync(ByteArrayCodec.INSTANCE, uri)
                .whenComplete((c, e) -> {
                    if (e != null) {
                        away(e);
                        return;
                    }
                    connection = c;
                    buckets = Bucket4jLettuce.casBasedBuilder(c)
                            .expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(MINUTE))
                            .build().asAsync();
                    back();
                });
    }

    /** Whether admissions go to Redis now; false for a while after it failed, then it is tried again. */
    @Override
    public boolean available() {
        if (up.get() && connection != null) return true;
        long now = System.nanoTime();
        long at = retryAt.get();
        if (now < at || !retryAt.compareAndSet(at, now + RETRY_NANOS)) return false;
        if (connection == null) {
            connect();
            return false;
        }
        // one admission tries Redis again; it falls back alone if Redis is still away
        return true;
    }

    private void away(Throwable e) {
        retryAt.set(System.nanoTime() + RETRY_NANOS);
        if (up.compareAndSet(true, false)) {
            log.warn("Redis does not answer ({}): each replica enforces the rate limits and budget holds alone until it is back", e.toString());
        }
    }

    private void back() {
        if (up.compareAndSet(false, true)) log.info("Redis answers again: the rate limits and budget holds are shared again");
    }

    Mono<KeyRateLimits.Admission> admit(String name, KeyLimits limits, long estimatedTokens) {
        StatefulRedisConnection<byte[], byte[]> c = connection;
        AsyncProxyManager<byte[]> proxies = buckets;
        if (c == null || proxies == null) return Mono.error(new Unavailable(null));
        if (limits.tokensPerMinute() > 0 && estimatedTokens > limits.tokensPerMinute()) {
            return Mono.error(RateLimitedException.tooLarge(name, estimatedTokens, limits.tokensPerMinute(), headers(limits, null, null)));
        }
        RedisAsyncCommands<byte[], byte[]> redis = c.async();
        byte[] inFlightKey = key(name, "in-flight", limits.concurrent());
        AsyncBucketProxy requests = limits.requestsPerMinute() > 0
                ? proxies.builder().build(key(name, "requests", limits.requestsPerMinute()), config(limits.requestsPerMinute())) : null;
        AsyncBucketProxy tokens = limits.tokensPerMinute() > 0
                ? proxies.builder().build(key(name, "tokens", limits.tokensPerMinute()), config(limits.tokensPerMinute())) : null;
        // every question at once: Lettuce pipelines them on the one connection
        CompletableFuture<Long> inFlight = limits.concurrent() > 0 ? redis.incr(inFlightKey).toCompletableFuture() : null;
        if (inFlight != null) redis.expire(inFlightKey, IN_FLIGHT_TTL_SECONDS);
        CompletableFuture<ConsumptionProbe> requestProbe = requests == null ? null : requests.tryConsumeAndReturnRemaining(1);
        CompletableFuture<ConsumptionProbe> tokenProbe = tokens == null || estimatedTokens <= 0 ? null
                : tokens.tryConsumeAndReturnRemaining(estimatedTokens);
        CompletableFuture<Void> all = CompletableFuture.allOf(nonNull(inFlight), nonNull(requestProbe), nonNull(tokenProbe));
        // the deadline is Lettuce's own (every command times out after it): one clock, no error left behind
        return Mono.fromFuture(all, true)
                .publishOn(Schedulers.parallel()) // off Lettuce's one event loop: the request goes on from here
                .onErrorMap(e -> !(e instanceof RateLimitedException), e -> {
                    away(e);
                    // whatever did land is given back, as the request is admitted elsewhere
                    giveBack(redis, inFlight, inFlightKey, requestProbe, requests, tokenProbe, tokens, estimatedTokens);
                    return new Unavailable(e);
                })
                .then(Mono.fromCallable(() -> {
                    back();
                    Long count = inFlight == null ? null : inFlight.join();
                    ConsumptionProbe r = requestProbe == null ? null : requestProbe.join();
                    ConsumptionProbe t = tokenProbe == null ? null : tokenProbe.join();
                    RateLimitHeaders headers = headers(limits, r, t);
                    RateLimitedException refused = null;
                    if (count != null && count > limits.concurrent()) {
                        refused = RateLimitedException.inFlight(name, limits.concurrent(), headers);
                    } else if (r != null && !r.isConsumed()) {
                        refused = RateLimitedException.requests(name, limits.requestsPerMinute(), Duration.ofNanos(r.getNanosToWaitForRefill()), headers);
                    } else if (t != null && !t.isConsumed()) {
                        refused = RateLimitedException.tokens(name, limits.tokensPerMinute(), Duration.ofNanos(t.getNanosToWaitForRefill()), headers);
                    }
                    if (refused != null) {
                        giveBack(redis, inFlight, inFlightKey, requestProbe, requests, tokenProbe, tokens, estimatedTokens);
                        throw refused;
                    }
                    return new SharedAdmission(redis, count == null ? null : inFlightKey, tokens, estimatedTokens, headers);
                }));
    }

    private static CompletableFuture<?> nonNull(CompletableFuture<?> f) {
        return f == null ? CompletableFuture.completedFuture(null) : f;
    }

    /** What a refused (or abandoned) request took from each limit, returned; fire and forget. */
    private static void giveBack(RedisAsyncCommands<byte[], byte[]> redis, CompletableFuture<Long> inFlight, byte[] inFlightKey,
                                 CompletableFuture<ConsumptionProbe> requestProbe, AsyncBucketProxy requests,
                                 CompletableFuture<ConsumptionProbe> tokenProbe, AsyncBucketProxy tokens, long estimatedTokens) {
        if (inFlight != null) inFlight.thenAccept(n -> redis.decr(inFlightKey));
        if (requestProbe != null) requestProbe.thenAccept(p -> {
            if (p.isConsumed()) requests.addTokens(1);
        });
        if (tokenProbe != null) tokenProbe.thenAccept(p -> {
            if (p.isConsumed()) tokens.addTokens(estimatedTokens);
        });
    }

    /**
     * KEYS: the budget's held credits, its spend in the period. ARGV: budget, the ledger's spend, credits,
     * seconds the holds outlive their last admission, seconds the spend outlives its period. The spend is the
     * larger of the shared count and the ledger's (which is all there is after Redis lost its data); the hold is
     * taken only if spend, holds and these credits fit. Numbers are exact up to 2^53 credits (Lua's doubles).
     */
    private static final String HOLD = """
            local spent = tonumber(redis.call('GET', KEYS[2]) or '0')
            local known = tonumber(ARGV[2])
            if known > spent then
              spent = known
              redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[5])
            end
            local held = tonumber(redis.call('GET', KEYS[1]) or '0')
            if spent + held + tonumber(ARGV[3]) > tonumber(ARGV[1]) then
              return {0, spent, held}
            end
            held = redis.call('INCRBY', KEYS[1], ARGV[3])
            redis.call('EXPIRE', KEYS[1], ARGV[4])
            return {1, spent, held}
            """;
    /** KEYS as {@link #HOLD}'s. ARGV: credits held, credits spent, seconds the spend outlives its period. */
    private static final String SETTLE = """
            if redis.call('DECRBY', KEYS[1], ARGV[1]) < 0 then redis.call('DEL', KEYS[1]) end
            redis.call('INCRBY', KEYS[2], ARGV[2])
            redis.call('EXPIRE', KEYS[2], ARGV[3])
            return 1
            """;
    private static final long HOLD_TTL_SECONDS = 300;
    /** How long a budget without a period keeps its shared spend after its last request; then the ledger's is read. */
    private static final long NO_PERIOD_SPEND_TTL_SECONDS = 7 * 86_400;

    @Override
    public Mono<Hold> hold(String subject, java.time.Instant periodStart, java.time.Instant periodEnd, long budget, long knownSpent, long credits) {
        StatefulRedisConnection<byte[], byte[]> c = connection;
        if (c == null) return Mono.error(new Unavailable(null));
        byte[][] keys = budgetKeys(subject, periodStart);
        byte[][] args = {bytes(budget), bytes(knownSpent), bytes(credits), bytes(HOLD_TTL_SECONDS), bytes(spendTtl(periodEnd))};
        return Mono.fromCompletionStage(c.async().<java.util.List<Long>>eval(HOLD, ScriptOutputType.MULTI, keys, args))
                // off Lettuce's one event loop, which answers every replica's Redis call: the request goes on from here
                .publishOn(Schedulers.parallel())
                .map(r -> {
                    back();
                    return new Hold(r.get(0) == 1L, r.get(1), r.get(2));
                })
                .onErrorMap(e -> {
                    away(e);
                    return new Unavailable(e);
                });
    }

    @Override
    public void settle(String subject, java.time.Instant periodStart, java.time.Instant periodEnd, long held, long actual) {
        StatefulRedisConnection<byte[], byte[]> c = connection;
        if (c == null) return;
        c.async().eval(SETTLE, ScriptOutputType.INTEGER, budgetKeys(subject, periodStart), bytes(held), bytes(actual), bytes(spendTtl(periodEnd)))
                .exceptionally(e -> {
                    log.warn("A budget hold of {} credits on {} could not be released in Redis (it expires by itself): {}", held, subject, e.toString());
                    return null;
                });
    }

    private byte[][] budgetKeys(String subject, java.time.Instant periodStart) {
        String base = prefix + "budget:" + subject + ":" + periodStart.getEpochSecond();
        return new byte[][] {(base + ":held").getBytes(StandardCharsets.UTF_8), (base + ":spent").getBytes(StandardCharsets.UTF_8)};
    }

    private static long spendTtl(java.time.Instant periodEnd) {
        if (periodEnd == null) return NO_PERIOD_SPEND_TTL_SECONDS;
        return Math.max(1, java.time.Duration.between(java.time.Instant.now(), periodEnd).toSeconds() + 86_400);
    }

    private static byte[] bytes(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }

    private static RateLimitHeaders headers(KeyLimits limits, ConsumptionProbe requests, ConsumptionProbe tokens) {
        long requestsLeft = requests == null ? 0 : Math.max(0, requests.getRemainingTokens());
        long tokensLeft = tokens == null ? 0 : Math.max(0, tokens.getRemainingTokens());
        return RateLimitHeaders.of(limits, requestsLeft, tokensLeft);
    }

    private byte[] key(String name, String limit, long value) {
        // the limit's value in the key: a reload that changes it starts afresh, as the local buckets do
        return (prefix + "limits:" + name + ":" + limit + ":" + value).getBytes(StandardCharsets.UTF_8);
    }

    private static BucketConfiguration config(long perMinute) {
        return BucketConfiguration.builder().addLimit(Bandwidth.builder().capacity(perMinute).refillGreedy(perMinute, MINUTE).build()).build();
    }

    /** Admitted through Redis. */
    private static final class SharedAdmission implements KeyRateLimits.Admission {
        private final RedisAsyncCommands<byte[], byte[]> redis;
        private final byte[] inFlightKey;
        private final AsyncBucketProxy tokens;
        private final long estimatedTokens;
        private final RateLimitHeaders headers;
        private final AtomicInteger released = new AtomicInteger();

        SharedAdmission(RedisAsyncCommands<byte[], byte[]> redis, byte[] inFlightKey, AsyncBucketProxy tokens, long estimatedTokens,
                        RateLimitHeaders headers) {
            this.redis = redis;
            this.inFlightKey = inFlightKey;
            this.tokens = tokens;
            this.estimatedTokens = estimatedTokens;
            this.headers = headers;
        }

        @Override
        public RateLimitHeaders headers() {
            return headers;
        }

        @Override
        public void release() {
            if (inFlightKey == null || released.getAndIncrement() > 0) return;
            redis.decr(inFlightKey);
        }

        @Override
        public void settle(long actualTokens) {
            if (tokens == null) return;
            long difference = actualTokens - estimatedTokens;
            if (difference > 0) tokens.consumeIgnoringRateLimits(difference);
            else if (difference < 0) tokens.addTokens(-difference);
        }
    }

    @Override
    public void close() {
        StatefulRedisConnection<byte[], byte[]> c = connection;
        if (c != null) c.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
