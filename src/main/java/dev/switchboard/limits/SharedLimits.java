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
 * Rate limits and budget holds every replica shares, in Redis, each a Lua script run through Lettuce: a
 * subject's requests-a-minute and tokens-a-minute buckets and its requests in flight are checked and taken in
 * one call ({@link #ADMIT}), a budget's hold in one more ({@link SharedHolds}). Atomic in Redis, so replicas
 * taking from one bucket at once never overdraw it, and one round trip with no retries: Bucket4j's Redis
 * buckets (compare-and-swap, a read then a swap) cost two round trips and, on a key many connections share,
 * retries that multiply the commands a request sends (docs/benchmark.md). The local buckets stay Bucket4j's. Never
 * blocks: Lettuce answers on its own threads, and the request goes on off them.
 * <p>
 * Redis going away stops nothing: a call that fails or takes longer than the timeout marks Redis away, the
 * caller limits in its own memory, and a background check brings Redis back once it answers (both logged).
 * A replica that dies holding requests in flight leaves them counted until the count expires (five minutes
 * after the key's last admission).
 */
final class SharedLimits implements AutoCloseable, SharedHolds {
    private static final Logger log = LoggerFactory.getLogger(SharedLimits.class);
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

    /**
     * A subject's limits in one script, so one round trip and no retries however many requests race for them.
     * KEYS: the requests bucket, the tokens bucket (hashes of what is left, {@code t}, and when, {@code ts}, in
     * Redis's own milliseconds), the requests in flight. ARGV: requests and tokens a minute and requests at once
     * (0 for none), the tokens this request takes, the in-flight count's lifetime in seconds. Every limit is
     * checked before any is taken, so a refused request takes nothing. The buckets refill smoothly over the
     * minute. Returns {refusal (0 none, 1 in flight, 2 requests, 3 tokens), requests left, tokens left,
     * milliseconds until the refusing bucket has room}.
     */
    private static final String ADMIT = """
            local now_parts = redis.call('TIME')
            local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
            local function level(key, per_minute)
              local state = redis.call('HMGET', key, 't', 'ts')
              local t = tonumber(state[1])
              if t == nil then return per_minute end
              return math.min(per_minute, t + (now - tonumber(state[2])) * per_minute / 60000)
            end
            local rpm, tpm, concurrent, take = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
            local requests = rpm > 0 and level(KEYS[1], rpm) or 0
            local tokens = tpm > 0 and level(KEYS[2], tpm) or 0
            local in_flight = concurrent > 0 and tonumber(redis.call('GET', KEYS[3]) or '0') or 0
            if concurrent > 0 and in_flight + 1 > concurrent then
              return {1, math.floor(requests), math.floor(tokens), 0}
            end
            if rpm > 0 and requests < 1 then
              return {2, 0, math.floor(tokens), math.ceil((1 - requests) * 60000 / rpm)}
            end
            if tpm > 0 and take > 0 and tokens < take then
              return {3, math.floor(requests), math.floor(tokens), math.ceil((take - tokens) * 60000 / tpm)}
            end
            if rpm > 0 then
              requests = requests - 1
              redis.call('HSET', KEYS[1], 't', requests, 'ts', now)
              redis.call('PEXPIRE', KEYS[1], 120000)
            end
            if tpm > 0 and take > 0 then
              tokens = tokens - take
              redis.call('HSET', KEYS[2], 't', tokens, 'ts', now)
              redis.call('PEXPIRE', KEYS[2], 120000)
            end
            if concurrent > 0 then
              redis.call('INCR', KEYS[3])
              redis.call('EXPIRE', KEYS[3], ARGV[5])
            end
            return {0, math.floor(requests), math.floor(tokens), 0}
            """;
    /**
     * A request's end on its subject's limits. KEYS as {@link #ADMIT}'s. ARGV: tokens a minute, the tokens to take
     * (more used than estimated; even past the limit, so the next requests wait for them) or give back
     * (negative), whether it held a place in flight (1 or 0).
     */
    private static final String SETTLE_LIMITS = """
            local tpm, change = tonumber(ARGV[1]), tonumber(ARGV[2])
            if tpm > 0 and change ~= 0 then
              local now_parts = redis.call('TIME')
              local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
              local state = redis.call('HMGET', KEYS[2], 't', 'ts')
              local t = tonumber(state[1]) or tpm
              if state[2] then t = math.min(tpm, t + (now - tonumber(state[2])) * tpm / 60000) end
              redis.call('HSET', KEYS[2], 't', math.min(tpm, t - change), 'ts', now)
              redis.call('PEXPIRE', KEYS[2], 120000)
            end
            if ARGV[3] == '1' and redis.call('DECR', KEYS[3]) < 0 then redis.call('DEL', KEYS[3]) end
            return 1
            """;

    Mono<KeyRateLimits.Admission> admit(String name, KeyLimits limits, long estimatedTokens) {
        StatefulRedisConnection<byte[], byte[]> c = connection;
        if (c == null) return Mono.error(new Unavailable(null));
        if (limits.tokensPerMinute() > 0 && estimatedTokens > limits.tokensPerMinute()) {
            return Mono.error(RateLimitedException.tooLarge(name, estimatedTokens, limits.tokensPerMinute(), RateLimitHeaders.of(limits,
                    limits.requestsPerMinute(), limits.tokensPerMinute())));
        }
        byte[][] keys = {key(name, "requests", limits.requestsPerMinute()), key(name, "tokens", limits.tokensPerMinute()),
                key(name, "in-flight", limits.concurrent())};
        long take = limits.tokensPerMinute() > 0 ? Math.max(0, estimatedTokens) : 0;
        byte[][] args = {bytes(limits.requestsPerMinute()), bytes(limits.tokensPerMinute()), bytes(limits.concurrent()), bytes(take),
                bytes(IN_FLIGHT_TTL_SECONDS)};
        // the deadline is Lettuce's own (every command times out after it): one clock, no error left behind
        return Mono.fromCompletionStage(SharedLimits.<java.util.List<Long>>run(c, ADMIT, ScriptOutputType.MULTI, keys, args))
                .onErrorMap(e -> {
                    away(e);
                    return new Unavailable(e);
                })
                // off Lettuce's one event loop, which answers every call to Redis: the request goes on from here
                .publishOn(Schedulers.parallel())
                .map(r -> {
                    back();
                    RateLimitHeaders headers = RateLimitHeaders.of(limits, r.get(1), r.get(2));
                    Duration wait = Duration.ofMillis(r.get(3));
                    switch (r.get(0).intValue()) {
                        case 1 -> throw RateLimitedException.inFlight(name, limits.concurrent(), headers);
                        case 2 -> throw RateLimitedException.requests(name, limits.requestsPerMinute(), wait, headers);
                        case 3 -> throw RateLimitedException.tokens(name, limits.tokensPerMinute(), wait, headers);
                        default -> {
                            return new SharedAdmission(this, keys, limits, take, headers);
                        }
                    }
                });
    }

    /** Each script by its name in Redis's script cache: EVALSHA sends 40 characters rather than the script. */
    private static final java.util.Map<String, String> SHAS = new java.util.concurrent.ConcurrentHashMap<>();

    /** Runs a script by its digest; one Redis has not cached yet (a restart, a first call) is sent whole, once. */
    private static <T> CompletableFuture<T> run(StatefulRedisConnection<byte[], byte[]> c, String script, ScriptOutputType type,
                                                byte[][] keys, byte[]... args) {
        String sha = SHAS.computeIfAbsent(script, SharedLimits::sha1);
        return c.async().<T>evalsha(sha, type, keys, args).toCompletableFuture()
                .handle((r, e) -> e == null ? CompletableFuture.completedFuture(r)
                        : String.valueOf(e.getMessage()).startsWith("NOSCRIPT") ? c.async().<T>eval(script, type, keys, args).toCompletableFuture()
                        : CompletableFuture.<T>failedFuture(e))
                .thenCompose(f -> f);
    }

    private static String sha1(String script) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-1").digest(script.getBytes(StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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
        return Mono.fromCompletionStage(SharedLimits.<java.util.List<Long>>run(c, HOLD, ScriptOutputType.MULTI, keys, args))
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
        run(c, SETTLE, ScriptOutputType.INTEGER, budgetKeys(subject, periodStart), bytes(held), bytes(actual), bytes(spendTtl(periodEnd)))
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

    private byte[] key(String name, String limit, long value) {
        // the limit's value in the key: a reload that changes it starts afresh, as the local buckets do
        return (prefix + "limits:" + name + ":" + limit + ":" + value).getBytes(StandardCharsets.UTF_8);
    }

    /** Admitted through Redis: its end is one more script call, fire and forget. */
    private static final class SharedAdmission implements KeyRateLimits.Admission {
        private final SharedLimits redis;
        private final byte[][] keys;
        private final KeyLimits limits;
        private final long takenTokens;
        private final RateLimitHeaders headers;
        private final AtomicInteger released = new AtomicInteger();
        private final AtomicInteger settled = new AtomicInteger();

        SharedAdmission(SharedLimits redis, byte[][] keys, KeyLimits limits, long takenTokens, RateLimitHeaders headers) {
            this.redis = redis;
            this.keys = keys;
            this.limits = limits;
            this.takenTokens = takenTokens;
            this.headers = headers;
        }

        @Override
        public RateLimitHeaders headers() {
            return headers;
        }

        /** With a tokens limit, the place in flight goes back with the tokens' settlement: one call, not two. */
        @Override
        public void release() {
            if (limits.concurrent() > 0 && limits.tokensPerMinute() <= 0 && released.getAndIncrement() == 0) {
                redis.settleLimits(keys, limits, 0, true);
            }
        }

        @Override
        public void settle(long actualTokens) {
            if (limits.tokensPerMinute() <= 0 || settled.getAndIncrement() > 0) return;
            boolean place = limits.concurrent() > 0 && released.getAndIncrement() == 0;
            if (place || actualTokens != takenTokens) redis.settleLimits(keys, limits, actualTokens - takenTokens, place);
        }
    }

    private void settleLimits(byte[][] keys, KeyLimits limits, long change, boolean release) {
        StatefulRedisConnection<byte[], byte[]> c = connection;
        if (c == null) return;
        run(c, SETTLE_LIMITS, ScriptOutputType.INTEGER, keys, bytes(limits.tokensPerMinute()), bytes(change), bytes(release ? 1 : 0))
                .exceptionally(e -> {
                    log.debug("A request's end could not be counted in Redis (its count expires by itself): {}", e.toString());
                    return null;
                });
    }

    @Override
    public void close() {
        StatefulRedisConnection<byte[], byte[]> c = connection;
        if (c != null) c.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
