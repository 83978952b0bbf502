package dev.switchboard.support;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.springframework.boot.reactor.netty.NettyServerCustomizer;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import reactor.netty.NettyPipeline;

/**
 * How each response left the gateway's server: the HTTP messages Reactor Netty wrote and the flushes between
 * them, by request id. Each flush of a socket is a send to the client, so "one response, one write" can be
 * checked here without timing anything.
 */
@TestConfiguration(proxyBeanMethods = false)
public class ResponseWrites {
    public static final String HEAD = "head";
    public static final String FULL = "full response";
    public static final String CONTENT = "content";
    public static final String LAST = "last content";
    public static final String FLUSH = "flush";

    private static final Map<String, List<String>> WRITES = new ConcurrentHashMap<>();

    /** What was written for the response carrying this x-request-id, in order; empty if none was seen. */
    public static List<String> of(String requestId) {
        return List.copyOf(WRITES.getOrDefault(requestId, List.of()));
    }

    @Bean
    NettyServerCustomizer responseWritesRecorder() {
        // after the codec, so the handler sees HTTP messages rather than the bytes they were encoded to
        return server -> server.doOnChannelInit((observer, channel, address) ->
                channel.pipeline().addAfter(NettyPipeline.HttpCodec, "it.responseWrites", new Recorder()));
    }

    /** One per connection: a keep-alive connection writes its responses one after another. */
    private static final class Recorder extends ChannelOutboundHandlerAdapter {
        private List<String> current;

        @Override
        public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) throws Exception {
            if (msg instanceof HttpResponse response) {
                String id = response.headers().get("x-request-id");
                current = id == null ? null : WRITES.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>());
            }
            if (current != null) {
                if (msg instanceof FullHttpResponse) current.add(FULL);
                else if (msg instanceof HttpResponse) current.add(HEAD);
                else if (msg instanceof LastHttpContent) current.add(LAST);
                else if (msg instanceof HttpContent || msg instanceof ByteBuf) current.add(CONTENT); // a body chunk Reactor Netty writes raw
                else current.add(msg.getClass().getSimpleName());
            }
            super.write(ctx, msg, promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) throws Exception {
            if (current != null) current.add(FLUSH);
            super.flush(ctx);
        }
    }
}
