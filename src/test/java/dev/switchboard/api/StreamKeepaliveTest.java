package dev.switchboard.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import reactor.core.publisher.Sinks;
import reactor.test.StepVerifier;
import reactor.test.scheduler.VirtualTimeScheduler;

/** The keepalive on virtual time: comments only after a silence, only between items, none once answered. */
class StreamKeepaliveTest {
    private static final Duration SILENCE = Duration.ofSeconds(15);

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
        VirtualTimeScheduler time = VirtualTimeScheduler.create();
        Sinks.Many<ByteBuf> upstream = Sinks.many().unicast().onBackpressureBuffer();
        AtomicBoolean answered = new AtomicBoolean();
        String comment = new String(StreamKeepalive.COMMENT, StandardCharsets.US_ASCII);
        StepVerifier.withVirtualTime(() -> StreamKeepalive.around(upstream.asFlux(), SILENCE, answered::get, time).map(StreamKeepaliveTest::text), () -> time, Long.MAX_VALUE)
                .then(() -> upstream.tryEmitNext(event("data: 1\n\n")))
                .expectNext("data: 1\n\n")
                .expectNoEvent(SILENCE.minusSeconds(1))
                .thenAwait(SILENCE.dividedBy(2))
                .expectNext(comment)
                .thenAwait(SILENCE.multipliedBy(5).dividedBy(4))
                .expectNext(comment)
                .then(() -> upstream.tryEmitNext(event("data: 2\n\n")))
                .expectNext("data: 2\n\n")
                .expectNoEvent(SILENCE.dividedBy(2))
                .then(() -> answered.set(true))
                .expectNoEvent(SILENCE.multipliedBy(3))
                .then(upstream::tryEmitComplete)
                .expectComplete()
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void eventsQueuedForAClientThatLeavesAreReleased() {
        java.util.List<ByteBuf> events = new java.util.ArrayList<>();
        for (int i = 0; i < 5; i++) events.add(event("data: " + i + "\n\n"));
        StepVerifier.create(StreamKeepalive.around(reactor.core.publisher.Flux.fromIterable(events), SILENCE, () -> false,
                        VirtualTimeScheduler.create()), 1)
                .assertNext(first -> first.release())
                .thenCancel()
                .verify(Duration.ofSeconds(5));
        assertThat(events).as("every event released, taken or not").allSatisfy(e -> assertThat(e.refCnt()).isZero());
    }

    @Test
    void zeroTurnsItOff() {
        Sinks.Many<ByteBuf> upstream = Sinks.many().unicast().onBackpressureBuffer();
        assertThat(StreamKeepalive.around(upstream.asFlux(), Duration.ZERO, () -> false, VirtualTimeScheduler.create()))
                .isSameAs(upstream.asFlux());
    }
}
