package dev.switchboard.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.channel.embedded.EmbeddedChannel;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;

/**
 * The keepalive on an embedded event loop whose clock the test moves: comments only after a silence, only
 * between items and as the client's demand allows, none once answered, and the loop's sweep gone with its streams.
 */
class StreamKeepaliveTest {
    private static final Duration SILENCE = Duration.ofSeconds(15);
    private static final String COMMENT = new String(StreamKeepalive.COMMENT, StandardCharsets.US_ASCII);
    private EmbeddedChannel channel;
    private EventLoop loop;

    @BeforeEach
    void frozenLoop() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
        loop = channel.eventLoop();
    }

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    /** Moves the loop's clock on and runs what fell due; returns the delay of the next task, or -1 if none is left. */
    private long advance(Duration by) {
        channel.advanceTimeBy(by.toNanos(), TimeUnit.NANOSECONDS);
        return channel.runScheduledPendingTasks();
    }

    private static ByteBuf event(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    }

    private static String text(ByteBuf buffer) {
        try {
            return buffer.toString(StandardCharsets.UTF_8);
        } finally {
            buffer.release();
        }
    }

    @Test
    void aCommentGoesAfterEachSilenceAndTheStreamEndsWithItsSource() {
        Sinks.Many<ByteBuf> upstream = Sinks.many().unicast().onBackpressureBuffer();
        AtomicBoolean answered = new AtomicBoolean();
        List<String> seen = new CopyOnWriteArrayList<>();
        AtomicBoolean completed = new AtomicBoolean();
        new StreamKeepalive(SILENCE).around(upstream.asFlux(), loop, answered::get)
                .map(StreamKeepaliveTest::text).subscribe(seen::add, e -> { }, () -> completed.set(true));

        upstream.tryEmitNext(event("data: 1\n\n"));
        advance(SILENCE.minusSeconds(1));
        assertThat(seen).containsExactly("data: 1\n\n");
        advance(SILENCE.dividedBy(2));
        assertThat(seen).containsExactly("data: 1\n\n", COMMENT);
        advance(SILENCE.multipliedBy(5).dividedBy(4));
        assertThat(seen).as("one more silence, one more comment").containsExactly("data: 1\n\n", COMMENT, COMMENT);
        upstream.tryEmitNext(event("data: 2\n\n"));
        advance(SILENCE.dividedBy(2));
        answered.set(true);
        advance(SILENCE.multipliedBy(3));
        assertThat(seen).as("none before a silence, none once answered").containsExactly("data: 1\n\n", COMMENT, COMMENT, "data: 2\n\n");

        upstream.tryEmitComplete();
        assertThat(completed).isTrue();
        assertThat(advance(SILENCE)).as("the loop's sweep stops with its last stream").isEqualTo(-1);
    }

    @Test
    void aCommentTakesTheClientsDemandAndAnEventThatFindsNoneWaitsForMore() {
        Sinks.Many<ByteBuf> upstream = Sinks.many().unicast().onBackpressureBuffer();
        StepVerifier.create(new StreamKeepalive(SILENCE).around(upstream.asFlux(), loop, () -> false).map(StreamKeepaliveTest::text), 1)
                .then(() -> advance(SILENCE.plusSeconds(1)))
                .expectNext(COMMENT)
                .then(() -> advance(SILENCE.multipliedBy(2)))
                .then(() -> upstream.tryEmitNext(event("data: 1\n\n")))
                .as("no demand left: no further comment, and the event waits")
                .expectNoEvent(Duration.ofMillis(50))
                .thenRequest(1)
                .expectNext("data: 1\n\n")
                .then(upstream::tryEmitComplete)
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void anEventWaitingForAClientThatLeavesIsReleased() {
        Sinks.Many<ByteBuf> upstream = Sinks.many().unicast().onBackpressureBuffer();
        ByteBuf waiting = event("data: 1\n\n");
        StepVerifier.create(new StreamKeepalive(SILENCE).around(upstream.asFlux(), loop, () -> false).map(StreamKeepaliveTest::text), 1)
                .then(() -> advance(SILENCE.plusSeconds(1)))
                .expectNext(COMMENT)
                .then(() -> upstream.tryEmitNext(waiting))
                .thenCancel()
                .verify(Duration.ofSeconds(10));
        assertThat(waiting.refCnt()).isZero();
    }

    /** The sweep drops an ended stream only at its next run; until then it must not hold the exchange that stream served. */
    @Test
    void aStreamThatEndedIsNotHeldUntilTheNextSweep() throws InterruptedException {
        StreamKeepalive keepalive = new StreamKeepalive(SILENCE);
        java.lang.ref.WeakReference<Object> client = endedStream(keepalive);
        for (int i = 0; i < 100 && client.get() != null; i++) {
            System.gc();
            Thread.sleep(10);
        }
        assertThat(client.get()).as("the client's subscriber, collected before any sweep").isNull();
        assertThat(advance(SILENCE)).as("the sweep still ran, and stopped").isEqualTo(-1);
    }

    private java.lang.ref.WeakReference<Object> endedStream(StreamKeepalive keepalive) {
        reactor.core.publisher.BaseSubscriber<ByteBuf> client = new reactor.core.publisher.BaseSubscriber<>() { };
        keepalive.around(reactor.core.publisher.Flux.empty(), loop, () -> false).subscribe(client);
        assertThat(client.isDisposed()).isTrue();
        return new java.lang.ref.WeakReference<>(client);
    }

    @Test
    void zeroTurnsItOff() {
        Sinks.Many<ByteBuf> upstream = Sinks.many().unicast().onBackpressureBuffer();
        assertThat(new StreamKeepalive(Duration.ZERO).around(upstream.asFlux(), loop, () -> false)).isSameAs(upstream.asFlux());
    }
}
