package dev.switchboard.api;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import reactor.netty.NettyPipeline;

/**
 * Closes a connection whose request head (request line and headers) takes longer than the timeout to arrive,
 * counted from its first byte. The idle timeout alone does not bound this: one header byte every few seconds
 * keeps a connection from ever being idle (slowloris). Two handlers share the clock, one before the HTTP
 * codec, which sees the head's bytes arrive, and one after it, which sees the head decoded and the response
 * end; all on the connection's event loop.
 */
final class HeadReadTimeout {
    private final long timeoutNanos;
    /** Between a response's end and the next request's head: bytes now are a head's. */
    private boolean awaitingHead = true;
    private ScheduledFuture<?> timer;

    private HeadReadTimeout(Duration timeout) {
        this.timeoutNanos = timeout.toNanos();
    }

    /** Adds the two handlers around the channel's HTTP/1.1 codec. */
    static void install(Channel channel, Duration timeout) {
        if (channel.pipeline().get(NettyPipeline.HttpCodec) == null) return;
        HeadReadTimeout clock = new HeadReadTimeout(timeout);
        channel.pipeline().addBefore(NettyPipeline.HttpCodec, "switchboard.headReadStart", clock.new HeadBytes());
        channel.pipeline().addAfter(NettyPipeline.HttpCodec, "switchboard.headReadEnd", clock.new HeadDecoded());
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** Before the codec: the first byte of a head starts the clock. */
    private final class HeadBytes extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (awaitingHead && timer == null && msg instanceof ByteBuf bytes && bytes.isReadable()) {
                timer = ctx.executor().schedule(() -> {
                    timer = null;
                    if (awaitingHead) ctx.channel().close();
                }, timeoutNanos, TimeUnit.NANOSECONDS);
            }
            super.channelRead(ctx, msg);
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) throws Exception {
            cancel();
            super.channelInactive(ctx);
        }
    }

    /** After the codec: a decoded head stops the clock; the end of its response makes the next bytes a head's. */
    private final class HeadDecoded extends ChannelDuplexHandler {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof HttpRequest) {
                awaitingHead = false;
                cancel();
            }
            super.channelRead(ctx, msg);
        }

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof LastHttpContent) awaitingHead = true;
            super.write(ctx, msg, promise);
        }
    }
}
