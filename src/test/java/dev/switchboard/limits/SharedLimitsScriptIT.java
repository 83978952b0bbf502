package dev.switchboard.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.switchboard.config.KeyLimits;
import dev.switchboard.support.LocalRedis;

/**
 * The Redis scripts on this machine's Redis: a subject's limits checked and taken in one call, a refused
 * request taking nothing, tokens settled to what was used, places in flight given back, budget holds.
 */
class SharedLimitsScriptIT {
    private SharedLimits redis;
    private final String prefix = "it-script-" + UUID.randomUUID() + ":";

    @BeforeEach
    void connect() {
        LocalRedis.assumeAvailable();
        redis = new SharedLimits("redis://127.0.0.1:6379", prefix, Duration.ofSeconds(2));
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (!redis.available() && System.nanoTime() < deadline) Thread.onSpinWait();
    }

    @AfterEach
    void close() {
        if (redis != null) redis.close();
    }

    private KeyRateLimits.Admission admit(String name, KeyLimits limits, long tokens) {
        return redis.admit(name, limits, tokens).block(Duration.ofSeconds(5));
    }

    @Test
    void requestsAMinuteAdmitExactlyTheLimitAndSayWhenTheNextFits() {
        KeyLimits limits = new KeyLimits(3, 0, 0);
        for (int i = 0; i < 3; i++) assertThat(admit("rpm", limits, 0).headers().requestsRemaining()).isEqualTo(2 - i);
        assertThatThrownBy(() -> admit("rpm", limits, 0)).isInstanceOfSatisfying(RateLimitedException.class, e -> {
            assertThat(e.retryAfter()).isBetween(Duration.ofSeconds(15), Duration.ofSeconds(20));
            assertThat(e.getMessage()).contains("3 requests a minute");
        });
    }

    @Test
    void aRequestRefusedForTokensTakesNoRequestAndTokensSettleToWhatWasUsed() {
        KeyLimits limits = new KeyLimits(2, 1000, 0);
        KeyRateLimits.Admission first = admit("tpm", limits, 600);
        assertThat(first.headers().tokensRemaining()).isEqualTo(400);
        assertThatThrownBy(() -> admit("tpm", limits, 500)).isInstanceOf(RateLimitedException.class);
        first.settle(100); // 500 given back
        KeyRateLimits.Admission second = admit("tpm", limits, 800);
        assertThat(second.headers().requestsRemaining()).as("the refused request took no request").isZero();
        assertThat(second.headers().tokensRemaining()).isBetween(100L, 110L);
    }

    @Test
    void aPlaceInFlightIsGivenBackOnceWhenTheRequestEnds() {
        KeyLimits limits = new KeyLimits(0, 0, 1);
        KeyRateLimits.Admission held = admit("one-at-a-time", limits, 0);
        assertThatThrownBy(() -> admit("one-at-a-time", limits, 0)).isInstanceOfSatisfying(RateLimitedException.class,
                e -> assertThat(e.getMessage()).contains("in flight"));
        held.release();
        held.release(); // once only
        KeyRateLimits.Admission next = admit("one-at-a-time", limits, 0);
        assertThatThrownBy(() -> admit("one-at-a-time", limits, 0)).isInstanceOf(RateLimitedException.class);
        next.release();
    }

    @Test
    void budgetHoldsCountEveryHoldAndTheLargerOfTheSharedAndTheLedgersSpend() {
        Instant start = Instant.parse("2026-12-01T00:00:00Z"), end = Instant.parse("2027-01-01T00:00:00Z");
        SharedHolds.Hold a = redis.hold("team:x", start, end, 1000, 0, 400).block(Duration.ofSeconds(5));
        assertThat(a.taken()).isTrue();
        assertThat(redis.hold("team:x", start, end, 1000, 0, 400).block(Duration.ofSeconds(5)).taken()).isTrue();
        SharedHolds.Hold refused = redis.hold("team:x", start, end, 1000, 0, 400).block(Duration.ofSeconds(5));
        assertThat(refused.taken()).isFalse();
        assertThat(refused.held()).isEqualTo(800);
        redis.settle("team:x", start, end, 400, 300);
        // spent 300, held 400: 300 more fit once the settlement (sent, not waited for) has landed; a refused
        // hold takes nothing, so asking again until it lands changes nothing else
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(20))
                .until(() -> redis.hold("team:x", start, end, 1000, 0, 300).block(Duration.ofSeconds(5)).taken());
        assertThat(redis.hold("team:x", start, end, 2000, 1500, 200).block(Duration.ofSeconds(5)).spent()).isEqualTo(1500);
    }
}
