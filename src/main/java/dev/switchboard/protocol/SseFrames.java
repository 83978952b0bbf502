package dev.switchboard.protocol;

import java.util.List;

import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Re-cuts an SSE byte stream so that every buffer passed on ends at an event boundary (an empty line),
 * without changing a byte: a buffer that already ends at a boundary (the usual case: providers flush per
 * event) passes as it is; the tail of an event split across reads is held until its end arrives. If the
 * stream then breaks, the client never holds half an event, and an error event can follow cleanly.
 */
public final class SseFrames {
    private SseFrames() {}

    public static Flux<DataBuffer> whole(Flux<DataBuffer> body) {
        return Flux.defer(() -> {
            Splitter splitter = new Splitter();
            return body.<DataBuffer>handle((buffer, sink) -> {
                        DataBuffer ready = splitter.accept(buffer);
                        if (ready != null) sink.next(ready);
                    })
                    .concatWith(Mono.fromSupplier(splitter::drain))
                    .doFinally(signal -> splitter.discard());
        });
    }

    /**
     * Synchronized: a client that leaves cancels from its own connection's event loop, which need not be the
     * upstream's, and a tail held after the discard would never be released.
     */
    private static final class Splitter {
        private final SseScanner scanner = new SseScanner();
        private DataBuffer pending;
        private boolean discarded;

        synchronized DataBuffer accept(DataBuffer buffer) {
            if (discarded) {
                DataBufferUtils.release(buffer);
                return null;
            }
            int cut = scanner.lastBoundary(buffer);
            if (cut < 0) {
                pending = pending == null ? buffer : join(pending, buffer);
                return null;
            }
            DataBuffer head = cut == buffer.writePosition() ? buffer : buffer.split(cut);
            DataBuffer ready = pending == null ? head : join(pending, head);
            pending = head == buffer ? null : buffer;
            return ready;
        }

        synchronized DataBuffer drain() {
            DataBuffer rest = pending;
            pending = null;
            return rest;
        }

        synchronized void discard() {
            discarded = true;
            if (pending != null) DataBufferUtils.release(pending);
            pending = null;
        }

        private static DataBuffer join(DataBuffer first, DataBuffer second) {
            return first.factory().join(List.of(first, second));
        }
    }
}
