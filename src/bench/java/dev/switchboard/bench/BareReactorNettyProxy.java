package dev.switchboard.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import dev.switchboard.usage.FloorLedger;
import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.Http2AllocationStrategy;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;

/**
 * The floor of Switchboard's own stack, measured beside it by {@code run.sh}: Reactor Netty's HTTP server and
 * client and nothing else (no Spring, no JSON, no routing, no usage). Each POST goes to the mock on the same
 * path with its body, and the mock's status, content type and body come back: a plain answer whole, in one
 * write with its length, as Switchboard sends it; a stream as its buffers arrive. What Switchboard spends
 * above this is its own work; what this spends above nginx is the stack's. With {@code --ledger <folder>}, each
 * plain answer is also recorded in the gateway's usage ledger on the embedded store ({@link FloorLedger}): the
 * floor of a gateway that records every request on the same cores.
 * {@code java ... BareReactorNettyProxy <port> <mock port> [--ledger <folder>]}.
 */
public final class BareReactorNettyProxy {
    private BareReactorNettyProxy() {}

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        String mock = "http://127.0.0.1:" + Integer.parseInt(args[1]);
        FloorLedger ledger = args.length > 3 && args[2].equals("--ledger") ? FloorLedger.open(Path.of(args[3])) : null;
        AtomicLong requests = new AtomicLong();
        // as many connections to the mock as the gateway's default max-connections: a held stream keeps its own.
        // With -Dbench.upstream-http=2, streams over shared h2c connections, as Switchboard's http-version: 2
        boolean h2 = "2".equals(System.getProperty("bench.upstream-http"));
        ConnectionProvider.Builder pool = ConnectionProvider.builder("mock").pendingAcquireMaxCount(-1);
        if (h2) pool.allocationStrategy(Http2AllocationStrategy.builder().maxConnections(10_000).minConnections(1).strictConnectionReuse(true).build());
        else pool.maxConnections(10_000);
        HttpClient client = HttpClient.create(pool.build()).protocol(h2 ? HttpProtocol.H2C : HttpProtocol.HTTP11);
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(port)
                .handle((request, response) -> {
                    long started = System.nanoTime();
                    return request.receive().aggregate().retain()
                        .flatMap(body -> client.headers(h -> h.set(HttpHeaderNames.CONTENT_TYPE, "application/json"))
                                .post().uri(mock + request.uri())
                                .send(Mono.just(body))
                                .response((upstream, content) -> {
                                    response.status(upstream.status());
                                    String type = upstream.responseHeaders().get(HttpHeaderNames.CONTENT_TYPE);
                                    if (type != null) response.header(HttpHeaderNames.CONTENT_TYPE, type);
                                    if (type != null && type.startsWith("text/event-stream")) {
                                        return response.send(content.retain()).then();
                                    }
                                    return content.aggregate().retain().flatMap(whole -> {
                                        response.header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(whole.readableBytes()));
                                        Mono<Void> sent = response.send(Mono.just(whole)).then();
                                        if (ledger == null) return sent;
                                        int status = upstream.status().code();
                                        return sent.doOnSuccess(done -> ledger.record(Long.toString(requests.incrementAndGet()), status,
                                                (System.nanoTime() - started) / 1_000_000));
                                    });
                                })
                                .then());
                })
                .bindNow(Duration.ofSeconds(10));
        server.onDispose().block();
    }
}
