package dev.switchboard.upstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.lang.ref.WeakReference;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.commons.logging.LogFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.util.unit.DataSize;

import dev.switchboard.config.AuthStyle;
import dev.switchboard.config.GatewayProperties;
import dev.switchboard.config.HttpVersion;
import dev.switchboard.config.Protocol;
import dev.switchboard.config.StreamUsage;
import dev.switchboard.config.Timeouts;
import dev.switchboard.config.Upstream;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoopGroup;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.util.concurrent.EventExecutor;
import reactor.core.publisher.BaseSubscriber;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.core.Exceptions;
import reactor.netty.Connection;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.HttpResources;
import reactor.netty.http.client.PrematureCloseException;
import reactor.netty.http.server.HttpServer;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import reactor.netty.resources.LoopResources;

/** The upstream client against a real loopback HTTP server: which thread an exchange runs on, its connections, and its timeouts. */
class UpstreamClientTest {
    static {
        // commons-logging reads its service files on first use; the application does that at start-up, here it
        // is done on the test's thread rather than on the event loop where the answers are joined
        LogFactory.getLog(UpstreamClientTest.class);
    }

    private final LoopResources upstreamLoops = LoopResources.create("test-upstream", 1, true);
    /** The remote ports of the connections the upstream has seen, one per connection. */
    private final Set<Integer> upstreamConnections = ConcurrentHashMap.newKeySet();
    /** Completes when the upstream's side of a /v1/stall exchange closes (over HTTP/2, its stream). */
    private final CompletableFuture<Void> stallClosed = new CompletableFuture<>();
    /** The HTTP versions the upstream was spoken to in. */
    private final Set<String> upstreamProtocols = ConcurrentHashMap.newKeySet();
    /** The requests to /v1/close and /v1/close-once the upstream has seen. */
    private final AtomicInteger closeRequests = new AtomicInteger();
    private final AtomicInteger closeOnceRequests = new AtomicInteger();
    /** The requests the clients made here said they sent again. */
    private final AtomicInteger resends = new AtomicInteger();
    private DisposableServer server;
    private final List<UpstreamClient> clients = new ArrayList<>();
    private UpstreamClient client;

    @BeforeEach
    void start() {
        // HTTP/1.1, and h2c for a client that opens with HTTP/2's preface
        server = HttpServer.create().host("127.0.0.1").port(0).runOn(upstreamLoops).protocol(HttpProtocol.HTTP11, HttpProtocol.H2C)
                .handle((request, response) -> {
                    // an HTTP/2 stream's remote address is its connection's
                    upstreamConnections.add(((InetSocketAddress) request.remoteAddress()).getPort());
                    upstreamProtocols.add(request.protocol());
                    return switch (request.path()) {
                        // answers after 2 s; every test that asks it gives up sooner
                        case "v1/slow" -> request.receive().then(Mono.delay(Duration.ofSeconds(2)))
                                .then(response.sendString(Mono.just("late")).then());
                        // the head and a first part at once, the rest 2 s later
                        case "v1/stall" -> request.receive().then(Mono.fromRunnable(() -> response.withConnection(
                                        connection -> connection.onDispose(() -> stallClosed.complete(null)))))
                                .thenMany(response.sendString(Flux.concat(
                                Mono.just("first "), Mono.delay(Duration.ofSeconds(2)).map(i -> "rest")))).then();
                        // closed on the request's arrival, unanswered, as by a server whose keep-alive timeout
                        // for the connection ran out just then
                        case "v1/close" -> {
                            closeRequests.incrementAndGet();
                            yield closeUnanswered(request, response);
                        }
                        // the same the first time, answered after
                        case "v1/close-once" -> closeOnceRequests.incrementAndGet() == 1
                                ? closeUnanswered(request, response) : echo(request, response);
                        default -> echo(request, response);
                    };
                })
                .bindNow();
        client = client(Timeouts.DEFAULTS);
    }

    private static Mono<Void> echo(HttpServerRequest request, HttpServerResponse response) {
        return response.sendString(request.receive().aggregate().asString().map(body -> "echo " + body)).then();
    }

