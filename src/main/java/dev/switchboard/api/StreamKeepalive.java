package dev.switchboard.api;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.function.BooleanSupplier;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.util.concurrent.Ticker;
import org.reactivestreams.Subscription;
import reactor.core.CoreSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.FluxOperator;
import reactor.core.publisher.Operators;
import reactor.util.concurrent.Queues;
import reactor.util.context.Context;

/**
 * An SSE comment ({@code : keepalive}) on a stream that has been silent for a while. Load balancers cut a
 * connection idle for 60 s or less (AWS ALB, nginx, Cloudflare), and a reasoning model may think for longer
 * than that before its next event; clients ignore comments. The stream's items are whole events, and a
 * comment goes only between two of them, never inside one. None follows the answer's closing event.
 * <p>
 * One sweep per event loop, four times a silence, looks at every stream of the client connections on that
 * loop: a timer for each stream woke its event loop at every tick of every stream, which cost a held stream's
 * events more than all else the gateway does with them (docs/benchmark.md). A comment the sweep finds due goes
 * into the stream as one of its items, as the client's demand allows; an event that comes while the client
 * has no demand left for it, its demand taken by a comment, waits for the next.
 */
final class StreamKeepalive {
    static final byte[] COMMENT = ": keepalive\n\n".getBytes(StandardCharsets.US_ASCII);

    private final long silenceNanos;
    private final long sweepNanos;
    private final Map<EventLoop, Sweep> sweeps = new ConcurrentHashMap<>();

    /** @param silence how long a stream may say nothing before a comment goes; zero or negative: never */
    StreamKeepalive(Duration silence) {
        this.silenceNanos = silence.toNanos();
        // a comment goes between one and one and a quarter silences after the last byte
        this.sweepNanos = Math.max(silenceNanos / 4, TimeUnit.MILLISECONDS.toNanos(10));
    }

    /** Whether comments go at all: a silence of zero or less turns them off. */
    boolean on() {
        return silenceNanos > 0;
    }

    /** How long a stream waits silent, for its answer or its next event, before a comment goes. */
    Duration silence() {
        return Duration.ofNanos(silenceNanos);
    }

    /**
     * The stream's events, with a comment after each silence.
     *
     * @param loop     the client connection's event loop, whose sweep watches the stream (and whose clock times it)
     * @param answered whether the client has had the answer's closing event
     */
    Flux<ByteBuf> around(Flux<ByteBuf> events, EventLoop loop, BooleanSupplier answered) {
        if (!on() || loop == null) return events;
        return new KeptAlive(events, sweeps.computeIfAbsent(loop, Sweep::new), answered);
    }

    private final class KeptAlive extends FluxOperator<ByteBuf, ByteBuf> {
        private final Sweep sweep;
        private final BooleanSupplier answered;

        KeptAlive(Flux<ByteBuf> events, Sweep sweep, BooleanSupplier answered) {
            super(events);
            this.sweep = sweep;
            this.answered = answered;
        }

        @Override
        public void subscribe(CoreSubscriber<? super ByteBuf> actual) {
            Watch watch = new Watch(actual, answered, sweep.loop.ticker());
            source.subscribe(watch);
            sweep.add(watch.slot);
        }
    }

    /**
     * One stream: its events passed on, and a comment when the sweep finds it silent. Whatever reaches the
     * client goes through {@link #drain}, which one thread at a time runs: the events' thread or the sweep's.
     */
    private final class Watch implements CoreSubscriber<ByteBuf>, Subscription {
        private static final AtomicLongFieldUpdater<Watch> REQUESTED = AtomicLongFieldUpdater.newUpdater(Watch.class, "requested");
        private static final AtomicIntegerFieldUpdater<Watch> WIP = AtomicIntegerFieldUpdater.newUpdater(Watch.class, "wip");
        private static final VarHandle LAST_SENT;

