package dev.switchboard.upstream;

import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.springframework.http.client.reactive.ClientHttpResponse;

import dev.switchboard.config.HttpVersion;
import dev.switchboard.config.Upstream;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelOption;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.util.AttributeKey;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.Connection;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.Http2AllocationStrategy;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The HTTP client of one upstream: its own connection pools (so one slow provider cannot starve the others),
 * its connect timeout, and its exchange timeouts.
 * <p>
 * One pool per event loop. Reactor Netty opens a client connection on the event loop that asks for it, so a
 * request handled on a loop takes an upstream connection living on that same loop: the request, its upstream
 * exchange and the answer's way back run on one thread. A single shared pool hands out whichever connection is
 * idle, on any loop, and such an exchange costs two wake-ups of another thread (an eventfd write after the
 * request is read and another after the upstream answers). The price is warm
 * connections per loop rather than per upstream.
 */
public final class UpstreamClient implements AutoCloseable {
    /** Set on a connection once an answer's head came over it: a connection without it carries its first exchange. */
    private static final AttributeKey<Boolean> ANSWERED_BEFORE = AttributeKey.valueOf("switchboard.answeredBefore");

    private final Upstream upstream;
    /** The pool of each event loop (or other Reactor non-blocking thread) that has sent a request. */
    private final ConcurrentHashMap<Thread, Lane> lanes = new ConcurrentHashMap<>();
    /** The pool of every other thread (none on the request path; a test's main thread, say). */
    private final Lane shared;
    private final int maxConnections;
    /** Told of each request sent again after a kept-alive connection's close (a metric, in the gateway). */
    private final Runnable resent;
    private volatile boolean closed;
    /** The URI of each endpoint path sent to (a handful): a lookup costs less than parsing one per request. */
    private final ConcurrentHashMap<String, URI> uris = new ConcurrentHashMap<>();

    /** One pool and the client over it. */
    private record Lane(ConnectionProvider pool, HttpClient http) {}

    /**
     * @param maxConnections the connections each loop's pool may hold. A stream holds its upstream connection
     *                       for as long as it lasts, so a pool smaller than the client connections a loop can
     *                       take makes streams past it wait for earlier ones to end before their first byte;
     *                       the client connections (switchboard.limits.max-connections) bound it instead.
     * @param resent         told of each request sent again (see {@link #post})
     */
    UpstreamClient(Upstream upstream, int maxConnections, Runnable resent) {
        this.upstream = upstream;
        this.maxConnections = maxConnections;
        this.resent = resent;
        this.shared = lane("shared");
    }