    /** The request read, and its connection closed without an answer. */
    private static Mono<Void> closeUnanswered(HttpServerRequest request, HttpServerResponse response) {
        return request.receive().then(Mono.fromRunnable(() -> response.withConnection(Connection::dispose)));
    }

    /** A client for the test server's upstream with these limits; closed after the test. */
    private UpstreamClient client(Timeouts timeouts) {
        return client(timeouts, HttpVersion.HTTP_1_1);
    }

    private UpstreamClient client(Timeouts timeouts, HttpVersion version) {
        UpstreamClient made = new UpstreamClient(new Upstream("u", Protocol.OPENAI, URI.create("http://127.0.0.1:" + server.port() + "/v1"),
                AuthStyle.NONE, "", null, null, Map.of(), timeouts, StreamUsage.INJECT, version, true), 20_000, resends::incrementAndGet);
        clients.add(made);
        return made;
    }

    /** The whole answer to a POST of "hello" to {@code path}, from the calling thread (the client's shared pool). */
    private String call(UpstreamClient on, String path) {
        return on.post(URI.create("http://127.0.0.1:" + server.port() + path), headers -> headers.setInt(HttpHeaderNames.CONTENT_LENGTH, 5),
                        Unpooled.wrappedBuffer("hello".getBytes(StandardCharsets.UTF_8)))
                .flatMap(response -> DataBufferUtils.join(response.getBody()).map(buffer -> {
                    String text = buffer.toString(StandardCharsets.UTF_8);
                    DataBufferUtils.release(buffer);
                    return text;
                }))
                .block(Duration.ofSeconds(10));
    }

