package dev.switchboard.api;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCountUtil;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;

/**
 * An SSE comment ({@code : keepalive}) on a stream that has been silent for a while. Load balancers cut a
 * connection idle for 60 s or less (AWS ALB, nginx, Cloudflare), and a reasoning model may think for longer
 * than that before its next event; clients ignore comments. The stream's items are whole events, and a
 * comment goes only between two of them, never inside one. None follows the answer's closing event.
 */
final class StreamKeepalive {
    static final byte[] COMMENT = ": keepalive\n\n".getBytes(StandardCharsets.US_ASCII);

    private StreamKeepalive() {}

    /**
     * @param silence  how long the stream may say nothing before a comment goes; zero or negative: never
     * @param answered whether the client has had the answer's closing event
     */
    static Flux<ByteBuf> around(Flux<ByteBuf> events, Duration silence, BooleanSupplier answered, Scheduler timer) {
        if (silence.isZero() || silence.isNegative()) return events;
        long silenceNanos = silence.toNanos();
        // checked four times a silence: a comment goes between one and one and a quarter silences after the last byte
        Duration check = Duration.ofNanos(Math.max(silenceNanos / 4, Duration.ofMillis(10).toNanos()));
        return Flux.defer(() -> {
            // the timer's clock, so that a test on virtual time moves it
            AtomicLong last = new AtomicLong(timer.now(TimeUnit.NANOSECONDS));
            Sinks.Empty<Void> done = Sinks.empty();
            Flux<ByteBuf> body = events.doOnNext(b -> last.set(timer.now(TimeUnit.NANOSECONDS)))
                    .doFinally(signal -> done.tryEmitEmpty());
            // the comment is a wrapped constant: nothing to release if it is never written
            Flux<ByteBuf> comments = Flux.interval(check, check, timer)
                    .onBackpressureDrop()
                    .filter(tick -> timer.now(TimeUnit.NANOSECONDS) - last.get() >= silenceNanos && !answered.getAsBoolean())
                    .map(tick -> {
                        last.set(timer.now(TimeUnit.NANOSECONDS));
                        return Unpooled.wrappedBuffer(COMMENT);
                    })
                    .takeUntilOther(done.asMono());
            // the merge queues what the client has not taken yet; a client that leaves leaves those buffers to be
            // released here (only ByteBufs: the events are, the upstream's DataBuffers before them are not)
            return Flux.merge(body, comments).doOnDiscard(ByteBuf.class, ReferenceCountUtil::safeRelease);
        });
    }
}
