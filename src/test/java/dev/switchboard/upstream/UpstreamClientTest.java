package dev.switchboard.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;

import dev.switchboard.config.AuthStyle;
import dev.switchboard.config.Protocol;
import dev.switchboard.config.StreamUsage;
import dev.switchboard.config.Timeouts;
import dev.switchboard.config.Upstream;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpResources;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.LoopResources;

/** The upstream client against a real loopback HTTP server: which thread an exchange runs on, and its connections. */
class UpstreamClientTest {
    private final LoopResources upstreamLoops = LoopResources.create("test-upstream", 1, true);
    /** The remote ports of the connections the upstream has seen, one per connection. */
    private final Set<Integer> upstreamConnections = ConcurrentHashMap.newKeySet();
    private DisposableServer server;
    private UpstreamClient client;

    @BeforeEach
    void start() {
        server = HttpServer.create().host("127.0.0.1").port(0).runOn(upstreamLoops)
                .handle((request, response) -> {
                    upstreamConnections.add(((InetSocketAddress) request.remoteAddress()).getPort());
                    return response.sendString(request.receive().aggregate().asString().map(body -> "echo " + body));
                })
                .bindNow();
        client = new UpstreamClient(new Upstream("u", Protocol.OPENAI, URI.create("http://127.0.0.1:" + server.port() + "/v1"),
                AuthStyle.NONE, "", null, null, Map.of(), Timeouts.DEFAULTS, StreamUsage.INJECT, true));
    }

    @AfterEach
    void stop() {
        client.close();
        server.disposeNow();
        upstreamLoops.disposeLater().block(Duration.ofSeconds(5));
    }

    /**
     * Requests sent in turn from each of the gateway's event loops: every answer comes back on the loop that
     * asked, so no exchange hands work to another thread. A pool shared by all loops gives the second loop the
     * first loop's idle connection, and its answer arrives on the first loop.
     */
    @Test
    void eachExchangeRunsOnTheEventLoopThatSentIt() {
        EventLoopGroup loops = HttpResources.get().onClient(LoopResources.hasNativeSupport());
        List<EventExecutor> each = new ArrayList<>();
        loops.forEach(each::add);
        assertThat(each).hasSizeGreaterThan(1);
        for (int round = 0; round < 3; round++) {
            for (EventExecutor loop : each) {
                Thread[] sender = new Thread[1];
                Thread[] answeredOn = new Thread[1];
                String answer = Mono.defer(() -> {
                            sender[0] = Thread.currentThread();
                            return client.post(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"),
                                    headers -> headers.setContentLength(5),
                                    DefaultDataBufferFactory.sharedInstance.wrap("hello".getBytes(StandardCharsets.UTF_8)));
                        })
                        .subscribeOn(Schedulers.fromExecutor(loop))
                        .flatMap(response -> {
                            answeredOn[0] = Thread.currentThread();
                            return DataBufferUtils.join(response.getBody()).map(buffer -> {
                                String text = buffer.toString(StandardCharsets.UTF_8);
                                DataBufferUtils.release(buffer);
                                return text;
                            });
                        })
                        .block(Duration.ofSeconds(10));
                assertThat(answer).isEqualTo("echo hello");
                assertThat(answeredOn[0]).as("the answer to a request sent from %s", sender[0]).isSameAs(sender[0]);
            }
        }
        // one kept-alive connection per loop, reused in every round
        assertThat(upstreamConnections).hasSize(each.size());
    }
}