    @AfterEach
    void stop() {
        clients.forEach(UpstreamClient::close);
        server.disposeNow();
        upstreamLoops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(6));
    }

    /**
     * Requests sent in turn from each of the gateway's event loops: every answer comes back on the loop that
     * asked, so no exchange hands work to another thread. A pool shared by all loops gives the second loop the
     * first loop's idle connection, and its answer arrives on the first loop. The same over HTTP/2, where each
     * loop's exchanges are streams of that loop's own connection.
     */
    @ParameterizedTest
    @EnumSource(HttpVersion.class)
    void eachExchangeRunsOnTheEventLoopThatSentIt(HttpVersion version) {
        UpstreamClient versioned = client(Timeouts.DEFAULTS, version);
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
                            return versioned.post(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"),
                                    headers -> headers.setInt(HttpHeaderNames.CONTENT_LENGTH, 5),
                                    Unpooled.wrappedBuffer("hello".getBytes(StandardCharsets.UTF_8)));
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
        assertThat(upstreamProtocols).containsExactly(version == HttpVersion.HTTP_2 ? "HTTP/2.0" : "HTTP/1.1");
    }

    /**
     * The limits time exchanges, not connections: one that rests in its pool for longer than every limit is
     * still open and serves the next exchange. A timer left running after the first exchange would close it,
     * and the second exchange would come over a new connection.
     */
    @Test
    void aConnectionRestingInItsPoolIsNotTimedOut() throws InterruptedException {
        UpstreamClient timed = client(new Timeouts(Duration.ofSeconds(2), Duration.ofMillis(200), Duration.ofMillis(200), Duration.ofMillis(400)));
        assertThat(call(timed, "/v1/chat/completions")).isEqualTo("echo hello");
        Thread.sleep(1_000);
        assertThat(call(timed, "/v1/chat/completions")).isEqualTo("echo hello");
        assertThat(upstreamConnections).hasSize(1);
    }

    /**
     * A pool holds as many connections as it is given (the gateway gives each the client connections it takes),
     * and no more: two slow exchanges at once on a pool of one take turns on one connection; on a pool of two,
     * each has its own. A stream holds its connection as long as it lasts, so a pool too small for the streams
     * open makes the later ones wait for the earlier ones to end.
     */
    @Test
    void aPoolHoldsTheConnectionsItIsGivenAndNoMore() {
        for (int size : new int[] {1, 2}) {
            upstreamConnections.clear();
            UpstreamClient sized = new UpstreamClient(new Upstream("u", Protocol.OPENAI, URI.create("http://127.0.0.1:" + server.port() + "/v1"),
                    AuthStyle.NONE, "", null, null, Map.of(), new Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10),
                    Duration.ofSeconds(10), Duration.ofSeconds(20)), StreamUsage.INJECT, HttpVersion.HTTP_1_1, true), size, () -> {});
            clients.add(sized);
            Mono<String> slow = Mono.fromCallable(() -> call(sized, "/v1/slow")).subscribeOn(Schedulers.boundedElastic());
            var both = Mono.zip(slow, slow).block(Duration.ofSeconds(10));
            assertThat(List.of(both.getT1(), both.getT2())).containsExactly("late", "late");
            assertThat(upstreamConnections).as("connections of a pool of %d", size).hasSize(size);
        }
    }

    /**
     * A cancel that comes after the answer was read whole (a Mono's flatMap passes a client's leaving upstream
     * even then) leaves the connection, back in its pool by then, open for the next exchange. Closing it then
     * would close a connection another exchange may have taken.
     */
    @Test
    void aCancelAfterTheAnswerWasReadWholeLeavesThePooledConnectionOpen() throws InterruptedException {
        CompletableFuture<String> first = new CompletableFuture<>();
        client.post(URI.create("http://127.0.0.1:" + server.port() + "/v1/chat/completions"),
                        headers -> headers.setInt(HttpHeaderNames.CONTENT_LENGTH, 5), Unpooled.wrappedBuffer("hello".getBytes(StandardCharsets.UTF_8)))
                .flatMap(response -> DataBufferUtils.join(response.getBody()).map(buffer -> {
                    String text = buffer.toString(StandardCharsets.UTF_8);
                    DataBufferUtils.release(buffer);
                    return text;
                }))
                .subscribe(new BaseSubscriber<String>() {
                    @Override
                    protected void hookOnNext(String text) {
                        cancel(); // after the value: MonoFlatMap still cancels its source
                        first.complete(text);
                    }
                });
        assertThat(first).succeedsWithin(Duration.ofSeconds(3)).isEqualTo("echo hello");
        Thread.sleep(200); // the connection goes back to its pool just after the answer's end
        assertThat(call(client, "/v1/chat/completions")).isEqualTo("echo hello");
        assertThat(upstreamConnections).as("the second exchange on the first's connection").hasSize(1);
    }

    /**
     * A connection reused from the pool is timed again: its second exchange, a slow one, times out rather than
     * getting the upstream's answer 2 s later.
     */
    @Test
    void aReusedConnectionTimesItsNextExchange() throws InterruptedException {
        UpstreamClient timed = client(new Timeouts(Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofSeconds(10)));
        assertThat(call(timed, "/v1/chat/completions")).isEqualTo("echo hello");
        // the connection goes back to its pool just after the answer's end reached this thread
        Thread.sleep(200);
        assertThatThrownBy(() -> call(timed, "/v1/slow"))
                .isInstanceOf(UpstreamTimeoutException.class).hasMessage("no response within 300ms");
        assertThat(upstreamConnections).hasSize(1);
    }

    /**
     * A kept-alive connection its upstream closes as a request goes out over it costs a second send, on a new
     * connection, not a failure: the answer comes, and the upstream saw the request twice, on two connections.
     */
    @Test
    void aRequestLostToAKeptAliveConnectionsCloseIsSentAgainOnANewOne() throws InterruptedException {
        // the client as the gateway makes it, whose resends are a metric
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        UpstreamClients gateways = new UpstreamClients(new GatewayProperties(Path.of("switchboard.yaml"), DataSize.ofMegabytes(10),
                Duration.ofSeconds(2), Duration.ofSeconds(1), Duration.ofSeconds(1),
                new GatewayProperties.Limits(null, Duration.ofSeconds(10), Duration.ofSeconds(60), Duration.ofSeconds(60), 100),
                Duration.ofSeconds(15)), registry);
        try {
            UpstreamClient metered = gateways.of(client.upstream());
            assertThat(call(metered, "/v1/chat/completions")).isEqualTo("echo hello");
            // the connection goes back to its pool just after the answer's end reached this thread
            Thread.sleep(200);
            assertThat(call(metered, "/v1/close-once")).isEqualTo("echo hello");
            assertThat(closeOnceRequests).hasValue(2);
            assertThat(upstreamConnections).hasSize(2);
            assertThat(registry.get("switchboard.upstream.resends").tag("upstream", "u").counter().count()).isEqualTo(1.0);
        } finally {
            gateways.destroy();
        }
    }

    /**
     * Only then, and once: a new connection closed before its answer fails the exchange with the request sent
     * once (the upstream may have read it: no answer is not proof it did not); a kept-alive one closed so, whose
     * second send is closed too, fails it with the request sent twice.
     */
    @Test
    void aRequestClosedOnANewConnectionOrTwiceInARowFails() throws InterruptedException {
        assertThat(Exceptions.unwrap(catchThrowable(() -> call(client, "/v1/close")))).isInstanceOf(PrematureCloseException.class);
        assertThat(closeRequests).as("sends over a new connection").hasValue(1);
        assertThat(resends).as("resends counted").hasValue(0);
        assertThat(call(client, "/v1/chat/completions")).isEqualTo("echo hello");
        Thread.sleep(200);
        assertThat(Exceptions.unwrap(catchThrowable(() -> call(client, "/v1/close")))).isInstanceOf(PrematureCloseException.class);
        assertThat(closeRequests).as("sends over a new connection, then over a kept-alive one and once more").hasValue(3);
        assertThat(resends).as("resends counted").hasValue(1);
    }

    /**
     * Once the first byte is in, the idle limit is what is watched, even when it is shorter than the
     * first-byte limit: the stalled answer fails at the idle limit. Timed by the 5 s first-byte limit, it
     * would have ended whole after the upstream's 2 s pause.
     */
    @Test
    void aStallAfterTheFirstByteEndsAtTheIdleLimit() {
        UpstreamClient timed = client(new Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofMillis(300), Duration.ofSeconds(10)));
        assertThatThrownBy(() -> call(timed, "/v1/stall"))
                .isInstanceOf(UpstreamTimeoutException.class).hasMessage("no data for 300ms in the middle of the response");
    }

    /**
     * Once the answer's head is in, the exchange no longer holds the request's body: Reactor Netty keeps the
     * request's config, and the send function in it, until the answer ends, so a stream that holds on to its
     * body keeps it for its whole life. The stream here is open (its first part read, the rest to come) when
     * the body is found collected.
     */
    @Test
    void anOpenStreamHoldsNoRequestBodyOnceItsAnswerCame() throws InterruptedException {
        CompletableFuture<String> firstPart = new CompletableFuture<>();
        BaseSubscriber<org.springframework.core.io.buffer.DataBuffer> reader = new BaseSubscriber<>() {
            @Override
            protected void hookOnSubscribe(org.reactivestreams.Subscription subscription) {
                request(1);
            }

            @Override
            protected void hookOnNext(org.springframework.core.io.buffer.DataBuffer part) {
                firstPart.complete(part.toString(StandardCharsets.UTF_8));
                DataBufferUtils.release(part);
            }
        };
        ByteBuf body = Unpooled.wrappedBuffer("hello".getBytes(StandardCharsets.UTF_8));
        WeakReference<ByteBuf> sentBody = new WeakReference<>(body);
        client.post(URI.create("http://127.0.0.1:" + server.port() + "/v1/stall"), headers -> headers.setInt(HttpHeaderNames.CONTENT_LENGTH, 5), body)
                .flatMapMany(response -> response.getBody())
                .subscribe(reader);
        body = null;
        assertThat(firstPart).succeedsWithin(Duration.ofSeconds(3)).isEqualTo("first ");

        for (int i = 0; i < 50 && sentBody.get() != null; i++) {
            System.gc();
            Thread.sleep(20);
        }
        assertThat(sentBody.get()).as("the request body of a stream still open").isNull();
        reader.dispose();
    }

    /**
     * An upstream spoken to in HTTP/2 carries exchanges in flight at once as streams of one connection, where
     * HTTP/1.1 takes a connection each (the pool test above): a gateway holding many streams to one provider
     * holds a few sockets for them, not one each.
     */
    @Test
    void http2ExchangesInFlightAtOnceShareOneConnection() {
        UpstreamClient h2 = client(new Timeouts(Duration.ofSeconds(2), Duration.ofSeconds(10), Duration.ofSeconds(10), Duration.ofSeconds(20)),
                HttpVersion.HTTP_2);
        // the connection is made first, so the exchanges below do not race to open one each
        assertThat(call(h2, "/v1/chat/completions")).isEqualTo("echo hello");
        Mono<String> slow = Mono.fromCallable(() -> call(h2, "/v1/slow")).subscribeOn(Schedulers.boundedElastic());
        List<String> answers = Flux.merge(slow, slow, slow, slow).collectList().block(Duration.ofSeconds(10));
        assertThat(answers).containsExactly("late", "late", "late", "late");
        assertThat(upstreamProtocols).containsExactly("HTTP/2.0");
        assertThat(upstreamConnections).hasSize(1);
    }

    /**
     * The first-byte and idle limits hold over HTTP/2, where each exchange is a channel of its own (its
     * stream): a timed-out exchange ends its stream only, and the next exchange goes over the same connection.
     */
    @Test
    void http2ExchangesAreTimedAndATimeoutEndsOnlyItsStream() {
        UpstreamClient h2 = client(new Timeouts(Duration.ofSeconds(2), Duration.ofMillis(300), Duration.ofMillis(300), Duration.ofSeconds(10)),
                HttpVersion.HTTP_2);
        assertThat(call(h2, "/v1/chat/completions")).isEqualTo("echo hello");
        assertThatThrownBy(() -> call(h2, "/v1/slow"))
                .isInstanceOf(UpstreamTimeoutException.class).hasMessage("no response within 300ms");
        assertThatThrownBy(() -> call(h2, "/v1/stall"))
                .isInstanceOf(UpstreamTimeoutException.class).hasMessage("no data for 300ms in the middle of the response");
        assertThat(call(h2, "/v1/chat/completions")).isEqualTo("echo hello");
        assertThat(upstreamProtocols).containsExactly("HTTP/2.0");
        assertThat(upstreamConnections).hasSize(1);
    }

    /**
     * A response abandoned midway (its client left) closes its own stream, not the HTTP/2 connection under
     * it: the next exchange goes over the same connection. Over HTTP/1.1 abandoning closes the connection,
     * which there carries nothing else.
     */
    @Test
    void anHttp2ResponseAbandonedMidwayClosesOnlyItsStream() {
        UpstreamClient h2 = client(Timeouts.DEFAULTS, HttpVersion.HTTP_2);
        assertThat(call(h2, "/v1/chat/completions")).isEqualTo("echo hello");
        UpstreamResponse stalled = (UpstreamResponse) h2.post(URI.create("http://127.0.0.1:" + server.port() + "/v1/stall"),
                headers -> headers.setInt(HttpHeaderNames.CONTENT_LENGTH, 5), Unpooled.wrappedBuffer("hello".getBytes(StandardCharsets.UTF_8)))
                .block(Duration.ofSeconds(10));
        String firstPart = stalled.getBody().next().map(part -> {
            String text = part.toString(StandardCharsets.UTF_8);
            DataBufferUtils.release(part);
            return text;
        }).block(Duration.ofSeconds(10));
        assertThat(firstPart).isEqualTo("first ");
        stalled.abandon();
        assertThat(stallClosed).as("the abandoned exchange, closed at the upstream").succeedsWithin(Duration.ofSeconds(5));
        assertThat(call(h2, "/v1/chat/completions")).isEqualTo("echo hello");
        assertThat(upstreamConnections).hasSize(1);
    }
}
