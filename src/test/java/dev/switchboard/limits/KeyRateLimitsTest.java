package dev.switchboard.limits;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import dev.switchboard.config.BudgetPeriod;
import dev.switchboard.config.ClientKey;
import dev.switchboard.config.Team;
import dev.switchboard.config.KeyLimits;
import dev.switchboard.protocol.ErrorKind;
import io.github.bucket4j.TimeMeter;

/** Each limit on its own clock: the minute moves on when the test says, nothing sleeps. */
class KeyRateLimitsTest {
    private final AtomicLong now = new AtomicLong();
    private final KeyRateLimits limits = new KeyRateLimits(new TimeMeter() {
        @Override
        public long currentTimeNanos() {
            return now.get();
        }

        @Override
        public boolean isWallClockBased() {
            return false;
        }
    }, null);

    private void later(Duration d) {
        now.addAndGet(d.toNanos());
    }

    @Test
    void aKeyWithoutLimitsIsAdmittedWithNothingToSettleAndNoHeaders() {
        KeyRateLimits.Admission a = limits.admit(new ClientKey("free", null), 1_000_000).block();
        assertThat(a).isSameAs(KeyRateLimits.Admission.NONE);
        assertThat(a.headers()).isNull();
    }

    @Test
    void requestsAMinuteRefuseTheOnePastTheLimitUntilTheBucketRefills() {
        ClientKey key = new ClientKey("rpm", null, new KeyLimits(3, 0, 0));
        for (int i = 0; i < 3; i++) assertThat(limits.admit(key, 0).block().headers().requestsRemaining()).isEqualTo(2 - i);
        RateLimitedException refused = catchRefusal(key, 0);
        assertThat(refused.kind()).isEqualTo(ErrorKind.RATE_LIMITED);
        assertThat(refused.retryAfter()).isEqualTo(Duration.ofSeconds(20)); // one request refills every 60 / 3 seconds
        assertThat(refused.headers().requestsRemaining()).isZero();
        assertThat(RateLimitHeaders.format(refused.headers().requestsReset())).isEqualTo("1m0s");
        later(Duration.ofSeconds(20));
        assertThat(limits.admit(key, 0).block().headers().requestsRemaining()).isZero();
        assertThatThrownBy(() -> limits.admit(key, 0).block()).isInstanceOf(RateLimitedException.class);
    }

    @Test
    void tokensAMinuteTakeTheEstimateAndAreSettledToWhatWasUsed() {
        ClientKey key = new ClientKey("tpm", null, new KeyLimits(0, 1_000, 0));
        KeyRateLimits.Admission first = limits.admit(key, 600).block();
        assertThat(first.headers().tokensRemaining()).isEqualTo(400);
        assertThat(catchRefusal(key, 500).retryAfter()).isEqualTo(Duration.ofSeconds(6)); // 100 more at 1,000 a minute
        first.settle(100); // it used far less than it allowed for
        assertThat(limits.admit(key, 500).block().headers().tokensRemaining()).isEqualTo(400);
        KeyRateLimits.Admission over = limits.admit(key, 100).block();
        over.settle(1_300); // and this one far more: the key owes it, the next waits
        RateLimitedException refused = catchRefusal(key, 1);
        assertThat(refused.headers().tokensRemaining()).isZero();
        assertThat(refused.retryAfter()).isEqualTo(Duration.ofMillis(54_060)); // 300 - 1,200 = -900: 901 to refill
    }

    @Test
    void aRequestLargerThanAMinutesTokensIsRefusedAsSuchWithNoPointInWaiting() {
        ClientKey key = new ClientKey("tpm", null, new KeyLimits(10, 1_000, 0));
        RateLimitedException refused = catchRefusal(key, 1_001);
        assertThat(refused.retryAfter()).isNull();
        assertThat(refused).hasMessageContaining("more than key 'tpm' may use in a minute (1000)");
        assertThat(limits.admit(key, 10).block().headers().requestsRemaining()).as("the refusal took nothing").isEqualTo(9);
    }

    @Test
    void requestsInFlightAreCappedAndEachReleaseFreesOnePlaceOnce() {
        ClientKey key = new ClientKey("one-at-a-time", null, new KeyLimits(0, 0, 2));
        KeyRateLimits.Admission a = limits.admit(key, 0).block();
        limits.admit(key, 0).block();
        assertThat(catchRefusal(key, 0)).hasMessageContaining("2 requests in flight");
        a.release();
        a.release(); // twice is once
        limits.admit(key, 0).block();
        assertThatThrownBy(() -> limits.admit(key, 0).block()).isInstanceOf(RateLimitedException.class);
    }

    @Test
    void aRefusalByOneLimitTakesNothingFromTheOthers() {
        ClientKey key = new ClientKey("both", null, new KeyLimits(5, 100, 1));
        KeyRateLimits.Admission held = limits.admit(key, 10).block();
        catchRefusal(key, 10); // in flight: refused before any bucket is touched
        held.release();
        catchRefusal(key, 95); // the tokens refuse it: the request it took is given back
        assertThat(limits.admit(key, 10).block().headers().requestsRemaining()).isEqualTo(3);
    }

    @Test
    void aReloadThatChangesAKeysLimitsStartsItAfresh() {
        limits.admit(new ClientKey("k", null, new KeyLimits(1, 0, 0)), 0).block();
        assertThat(limits.admit(new ClientKey("k", null, new KeyLimits(2, 0, 0)), 0).block().headers().requestsRemaining()).isEqualTo(1);
    }

    private RateLimitedException catchRefusal(ClientKey key, long tokens) {
        try {
            limits.admit(key, tokens).block();
        } catch (RateLimitedException e) {
            return e;
        }
        throw new AssertionError("admitted");
    }

    @Test
    void aTeamsLimitsAreSharedByItsKeysAndARefusalByTheTeamGivesTheKeysPlaceBack() {
        Team team = new Team("research", null, BudgetPeriod.NONE, new KeyLimits(2, 0, 0), java.util.Map.of());
        ClientKey alice = new ClientKey("alice", null, BudgetPeriod.NONE, new KeyLimits(0, 0, 1), java.util.List.of(), team);
        ClientKey bob = new ClientKey("bob", null, BudgetPeriod.NONE, KeyLimits.NONE, java.util.List.of(), team);
        KeyRateLimits.Admission first = limits.admit(alice, 0).block();
        first.release();
        limits.admit(bob, 0).block().release();
        RateLimitedException refused = catchRefusal(alice, 0);
        assertThat(refused.getMessage()).contains("team:research");
        // alice's one place in flight was given back when her team refused: she is admitted once the team has room
        later(Duration.ofSeconds(30));
        assertThat(limits.admit(alice, 0).block()).isNotNull();
        assertThat(catchRefusal(alice, 0).getMessage()).as("her one place is taken now").contains("'alice'");
    }
}
