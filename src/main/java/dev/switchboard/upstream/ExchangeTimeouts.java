package dev.switchboard.upstream;

import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import dev.switchboard.config.Timeouts;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;

/**
 * Enforces an upstream's first-byte, idle and total limits for one exchange, on the connection's own event
 * loop: no timer thread, no extra operator per chunk, nothing racing the buffers in flight. Added when the
 * request is sent; Reactor Netty removes it when the connection goes back to the pool.
 */
final class ExchangeTimeouts extends ChannelDuplexHandler {
    static final String NAME = "switchboard.exchangeTimeouts";

    private final Timeouts limits;
    private long startNanos;
    private long lastReadNanos;
    private boolean anyRead;
    private ScheduledFuture<?> check;

    ExchangeTimeouts(Timeouts limits) {
        this.limits = limits;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        startNanos = System.nanoTime();
        schedule(ctx, Math.min(limits.firstByte().toNanos(), limits.total().toNanos()));
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        if (check != null) check.cancel(false);
        check = null;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        lastReadNanos = System.nanoTime();
        if (!anyRead && check != null) {
            // the first byte arrived: from now on the (usually shorter) idle limit is what is watched
            anyRead = true;
            check.cancel(false);
            long totalLeft = startNanos + limits.total().toNanos() - lastReadNanos;
            schedule(ctx, Math.min(limits.idle().toNanos(), totalLeft));
        }
        anyRead = true;
        ctx.fireChannelRead(msg);
    }

    private void schedule(ChannelHandlerContext ctx, long delayNanos) {
        check = ctx.executor().schedule(() -> check(ctx), Math.max(delayNanos, 0), TimeUnit.NANOSECONDS);
    }

    private void check(ChannelHandlerContext ctx) {
        if (check == null || !ctx.channel().isActive()) return;
        long now = System.nanoTime();
        long totalLeft = startNanos + limits.total().toNanos() - now;
        long phaseLeft = anyRead
                ? lastReadNanos + limits.idle().toNanos() - now
                : startNanos + limits.firstByte().toNanos() - now;
        if (totalLeft <= 0) {
            fail(ctx, new UpstreamTimeoutException(UpstreamTimeoutException.Phase.TOTAL, limits.total()));
        } else if (phaseLeft <= 0) {
            fail(ctx, anyRead
                    ? new UpstreamTimeoutException(UpstreamTimeoutException.Phase.IDLE, limits.idle())
                    : new UpstreamTimeoutException(UpstreamTimeoutException.Phase.FIRST_BYTE, limits.firstByte()));
        } else {
            schedule(ctx, Math.min(totalLeft, phaseLeft));
        }
    }

    private void fail(ChannelHandlerContext ctx, UpstreamTimeoutException e) {
        check = null;
        ctx.fireExceptionCaught(e);
        ctx.close();
    }
}
