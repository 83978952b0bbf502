package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.springframework.http.HttpHeaders;

import dev.switchboard.config.AuthStyle;
import dev.switchboard.config.BudgetPeriod;
import dev.switchboard.config.HttpVersion;
import dev.switchboard.config.Price;
import dev.switchboard.config.Protocol;
import dev.switchboard.config.StreamUsage;
import dev.switchboard.config.Target;
import dev.switchboard.config.Timeouts;
import dev.switchboard.config.Upstream;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import dev.switchboard.protocol.ApiEndpoint;

/**
 * Records whose token estimate is long are built off the event loop that finished the request, and a
 * graceful stop still stores them. A Reactor single-thread scheduler stands in for the event loop: its
 * thread is, like Netty's loops under Reactor Netty, a non-blocking one.
 */
class UsageLedgerTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long LONG = TokenEstimator.COUNT_INLINE_BYTES + 1;
    private static final long SHORT = 200;

    @TempDir
    Path dir;
    private UsageStore store;
    private UsageLedger ledger;
    private Scheduler loop;

    @BeforeAll
    static void tokenizer() {
        TokenEstimator.load(); // as the application does at start-up: the loop must not read the vocabulary
    }

    @BeforeEach
    void ledger() {
        store = TestStores.sqlite(dir);
        ledger = TestStores.ledger(store, dir, new SimpleMeterRegistry());
        ledger.start();
        loop = Schedulers.newSingle("test-loop");
    }

    @AfterEach
    void stop() {
        ledger.stop();
        loop.dispose();
    }

    @Test
    void aLongEstimateIsBuiltOffTheLoopAndAShortOneWhereItIsCalled() throws Exception {
        Thread loopThread = onLoop(Thread::currentThread);
        AtomicReference<Thread> longBuiltOn = new AtomicReference<>();
        AtomicReference<Thread> shortBuiltOn = new AtomicReference<>();
        AtomicReference<Thread> longOffLoopBuiltOn = new AtomicReference<>();
        String a = UUID.randomUUID().toString(), b = UUID.randomUUID().toString(), c = UUID.randomUUID().toString();

        onLoop(() -> {
            ledger.record(LONG, built(longBuiltOn, a));
            ledger.record(SHORT, built(shortBuiltOn, b));
            return null;
        });
        ledger.record(LONG, built(longOffLoopBuiltOn, c)); // the test's own thread may block: no hop needed
        ledger.stop();

        assertThat(longBuiltOn.get()).isNotNull().isNotSameAs(loopThread);
        assertThat(longBuiltOn.get().getName()).startsWith("token-count");
        assertThat(shortBuiltOn.get()).isSameAs(loopThread);
        assertThat(longOffLoopBuiltOn.get()).isSameAs(Thread.currentThread());
        assertThat(stored()).containsExactlyInAnyOrder(a, b, c);
    }

    @Test
    void aGracefulStopWaitsForARecordStillBeingCounted() throws Exception {
        CountDownLatch counting = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        String id = UUID.randomUUID().toString();
        onLoop(() -> {
            ledger.record(LONG, () -> {
                counting.countDown();
                await(release);
                return record(id);
            });
            return null;
        });
        assertThat(counting.await(10, TimeUnit.SECONDS)).isTrue();

        Thread stopping = Thread.ofPlatform().start(ledger::stop);
        stopping.join(300);
        assertThat(stopping.isAlive()).as("stop() waits while a record is still being built").isTrue();
        release.countDown();
        stopping.join(WAIT.toMillis());
        assertThat(stopping.isAlive()).isFalse();
        assertThat(stored()).containsExactly(id);
    }

    /**
     * A key's spend, today's and in all, never reads lower than what it was recorded using while the writer
     * moves written records from the unwritten tally into the known figures. Read known figures first and the
     * unwritten tally after, a read that straddled the move saw the records in neither, and a budget let a
     * request through on credits already spent.
     */
    @Test
    void aKeysSpendNeverReadsLowerThanWhatWasRecordedWhileTheWriterMovesIt() {
        ledger.trackPeriods(List.of(BudgetPeriod.DAILY));
        // Awaitility's by name: the class has an await of its own for latches
        Awaitility.await().atMost(WAIT).until(() -> ledger.spent("team-a", BudgetPeriod.DAILY) >= 0);
        long recorded = 0;
        long deadline = System.nanoTime() + Duration.ofSeconds(3).toNanos();
        for (int i = 0; i < 100_000 && System.nanoTime() < deadline; i++) {
            ledger.record(record("req-" + i));
            recorded += 10;
            for (int read = 0; read < 50; read++) {
                long today = ledger.spent("team-a", BudgetPeriod.DAILY);
                long all = ledger.used("team-a");
                if (today < recorded || all < recorded) {
                    throw new AssertionError("after " + recorded + " credits recorded, today's spend read " + today + " and all of it " + all);
                }
            }
        }
        assertThat(recorded).isPositive();
    }

    @Test
    void theStoreGetsEachRecordWholeAsItWasQueued() {
        // every field the event loop queued is what the store keeps
        List<UsageRecord> queued = new java.util.ArrayList<>();
        for (int i = 0; i < 50; i++) {
            queued.add(new UsageRecord(RecordId.next(), "req-" + i, Instant.parse("2026-12-06T10:00:00.123456Z").plusSeconds(i), "team-" + i % 3,
                    i % 2 == 0 ? ApiEndpoint.MESSAGES : ApiEndpoint.RESPONSES, "m" + i % 4, "up-" + i % 2, i % 5 == 0 ? null : "model-" + i,
                    i % 2 == 0, 200 + i, i % 3 == 0 ? Outcome.CLIENT_CANCELLED : Outcome.OK, 1 + i % 3, 100 + i, 20 + i, i, 2 * i, 3 * i,
                    i % 2 == 0 ? UsageSource.UPSTREAM : UsageSource.ESTIMATED, new BigDecimal("0.000123"), 124 + i,
                    i % 2 == 0 ? null : new BigDecimal("0.0001"), i % 3 == 0 ? new BigDecimal("12.5") : null, 12 + i, i % 2 == 0 ? null : 40L + i));
        }
        onLoop(() -> {
            queued.forEach(ledger::record);
            return null;
        });
        ledger.stop();

        List<UsageRecord> stored = store.find(null, null, null, null, null, 100).collectList().block(WAIT);
        assertThat(stored).usingRecursiveFieldByFieldElementComparator().containsExactlyInAnyOrderElementsOf(queued);
    }

    @Test
    void aRecordNeedsCountingOnlyWhenATargetAnsweredWithoutUsage() {
        Upstream upstream = new Upstream("u", Protocol.OPENAI, URI.create("http://127.0.0.1:1/v1"), AuthStyle.BEARER, "sk",
                null, null, Map.of(), Timeouts.DEFAULTS, StreamUsage.INJECT, HttpVersion.HTTP_1_1, true);
        Target target = new Target(upstream, "m", new Price(BigDecimal.ONE, BigDecimal.ONE, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO));
        byte[] request = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}".getBytes(StandardCharsets.UTF_8);
        byte[] withoutUsage = "{\"choices\":[{\"message\":{\"content\":\"hello there\"}}]}".getBytes(StandardCharsets.UTF_8);
        byte[] withUsage = "{\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2}}".getBytes(StandardCharsets.UTF_8);

        UsageMeter refused = new UsageMeter(Protocol.OPENAI);
        refused.request(request);
        assertThat(refused.estimateBytes()).as("no target answered").isZero();

        UsageMeter reported = new UsageMeter(Protocol.OPENAI);
        reported.request(request);
        reported.target(target);
        reported.answer(withUsage, null, new HttpHeaders());
        assertThat(reported.estimateBytes()).as("the upstream's usage is used").isZero();

        UsageMeter estimated = new UsageMeter(Protocol.OPENAI);
        estimated.request(request);
        estimated.target(target);
        estimated.answer(withoutUsage, null, new HttpHeaders());
        assertThat(estimated.estimateBytes()).isEqualTo(request.length + withoutUsage.length);
    }

    private <T> T onLoop(Supplier<T> work) {
        return Mono.fromSupplier(work).subscribeOn(loop).block(WAIT);
    }

    private static Supplier<UsageRecord> built(AtomicReference<Thread> on, String requestId) {
        return () -> {
            on.set(Thread.currentThread());
            return record(requestId);
        };
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private List<String> stored() {
        return store.find(null, null, null, null, null, 100).map(UsageRecord::requestId).collectList().block(WAIT);
    }

    private static UsageRecord record(String requestId) {
        return new UsageRecord(RecordId.next(), requestId, Instant.now(), "team-a", ApiEndpoint.CHAT_COMPLETIONS, "m1", "up",
                "model-x", false, 200, Outcome.OK, 1, 100, 20, 0, 0, 0, UsageSource.ESTIMATED, new BigDecimal("0.0001"), 10,
                null, null, 12, null);
    }

    @Test
    void budgetsSaturateAndAGrantThatWouldOverflowIsRefused() {
        assertThat(UsageLedger.saturatedSum(Long.MAX_VALUE - 1, 5)).isEqualTo(Long.MAX_VALUE);
        assertThat(UsageLedger.saturatedSum(3, 4)).isEqualTo(7);
        UsageLedger ledger = TestStores.ledger(TestStores.sqlite(dir.resolve("overflow")), dir.resolve("overflow"), new SimpleMeterRegistry());
        dev.switchboard.config.ClientKey nearlyFull = new dev.switchboard.config.ClientKey("full", Long.MAX_VALUE - 10);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ledger.grant(nearlyFull, 100))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("add:");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ledger.grant(nearlyFull, UsageLedger.MAX_GRANT + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("add:");
    }
}
