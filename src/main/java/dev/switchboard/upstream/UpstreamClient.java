package dev.switchboard.upstream;

import java.net.URI;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.client.reactive.ClientHttpResponse;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;

import dev.switchboard.config.Upstream;
import io.netty.channel.ChannelOption;
import reactor.core.publisher.Mono;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

/**
 * The HTTP client of one upstream: its own connection pool (so one slow provider cannot starve the others),
 * its connect timeout, and its exchange timeouts. Runs on the server's event loops, so a request and its
 * upstream exchange stay on one thread.
 */
public final class UpstreamClient implements AutoCloseable {
    /** Context key under which one exchange learns its connection. */
    private static final Object CONNECTION = new Object();

    private final Upstream upstream;
    private final ConnectionProvider pool;
    private final ReactorClientHttpConnector connector;

    UpstreamClient(Upstream upstream) {
        this.upstream = upstream;
        this.pool = ConnectionProvider.builder("upstream-" + upstream.name())
                .maxConnections(2048)
                .pendingAcquireMaxCount(-1)
                .pendingAcquireTimeout(upstream.timeouts().firstByte())
                // providers drop idle keep-alive connections; reusing one that is about to close costs a failed request
                .maxIdleTime(Duration.ofSeconds(30))
                .evictInBackground(Duration.ofSeconds(30))
                .build();
        HttpClient http = HttpClient.create(pool)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, upstream.timeouts().connect().toMillis()))
                .doOnRequest((request, connection) -> {
                    connection.removeHandler(ExchangeTimeouts.NAME)
                            .addHandlerFirst(ExchangeTimeouts.NAME, new ExchangeTimeouts(upstream.timeouts()));
                    request.currentContextView().<AtomicReference<Connection>>getOrEmpty(CONNECTION)
                            .ifPresent(holder -> holder.set(connection));
                });
        this.connector = new ReactorClientHttpConnector(http);
    }

    public Upstream upstream() {
        return upstream;
    }

    /**
     * POSTs {@code body} to {@code uri}; the response's body must be consumed or cancelled by the caller.
     * Cancelled before the response arrives (the client left), the connection is closed: otherwise it could
     * go back to the pool with the upstream still working on the request.
     */
    Mono<ClientHttpResponse> post(URI uri, Consumer<HttpHeaders> headers, DataBuffer body) {
        AtomicReference<Connection> sent = new AtomicReference<>();
        return connector.connect(HttpMethod.POST, uri, request -> {
                    headers.accept(request.getHeaders());
                    return request.writeWith(Mono.just(body));
                })
                .doOnCancel(() -> {
                    Connection connection = sent.get();
                    if (connection != null) connection.dispose();
                })
                .contextWrite(context -> context.put(CONNECTION, sent));
    }

    @Override
    public void close() {
        pool.disposeLater().subscribe();
    }
}
