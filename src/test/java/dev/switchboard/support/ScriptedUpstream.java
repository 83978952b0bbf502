package dev.switchboard.support;

import java.time.Duration;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;

/**
 * An SSE upstream the test drives by hand: each request becomes an {@link Exchange} whose chunks the test
 * sends one at a time, and which reports when the gateway closed its connection. WireMock cannot wait for a
 * test's signal or tell when a connection went away; flushing and cancellation tests need both.
 */
public final class ScriptedUpstream implements AutoCloseable {
    /*
     * Filled on the server's event loop, which must never block: a LinkedBlockingQueue's offer takes its locks,
     * and parked the event loop (BlockingGuard failed the class) whenever the test thread held one, waiting in
     * poll or clearing. A lock-free queue, and a semaphore (whose release never parks) to wait on.
     */
    private final Queue<Exchange> exchanges = new ConcurrentLinkedQueue<>();
    private final Semaphore arrived = new Semaphore(0);
    private final DisposableServer server;

    public static final class Exchange {
        private final Sinks.Many<String> chunks = Sinks.many().unicast().onBackpressureBuffer();
        public final String path;
        /** The HTTP version the gateway spoke: HTTP/1.1, or HTTP/2.0 to an upstream set to {@code http-version: 2}. */
        public final String protocol;
        public final CompletableFuture<String> requestBody = new CompletableFuture<>();
        /** Completes when the connection the request came on is closed (over HTTP/2, the request's stream). */
        public final CompletableFuture<Void> connectionClosed = new CompletableFuture<>();
        /** On a path under {@code /held-head/}: the response's head waits for this, as a thinking model's may. */
        public final CompletableFuture<Void> headReleased = new CompletableFuture<>();

        Exchange(String path, String protocol) {
            this.path = path;
            this.protocol = protocol;
        }

        public void send(String chunk) {
            chunks.tryEmitNext(chunk).orThrow();
        }

        /** Sends a chunk unless the exchange is over; false once the gateway has gone away. */
        public boolean offer(String chunk) {
            return chunks.tryEmitNext(chunk).isSuccess();
        }

        public void finish() {
            chunks.tryEmitComplete().orThrow();
        }

        /** Breaks the response off mid-body: the connection closes without the end of the chunked body. */
        public void abort() {
            chunks.tryEmitError(new java.io.IOException("scripted upstream broke off")).orThrow();
        }
    }

    ScriptedUpstream() {
        server = HttpServer.create()
                .host("127.0.0.1")
                .port(0)
                // h2c too, for a client that opens with HTTP/2's preface
                .protocol(HttpProtocol.HTTP11, HttpProtocol.H2C)
                .handle((request, response) -> {
                    Exchange exchange = new Exchange(request.uri(), request.protocol());
                    response.withConnection(c -> c.onDispose(() -> exchange.connectionClosed.complete(null)));
                    exchanges.add(exchange);
                    arrived.release();
                    Mono<Void> head = request.uri().contains("/held-head/") ? Mono.fromFuture(exchange.headReleased) : Mono.empty();
                    return request.receive().aggregate().asString()
                            .doOnNext(exchange.requestBody::complete)
                            .then(head)
                            .then(response.header("content-type", "text/event-stream")
                                    .sendString(exchange.chunks.asFlux())
                                    .then());
                })
                .bindNow(Duration.ofSeconds(10));
    }

    public String url() {
        return "http://127.0.0.1:" + server.port();
    }

    /** The next request that reached this upstream, waiting up to 10 s for it. */
    public Exchange nextExchange() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // a permit may outlive its exchange (cleared meanwhile): poll again until the deadline
        while (true) {
            Exchange e = exchanges.poll();
            if (e != null) return e;
            long left = deadline - System.nanoTime();
            if (left <= 0 || !arrived.tryAcquire(left, TimeUnit.NANOSECONDS)) {
                throw new AssertionError("no request reached the scripted upstream within 10 s");
            }
        }
    }

    public void clear() {
        exchanges.clear();
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(5));
    }
}
