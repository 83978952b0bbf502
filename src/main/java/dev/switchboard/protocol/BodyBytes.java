package dev.switchboard.protocol;

import org.reactivestreams.Publisher;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;

import reactor.core.publisher.Mono;

/** A whole body as one array, for the bodies that are read rather than relayed: requests, short answers. */
public final class BodyBytes {
    private BodyBytes() {}

    /**
     * Joins the body into an array, releasing every buffer; empty when the body is. Fails with
     * {@link org.springframework.core.io.buffer.DataBufferLimitException} past {@code limit} bytes.
     */
    public static Mono<byte[]> read(Publisher<? extends DataBuffer> body, int limit) {
        return DataBufferUtils.join(body, limit).map(joined -> {
            try {
                byte[] bytes = new byte[joined.readableByteCount()];
                joined.read(bytes);
                return bytes;
            } finally {
                DataBufferUtils.release(joined);
            }
        });
    }
}
