package dev.switchboard.api;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.GlobalEventExecutor;
import reactor.netty.DisposableServer;
import reactor.netty.NettyPipeline;

/**
 * Ends the client connections at shutdown the way HTTP/1.1 clients can live with. Closing a kept-alive
 * connection that looks idle races the client's next request on it, which is then lost (reset before any
 * answer); closing one after a response that did not say so does the same. So, on SIGTERM: the listening
 * socket closes (no new connections); every response from then on says {@code Connection: close} and its
 * connection closes once it is sent, so a request already received is answered and its client moves off; a
 * connection idle for a short while ({@code switchboard.shutdown-drain}) since the drain began or since its
 * last response is closed, as its client sends nothing more. Streams go on for the grace period
 * ({@code spring.lifecycle.timeout-per-shutdown-phase}); what is still open then is cut, and
 * {@link #cutting()} tells the requests that end that way.
 */
public final class ConnectionDrain {
    private static final Logger log = LoggerFactory.getLogger(ConnectionDrain.class);
    /** Set while a request's bytes have come and its response has not all gone. */
    private static final AttributeKey<Boolean> BUSY = AttributeKey.valueOf("switchboard.busy");
    /** When the connection's last response ended (or it opened): an idle connection's age. */
    private static final AttributeKey<Long> IDLE_SINCE = AttributeKey.valueOf("switchboard.idleSince");

    private final ChannelGroup connections = new DefaultChannelGroup("client-connections", GlobalEventExecutor.INSTANCE);
    private final Duration idleDrain;
    private final Duration grace;
    private volatile DisposableServer listener;
    private volatile boolean draining;
    private volatile boolean cutting;

    ConnectionDrain(Duration idleDrain, Duration grace) {
        this.idleDrain = idleDrain;
        this.grace = grace;
    }

    /** The server as bound: its listening socket is what stops taking connections. */
    void bound(DisposableServer server) {
        listener = server;
    }

    /** Adds the connection's two handlers around its HTTP/1.1 codec. */
    void install(Channel channel) {
        if (channel.pipeline().get(NettyPipeline.HttpCodec) == null) return;
        channel.attr(IDLE_SINCE).set(System.nanoTime());
        connections.add(channel);
        channel.pipeline().addBefore(NettyPipeline.HttpCodec, "switchboard.drainBytes", new RequestBytes());
        channel.pipeline().addAfter(NettyPipeline.HttpCodec, "switchboard.drainResponses", new Responses());
    }

    /** Whether the server is past its grace period: a request ending now was cut by the shutdown, not its client. */
    public boolean cutting() {
        return cutting;
    }


    /**
     * Stops taking connections and waits, up to the grace period, for every client connection to end: a busy
     * one once it has answered, an idle one once it has been idle for {@code idleDrain}; then cuts what is
     * left. Blocks the stopping thread.
     */
    void drain() {
        // the listening socket first: a client told Connection: close reconnects at once, and a connection still
        // in the socket's accept queue when it closes is reset with its request; refused, it was never sent
        DisposableServer server = listener;
        if (server != null) server.channel().close().awaitUninterruptibly(TimeUnit.SECONDS.toMillis(1));
        long start = System.nanoTime();
        draining = true;
        log.info("Draining {} client connections: no new ones are taken, responses say Connection: close", connections.size());
        long deadline = start + grace.toNanos();
        while (!connections.isEmpty() && System.nanoTime() < deadline) {
            long now = System.nanoTime();
            for (Channel c : connections) {
                long idleFrom = Math.max(start, c.attr(IDLE_SINCE).get());
                if (!Boolean.TRUE.equals(c.attr(BUSY).get()) && now - idleFrom >= idleDrain.toNanos()) c.close();
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        if (connections.isEmpty()) return;
        cutting = true;
        log.warn("Cutting {} client connections still answering after the grace period of {}", connections.size(), grace);
        connections.close().awaitUninterruptibly(TimeUnit.SECONDS.toMillis(5));
    }

    /** Before the codec: the first bytes of a request make the connection busy. */
    private static final class RequestBytes extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
            if (msg instanceof ByteBuf bytes && bytes.isReadable()) ctx.channel().attr(BUSY).set(Boolean.TRUE);
            super.channelRead(ctx, msg);
        }
    }

    /**
     * After the codec: while draining, a response's head says Connection: close, and its connection closes once
     * the response is sent. A response whose head went out before (kept alive) leaves its connection open, as
     * its client may send the next request at once: that one is answered, with Connection: close.
     */
    private final class Responses extends ChannelDuplexHandler {
        /** The response being written said Connection: close: the connection ends with it. */
        private boolean closeAfter;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof HttpResponse response && draining) {
                HttpUtil.setKeepAlive(response, false);
                closeAfter = true;
            }
            if (msg instanceof LastHttpContent) {
                ctx.channel().attr(BUSY).set(Boolean.FALSE);
                ctx.channel().attr(IDLE_SINCE).set(System.nanoTime());
                if (closeAfter) {
                    super.write(ctx, msg, promise.unvoid().addListener(ChannelFutureListener.CLOSE));
                    return;
                }
            }
            super.write(ctx, msg, promise);
        }
    }
}
