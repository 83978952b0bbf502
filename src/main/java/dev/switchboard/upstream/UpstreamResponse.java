package dev.switchboard.upstream;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ResponseCookie;
import org.springframework.http.client.reactive.ClientHttpResponse;
import org.springframework.http.support.Netty4HeadersAdapter;
import org.springframework.util.LinkedMultiValueMap;
import org.springframework.util.MultiValueMap;

import io.netty.buffer.ByteBufAllocator;
import reactor.core.publisher.Flux;
import reactor.netty.Connection;
import reactor.netty.http.client.HttpClientResponse;

/**
 * An upstream's response, straight over Reactor Netty's, in the shape the rest of the gateway reads: status,
 * headers (Netty's, not copied) and the body as the buffers that arrived. The body can be read once; each
 * buffer is the reader's to release, as with Spring's own connector.
 */
final class UpstreamResponse implements ClientHttpResponse {
    private static final NettyDataBufferFactory BUFFERS = new NettyDataBufferFactory(ByteBufAllocator.DEFAULT);

    private final HttpClientResponse response;
    private final Connection connection;
    private final HttpHeaders headers;
    /** The body was read to its end. */
    private volatile boolean read;

    UpstreamResponse(HttpClientResponse response, Connection connection) {
        this.response = response;
        this.connection = connection;
        this.headers = new HttpHeaders(new Netty4HeadersAdapter(response.responseHeaders()));
    }

    @Override
    public HttpStatusCode getStatusCode() {
        return HttpStatusCode.valueOf(response.status().code());
    }

    @Override
    public HttpHeaders getHeaders() {
        return headers;
    }

    /** None: the gateway passes no upstream cookie on. */
    @Override
    public MultiValueMap<String, ResponseCookie> getCookies() {
        return new LinkedMultiValueMap<>();
    }

    @Override
    public Flux<DataBuffer> getBody() {
        // Reactor Netty releases each buffer once it is handed on; retained, it lives until the reader is done
        return connection.inbound().receive().<DataBuffer>map(buffer -> BUFFERS.wrap(buffer.retain())).doOnComplete(() -> read = true);
    }

    /**
     * A response no one will read to its end (its client left): its connection is closed, as it cannot go
     * back to the pool half read. Not once read whole: the connection is then back in the pool, perhaps
     * carrying another request.
     */
    void abandon() {
        if (!read) connection.dispose();
    }
}