    private Lane lane(String owner) {
        ConnectionProvider.Builder spec = ConnectionProvider.builder("upstream-" + upstream.name() + "-" + owner);
        if (upstream.httpVersion() == HttpVersion.HTTP_2) {
            // streams go on the open connection until the server's SETTINGS allow no more on it: by default Reactor
            // Netty opens a new connection for a stream asked for while another is being set up on the first
            spec.allocationStrategy(Http2AllocationStrategy.builder().maxConnections(maxConnections).minConnections(1)
                    .strictConnectionReuse(true).build());
        } else {
            spec.maxConnections(maxConnections);
        }
        ConnectionProvider pool = spec.pendingAcquireMaxCount(-1)
                .pendingAcquireTimeout(upstream.timeouts().firstByte())
                // providers drop idle keep-alive connections; reusing one that is about to close costs a failed request
                .maxIdleTime(Duration.ofSeconds(30))
                .evictInBackground(Duration.ofSeconds(30))
                // the connection used last: the one most surely still open; the others idle out
                .lifo()
                .build();
        HttpClient http = HttpClient.create(pool)
                .protocol(protocol(upstream))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, upstream.timeouts().connect().toMillis()))
                .doOnRequest((request, connection) -> ExchangeTimeouts.arm(connection.channel(), upstream.timeouts()));
        return new Lane(pool, http);
    }

    /**
     * HTTP/2 over TLS is asked for through ALPN, and over plain http spoken straight away (h2c with prior
     * knowledge). HTTP/1.1 is not offered beside it: Reactor Netty's HTTP/2 pool does not keep a connection
     * that fell back to 1.1, so a provider without HTTP/2 would cost a new TLS handshake a request; the
     * setting is for providers known to speak HTTP/2. Each HTTP/2 exchange is a stream, a channel of its own
     * on a shared connection: the pool's limit counts connections, and the server's SETTINGS bound the
     * streams on each.
     */
    private static HttpProtocol protocol(Upstream upstream) {
        if (upstream.httpVersion() != HttpVersion.HTTP_2) return HttpProtocol.HTTP11;
        return "https".equalsIgnoreCase(upstream.baseUrl().getScheme()) ? HttpProtocol.H2 : HttpProtocol.H2C;
    }

    /** The calling thread's pool; a closed client makes no new ones. */
    private Lane currentLane() {
        if (closed || !Schedulers.isInNonBlockingThread()) return shared;
        Lane lane = lanes.get(Thread.currentThread());
        if (lane != null) return lane;
        lane = lanes.computeIfAbsent(Thread.currentThread(), thread -> lane(thread.getName()));
        // made while close() ran: close() may have missed it, so it is disposed here (disposing twice is harmless)
        if (closed) lane.pool().disposeLater().subscribe();
        return lane;
    }

    public Upstream upstream() {
        return upstream;
    }

    /** The upstream's URI for one of the gateway's endpoint paths. */
    URI uri(String endpointPath) {
        return uris.computeIfAbsent(endpointPath, upstream::resolve);
    }

    /** The same with the client's query string (raw, as it came), which is not cached. */
    URI uri(String endpointPath, String query) {
        return query == null || query.isEmpty() ? uri(endpointPath) : URI.create(uri(endpointPath) + "?" + query);
    }

    /**
     * POSTs {@code body} to {@code uri}; the response's body must be consumed or cancelled by the caller. The
     * request body is copied when sent and not released here: a heap buffer, left to the garbage collector.
     * Cancelled before the response arrives or is read (the client left), the connection is closed: otherwise
     * it could go back to the pool with the upstream still working on the request. A kept-alive connection its
     * upstream closed as the request went out costs a second send, not a failure.
     * <p>
     * Reactor Netty's client used directly, headers written into its own: Spring's connector over it kept a
     * second header map per request, copied it across, and added its commit plumbing, all on the hot path
     * (docs/benchmark.md has what it cost).
     */
    Mono<ClientHttpResponse> post(URI uri, Consumer<HttpHeaders> headers, ByteBuf body) {
        Exchange first = new Exchange(body);
        // sent once more, on another connection, when the first was a kept-alive one its upstream closed as the
        // request went out (see Exchange.lostToAnIdleClose); once only, so an upstream that closes every
        // connection on this request fails it as before. The body is taken from the first exchange, which lets
        // go of it once answered: the chain, kept as long as a stream lasts, must not hold it
        return send(uri, headers, first).onErrorResume(first::lostToAnIdleClose, e -> {
            resent.run();
            return send(uri, headers, new Exchange(first.body));
        });
    }

    private Mono<ClientHttpResponse> send(URI uri, Consumer<HttpHeaders> headers, Exchange exchange) {
        return Mono.defer(() -> currentLane().http().post().uri(uri)
                        .send((request, outbound) -> {
                            // learnt here rather than through the subscriber context: a context lookup walks the
                            // whole operator chain of the request above it
                            outbound.withConnection(connection -> exchange.sent = connection);
                            headers.accept(request.requestHeaders());
                            // one copy into a pooled direct buffer, as the socket needs, part by part: writeBytes
                            // from a buffer made of parts (the spliced body) first merges them into a new array.
                            // The body itself is left as it is, so a send Reactor Netty retries reads it whole again.
                            ByteBuf toSend = exchange.body;
                            int length = toSend.readableBytes();
                            ByteBuf direct = outbound.alloc().directBuffer(length);
                            toSend.getBytes(toSend.readerIndex(), direct, length);
                            return outbound.send(Mono.just(direct));
                        })
                        .responseConnection((response, connection) -> {
                            UpstreamResponse made = new UpstreamResponse(response, connection);
                            exchange.answered = made;
                            connection.channel().attr(ANSWERED_BEFORE).set(Boolean.TRUE);
                            // no send follows an answer: the request's config, which Reactor Netty keeps as long as
                            // the exchange, holds this function, and a stream would keep the body's parts with it
                            exchange.body = null;
                            return Mono.<ClientHttpResponse>just(made);
                        })
                        .next())
                // a cancel reaches here also after the answer (a Mono's flatMap passes its cancel upstream): a
                // response read whole has given its connection back to the pool, maybe to another exchange
                .doOnCancel(() -> {
                    UpstreamResponse response = exchange.answered;
                    Connection connection = exchange.sent;
                    if (response != null) response.abandon();
                    else if (connection != null) connection.dispose();
                });
    }

    /**
     * One exchange as its send, its answer and a client's cancel see it: the last may come on another event
     * loop than the first two. One per send, whose Mono is subscribed once (a new attempt calls post again, and
     * a request sent again after an idle close gets an exchange of its own); Reactor Netty's own retry of a send
     * that failed comes before any answer.
     */
    private static final class Exchange {
        /** The request's body, until the answer came. */
        volatile ByteBuf body;
        volatile Connection sent;
        volatile UpstreamResponse answered;

        Exchange(ByteBuf body) {
            this.body = body;
        }

        /**
         * Whether the exchange was lost to an upstream closing its kept-alive connection as the request went out:
         * the connection closed before any answer, and it had carried answers before. Servers close connections
         * left idle past their keep-alive timeout (Node's 5 s, Jetty's 30 s, a balancer's 60 s); when the pool
         * hands one out just as that happens, the request crosses the close on the wire and the server never
         * reads it. HTTP clients send such a request again on a new connection (Go's net/http does, for any
         * method); failing it instead would fail a client on one target's routes, and mark a healthy target
         * failed on others. A new connection that closes before answering, or one that timed out, is a failure.
         */
        boolean lostToAnIdleClose(Throwable e) {
            Connection connection = sent;
            return e instanceof IOException && answered == null && connection != null && connection.channel().hasAttr(ANSWERED_BEFORE);
        }
    }

    @Override
    public void close() {
        closed = true;
        shared.pool().disposeLater().subscribe();
        lanes.values().forEach(lane -> lane.pool().disposeLater().subscribe());
    }
}
