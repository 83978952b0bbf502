package dev.switchboard.upstream;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import dev.switchboard.config.Timeouts;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.LastHttpContent;
import reactor.netty.NettyPipeline;

/**
 * Enforces an upstream's first-byte, idle and total limits for each exchange on one connection, on the
 * connection's own event loop: no timer thread, no extra operator per chunk, nothing racing the buffers in
 * flight.
 * <p>
 * Installed once per connection and armed for each exchange, because adding and removing a handler and
 * setting and cancelling two timers per exchange is work on every request's hot path. One timer
 * at a time, moved only when a deadline comes closer: a timer left from an earlier exchange fires early at
 * worst, finds nothing due, and is set again for what is due then.
 */
final class ExchangeTimeouts extends ChannelDuplexHandler {
    static final String NAME = "switchboard.exchangeTimeouts";

    private ChannelHandlerContext ctx;
    /** The exchange in progress; null between exchanges, while the connection waits in its pool. */
    private Timeouts limits;
    private long startNanos;
    private long lastReadNanos;
    private boolean anyRead;
    private ScheduledFuture<?> timer;
    private long timerAtNanos;

    /** Arms the connection's handler for a new exchange, installing it on the connection's first one. */
    static void arm(Channel channel, Timeouts limits) {
        if (!channel.eventLoop().inEventLoop()) {
            channel.eventLoop().execute(() -> arm(channel, limits));
            return;
        }
        ChannelPipeline pipeline = channel.pipeline();
        ExchangeTimeouts handler = (ExchangeTimeouts) pipeline.get(NAME);
        if (handler == null) {
            handler = new ExchangeTimeouts();
            // after the HTTP codec, as Reactor Netty's addHandlerFirst would put it: reads are response parts. An
            // HTTP/2 exchange has a channel of its own, its stream, whose codec turns frames into those parts
            if (pipeline.get(NettyPipeline.HttpCodec) != null) pipeline.addAfter(NettyPipeline.HttpCodec, NAME, handler);
            else if (pipeline.get(NettyPipeline.H2ToHttp11Codec) != null) pipeline.addAfter(NettyPipeline.H2ToHttp11Codec, NAME, handler);
            else pipeline.addFirst(NAME, handler);
        }
        handler.arm(limits);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        limits = null;
        cancelTimer();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        limits = null;
        cancelTimer();
        ctx.fireChannelInactive();
    }

    /**
     * The response's last part ends the exchange: back in its pool, a connection is not timed (its idle time
     * is the pool's business). Ended here, on the connection's own event loop, rather than when the pool
     * reports the release: that report may come from another thread after the connection was handed to the
     * next exchange, and took that exchange's limits away.
     */
    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof LastHttpContent) {
            limits = null;
            cancelTimer();
        } else if (limits != null) {
            lastReadNanos = System.nanoTime();
            if (!anyRead) {
                // the first byte arrived: from now on the idle limit is what is watched, as well as the total
                anyRead = true;
                timeBy(earlier(lastReadNanos + limits.idle().toNanos(), startNanos + limits.total().toNanos()));
            }
        }
        ctx.fireChannelRead(msg);
    }

    /** On the connection's event loop, as everything here. */
    private void arm(Timeouts limits) {
        this.limits = limits;
        startNanos = System.nanoTime();
        anyRead = false;
        timeBy(startNanos + Math.min(limits.firstByte().toNanos(), limits.total().toNanos()));
    }

    /** Makes sure the timer fires no later than {@code deadline}; an earlier timer is left as it is. */
    private void timeBy(long deadlineNanos) {
        if (timer != null && timerAtNanos - deadlineNanos <= 0) return;
        cancelTimer();
        timerAtNanos = deadlineNanos;
        timer = ctx.executor().schedule(this::check, Math.max(deadlineNanos - System.nanoTime(), 0), TimeUnit.NANOSECONDS);
    }

    /** Of two {@link System#nanoTime} instants, the earlier (compared by difference, as nanoTime may wrap). */
    private static long earlier(long a, long b) {
        return a - b <= 0 ? a : b;
    }

    private void cancelTimer() {
        if (timer != null) timer.cancel(false);
        timer = null;
    }

    private void check() {
        timer = null;
        if (limits == null || !ctx.channel().isActive()) return;
        long now = System.nanoTime();
        long totalEnd = startNanos + limits.total().toNanos();
        long phaseEnd = anyRead ? lastReadNanos + limits.idle().toNanos() : startNanos + limits.firstByte().toNanos();
        if (totalEnd - now <= 0) {
            fail(new UpstreamTimeoutException(UpstreamTimeoutException.Phase.TOTAL, limits.total()));
        } else if (phaseEnd - now <= 0) {
            fail(anyRead
                    ? new UpstreamTimeoutException(UpstreamTimeoutException.Phase.IDLE, limits.idle())
                    : new UpstreamTimeoutException(UpstreamTimeoutException.Phase.FIRST_BYTE, limits.firstByte()));
        } else {
            timeBy(earlier(totalEnd, phaseEnd));
        }
    }

    private void fail(UpstreamTimeoutException e) {
        limits = null;
        ctx.fireExceptionCaught(e);
        ctx.close();
    }
}
