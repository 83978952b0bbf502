package dev.switchboard.bench;

import java.time.Duration;

import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;

/**
 * The floor of Switchboard's own stack, measured beside it by {@code run.sh}: Reactor Netty's HTTP server and
 * client and nothing else (no Spring, no JSON, no routing, no usage). Each POST goes to the mock on the same
 * path with its body, and the mock's status, content type and body come back: a plain answer whole, in one
 * write with its length, as Switchboard sends it; a stream as its buffers arrive. What Switchboard spends
 * above this is its own work; what this spends above nginx is the stack's.
 * {@code java ... BareReactorNettyProxy <port> <mock port>}.
 */
public final class BareReactorNettyProxy {
    private BareReactorNettyProxy() {}

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        String mock = "http://127.0.0.1:" + Integer.parseInt(args[1]);
        // as many connections to the mock as the gateway's default max-connections: a held stream keeps its own
        HttpClient client = HttpClient.create(ConnectionProvider.builder("mock").maxConnections(10_000)
                .pendingAcquireMaxCount(-1).build());
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(port)
                .handle((request, response) -> request.receive().aggregate().retain()
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
                                        return response.send(Mono.just(whole)).then();
                                    });
                                })
                                .then()))
                .bindNow(Duration.ofSeconds(10));
        server.onDispose().block();
    }
}
