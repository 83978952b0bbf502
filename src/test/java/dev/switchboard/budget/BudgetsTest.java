package dev.switchboard.budget;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.switchboard.config.BudgetCalendar;
import dev.switchboard.config.BudgetPeriod;
import dev.switchboard.config.ClientKey;
import dev.switchboard.config.KeyLimits;
import dev.switchboard.config.Team;
import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.store.SqliteDatabase;
import dev.switchboard.usage.Outcome;
import dev.switchboard.usage.RecordLog;
import dev.switchboard.usage.SqliteUsageStore;
import dev.switchboard.usage.UsageJournal;
import dev.switchboard.usage.UsageLedger;
import dev.switchboard.usage.UsageRecord;
import dev.switchboard.usage.UsageSource;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

/**
 * Budgets over a real embedded ledger and a clock the test moves: periods reset at midnight in the
 * configured zone, and reserve-then-settle keeps concurrent requests within a budget.
 */
class BudgetsTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    /** A clock the test sets. */
    static final class MovableClock extends Clock {
        final AtomicReference<Instant> now;

        MovableClock(Instant start) {
            now = new AtomicReference<>(start);
        }

        @Override
        public ZoneId getZone() {
            return BERLIN;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now.get();
        }
    }

    @TempDir
    Path dir;
    private final MovableClock clock = new MovableClock(Instant.parse("2026-12-05T22:58:00Z")); // 23:58 in Berlin
    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private UsageLedger ledger;
    private Budgets budgets;
    private final Map<String, List<String>> teams = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeEach
    void setUp() {
        UsageJournal journal = new UsageJournal(dir.resolve("journal.jsonl"));
        ledger = new UsageLedger(new SqliteUsageStore(SqliteDatabase.open(dir.resolve("ledger.db"), SqliteDatabase.Synchronous.NORMAL)),
                journal, RecordLog.open(dir.resolve("log"), journal), UsageLedger.Retention.FOREVER, meters, new BudgetCalendar(clock, BERLIN));
        ledger.trackPeriods(List.of(BudgetPeriod.DAILY));
        ledger.start();
        budgets = new Budgets(ledger, team -> teams.getOrDefault(team, List.of()), meters);
        await().atMost(Duration.ofSeconds(10)).until(() -> ledger.spent("anyone", BudgetPeriod.DAILY) >= 0);
    }

    @AfterEach
    void tearDown() {
        ledger.stop();
        ledger.store().close();
    }

    private static ClientKey daily(String name, long credits) {
        return new ClientKey(name, credits, BudgetPeriod.DAILY, KeyLimits.NONE, List.of(), null);
    }

    private UsageRecord spend(String key, long credits) {
        UsageRecord r = new UsageRecord(UUID.randomUUID().toString(), "req-" + UUID.randomUUID(), clock.instant(), key, ApiEndpoint.CHAT_COMPLETIONS,
                "m1", "up", "model", false, 200, Outcome.OK, 1, 100, 20, 0, 0, 0, UsageSource.UPSTREAM, new BigDecimal("0.001"),
                credits, null, null, 12, null);
        ledger.record(r);
        return r;
    }

    @Test
    void aDailyBudgetStartsAfreshAtMidnightInTheConfiguredZone() {
        ClientKey key = daily("night-owl", 1000);
        Budgets.Reservation first = budgets.reserve(key, 600);
        spend("night-owl", 900);
        first.settle(900);
        assertThat(budgets.keyStatus(key).spent()).isEqualTo(900);
        // written to the store and summed from it again: still today's
        await().atMost(Duration.ofSeconds(10)).until(() -> ledger.store().summary(dev.switchboard.usage.UsageStore.Grouping.KEY, null, null)
                .collectList().block().size() == 1);
        assertThat(budgets.keyStatus(key).spent()).isEqualTo(900);

        assertThatThrownBy(() -> budgets.reserve(key, 200)).isInstanceOfSatisfying(GatewayException.class, e -> {
            assertThat(e.kind()).isEqualTo(ErrorKind.INSUFFICIENT_QUOTA);
            assertThat(e.getMessage()).contains("has used 900 of its 1000 credits today")
                    .contains("starts afresh at 2026-12-05T23:00:00Z");
            assertThat(e.retryAfter()).isEqualTo(Duration.ofMinutes(2));
        });

        clock.now.set(Instant.parse("2026-12-05T23:00:00Z")); // midnight in Berlin, 23:00 in UTC
        assertThat(budgets.keyStatus(key).spent()).isZero();
        assertThat(budgets.keyStatus(key).resetsAt()).isEqualTo(Instant.parse("2026-12-06T23:00:00Z"));
        Budgets.Reservation next = budgets.reserve(key, 200);
        spend("night-owl", 150);
        next.settle(150);
        // the store's own sum of the new day, once read again, holds only the new day's spend
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(budgets.keyStatus(key).spent()).isEqualTo(150);
            assertThat(ledger.store().summary(dev.switchboard.usage.UsageStore.Grouping.KEY, null, null).collectList().block())
                    .singleElement().satisfies(s -> assertThat(s.credits()).isEqualTo(1050));
        });
        clock.now.set(Instant.parse("2026-12-05T23:00:02Z"));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(budgets.keyStatus(key).spent()).isEqualTo(150));
    }

    @Test
    void fiftyConcurrentReservationsAgainstABudgetThatFitsTenAdmitExactlyTen() throws Exception {
        ClientKey key = daily("crowd", 10 * 228);
        ExecutorService pool = Executors.newFixedThreadPool(50);
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<Budgets.Reservation> admitted = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> refused = new ConcurrentLinkedQueue<>();
        List<java.util.concurrent.Future<?>> done = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            done.add(pool.submit(() -> {
                start.await();
                try {
                    admitted.add(budgets.reserve(key, 228));
                } catch (GatewayException e) {
                    refused.add(e);
                }
                return null;
            }));
        }
        start.countDown();
        for (var f : done) f.get(10, TimeUnit.SECONDS);
        pool.shutdown();
        assertThat(admitted).hasSize(10);
        assertThat(refused).hasSize(40).allSatisfy(e -> assertThat(((GatewayException) e).kind()).isEqualTo(ErrorKind.INSUFFICIENT_QUOTA));
        assertThat(budgets.keyStatus(key).reserved()).isEqualTo(2280);

        for (Budgets.Reservation r : admitted) {
            spend("crowd", 213);
            r.settle(213);
        }
        assertThat(budgets.keyStatus(key).reserved()).isZero();
        assertThat(budgets.keyStatus(key).spent()).isEqualTo(2130);
        assertThat(meters.counter("switchboard.budget.overshoot").count()).isZero();
        assertThatThrownBy(() -> budgets.reserve(key, 228)).isInstanceOf(GatewayException.class);
        assertThat(meters.get("switchboard.budget.spent").tag("budget", "crowd").gauge().value()).isEqualTo(2130);
        assertThat(meters.get("switchboard.budget.resets").tag("budget", "crowd").gauge().value())
                .isEqualTo(Instant.parse("2026-12-05T23:00:00Z").getEpochSecond());
    }

    @Test
    void requestsThatCostMoreThanTheyReservedAreTheOnlyOvershootAndItIsCounted() {
        ClientKey key = daily("underestimated", 1000);
        Budgets.Reservation a = budgets.reserve(key, 400);
        Budgets.Reservation b = budgets.reserve(key, 400);
        assertThatThrownBy(() -> budgets.reserve(key, 400)).isInstanceOf(GatewayException.class);
        spend("underestimated", 700);
        a.settle(700);
        spend("underestimated", 650);
        b.settle(650);
        assertThat(budgets.keyStatus(key).spent()).isEqualTo(1350);
        assertThat(meters.counter("switchboard.budget.overshoot").count()).isEqualTo(350);
        a.settle(700); // once only
        assertThat(meters.counter("switchboard.budget.overshoot").count()).isEqualTo(350);
    }

    @Test
    void aTeamsKeysShareItsBudgetAndARequestMustPassBoth() {
        Team team = new Team("research", 1000L, BudgetPeriod.DAILY, KeyLimits.NONE, Map.of());
        teams.put("research", List.of("alice", "bob"));
        ClientKey alice = new ClientKey("alice", 5000L, BudgetPeriod.DAILY, KeyLimits.NONE, List.of(), team);
        ClientKey bob = new ClientKey("bob", null, BudgetPeriod.NONE, KeyLimits.NONE, List.of(), team);
        Budgets.Reservation r = budgets.reserve(alice, 500);
        spend("alice", 500);
        r.settle(500);
        Budgets.Reservation held = budgets.reserve(bob, 400);
        assertThat(budgets.teamStatus(team).reserved()).isEqualTo(400);
        assertThatThrownBy(() -> budgets.reserve(alice, 200)).isInstanceOfSatisfying(GatewayException.class,
                e -> assertThat(e.getMessage()).startsWith("The team of key 'alice' has used 500 of its 1000 credits today"));
        assertThat(budgets.keyStatus(alice).reserved()).as("the key's hold was given back when the team refused").isZero();
        held.settle(0);
        budgets.reserve(alice, 200).settle(0);
    }
}