        static {
            try {
                LAST_SENT = MethodHandles.lookup().findVarHandle(Watch.class, "lastSent", long.class);
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }

        private final CoreSubscriber<? super ByteBuf> actual;
        private final BooleanSupplier answered;
        private final Ticker clock;
        /** Where the sweep finds this stream: emptied as the stream ends, see {@link Slot}. */
        final Slot slot = new Slot(this);
        private Subscription upstream;
        volatile long requested;
        volatile int wip;
        /** Events the client had no demand for; made only when one comes. */
        private volatile Queue<ByteBuf> waiting;
        private volatile boolean done;
        private volatile boolean cancelled;
        private volatile boolean commentDue;
        private Throwable error;
        private boolean terminated;
        /** When the last item went, set on whichever thread sends it and read by the sweep: opaque, no fence an event. */
        @SuppressWarnings("unused")
        private long lastSent;

        Watch(CoreSubscriber<? super ByteBuf> actual, BooleanSupplier answered, Ticker clock) {
            this.actual = actual;
            this.answered = answered;
            this.clock = clock;
            LAST_SENT.setOpaque(this, clock.nanoTime());
        }

        @Override
        public Context currentContext() {
            return actual.currentContext();
        }

        @Override
        public void onSubscribe(Subscription s) {
            if (Operators.validate(upstream, s)) {
                upstream = s;
                actual.onSubscribe(this);
            }
        }

        @Override
        public void onNext(ByteBuf event) {
            if (done || cancelled) {
                ReferenceCountUtil.safeRelease(event);
                return;
            }
            if (wip == 0 && WIP.compareAndSet(this, 0, 1)) {
                Queue<ByteBuf> queue = waiting;
                if (requested != 0 && (queue == null || queue.isEmpty())) send(event);
                else waitingQueue().offer(event);
                if (WIP.decrementAndGet(this) == 0) return;
            } else {
                waitingQueue().offer(event);
                if (WIP.getAndIncrement(this) != 0) return;
            }
            drainLoop();
        }

        @Override
        public void onError(Throwable failure) {
            error = failure;
            done = true;
            slot.watch = null;
            drain();
        }

        @Override
        public void onComplete() {
            done = true;
            slot.watch = null;
            drain();
        }

        @Override
        public void request(long n) {
            if (Operators.validate(n)) {
                Operators.addCap(REQUESTED, this, n);
                upstream.request(n);
                drain();
            }
        }

        @Override
        public void cancel() {
            if (cancelled) return;
            cancelled = true;
            slot.watch = null;
            upstream.cancel();
            drain();
        }

        /** The sweep's look: a comment is due after a silence, unless the answer is whole. */
        void sweep(long now) {
            if (now - (long) LAST_SENT.getOpaque(this) >= silenceNanos && !answered.getAsBoolean()) {
                commentDue = true;
                drain();
            }
        }

        private Queue<ByteBuf> waitingQueue() {
            Queue<ByteBuf> queue = waiting;
            if (queue == null) waiting = queue = Queues.<ByteBuf>unbounded(Queues.XS_BUFFER_SIZE).get();
            return queue;
        }

        private void send(ByteBuf item) {
            LAST_SENT.setOpaque(this, clock.nanoTime());
            if (requested != Long.MAX_VALUE) REQUESTED.decrementAndGet(this);
            actual.onNext(item);
        }

        private void drain() {
            if (WIP.getAndIncrement(this) == 0) drainLoop();
        }

        private void drainLoop() {
            int missed = 1;
            for (;;) {
                Queue<ByteBuf> queue = waiting;
                if (cancelled) {
                    // the client left: what waited for it is released here, and so is what comes after
                    ByteBuf left;
                    while (queue != null && (left = queue.poll()) != null) ReferenceCountUtil.safeRelease(left);
                } else {
                    ByteBuf next;
                    while (requested != 0 && queue != null && (next = queue.poll()) != null) send(next);
                    boolean finished = done;
                    boolean empty = queue == null || queue.isEmpty();
                    if (finished && empty) {
                        if (!terminated) {
                            terminated = true;
                            if (error != null) actual.onError(error);
                            else actual.onComplete();
                        }
                    } else if (commentDue && empty && requested != 0) {
                        commentDue = false;
                        // the sweep's look may be a moment old: an event since then, or the closing one, is enough
                        if (clock.nanoTime() - (long) LAST_SENT.getOpaque(this) >= silenceNanos && !answered.getAsBoolean()) {
                            send(Unpooled.wrappedBuffer(COMMENT)); // a wrapped constant: nothing to release if never written
                        }
                    }
                }
                missed = WIP.addAndGet(this, -missed);
                if (missed == 0) return;
            }
        }
    }

    /**
     * A stream in its sweep's list. The sweep drops an ended stream only at its next run, a quarter silence
     * later; the slot lets go of the stream at once, so that the list holds for that while an empty slot, not
     * all a finished exchange held (with thousands of short streams a second, the list held tens of megabytes).
     */
    private static final class Slot {
        volatile Watch watch;

        Slot(Watch watch) {
            this.watch = watch;
        }
    }

    /**
     * The streams of one event loop, touched only on that loop, and the loop's one periodic task, which runs
     * while there is a stream to watch.
     */
    private final class Sweep implements Runnable {
        final EventLoop loop;
        private final ArrayList<Slot> watches = new ArrayList<>();
        private ScheduledFuture<?> task;

        Sweep(EventLoop loop) {
            this.loop = loop;
        }

        void add(Slot slot) {
            try {
                if (loop.inEventLoop()) watch(slot);
                else loop.execute(() -> watch(slot));
            } catch (RejectedExecutionException stopping) {
                // the loop is shutting down, and its connections with it: they need no keepalive
            }
        }

        private void watch(Slot slot) {
            if (task == null) task = loop.scheduleAtFixedRate(this, sweepNanos, sweepNanos, TimeUnit.NANOSECONDS);
            watches.add(slot);
        }

        @Override
        public void run() {
            long now = loop.ticker().nanoTime();
            int kept = 0;
            for (int i = 0; i < watches.size(); i++) {
                Slot slot = watches.get(i);
                Watch watch = slot.watch;
                if (watch == null) continue;
                watches.set(kept++, slot);
                watch.sweep(now);
            }
            watches.subList(kept, watches.size()).clear();
            if (watches.isEmpty()) {
                task.cancel(false);
                task = null;
            }
        }
    }
}
