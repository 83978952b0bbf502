package dev.switchboard.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBufferFactory;

import io.netty.buffer.PooledByteBufAllocator;
import reactor.core.publisher.Flux;

class SseFramesTest {
    private final NettyDataBufferFactory buffers = new NettyDataBufferFactory(PooledByteBufAllocator.DEFAULT);

    private DataBuffer buffer(String text) {
        DataBuffer b = buffers.allocateBuffer(64);
        b.write(text.getBytes(StandardCharsets.UTF_8));
        return b;
    }

    /** Feeds the pieces through, returns what comes out buffer by buffer (and releases everything). */
    private List<String> recut(String... pieces) {
        List<String> out = new ArrayList<>();
        Flux<DataBuffer> in = Flux.fromArray(pieces).map(this::buffer);
        SseFrames.whole(in).doOnNext(b -> {
            out.add(b.toString(StandardCharsets.UTF_8));
            DataBufferUtils.release(b);
        }).blockLast();
        return out;
    }

    @Test
    void buffersEndingAtABoundaryPassAsTheyAre() {
        assertThat(recut("data: 1\n\n", "data: 2\n\ndata: 3\n\n")).containsExactly("data: 1\n\n", "data: 2\n\ndata: 3\n\n");
    }

    @Test
    void aSplitEventIsHeldUntilItsEnd() {
        assertThat(recut("data: 1\n\ndata: 2", " more\n", "\nevent: x\ndata: 3\n\n"))
                .containsExactly("data: 1\n\n", "data: 2 more\n\nevent: x\ndata: 3\n\n");
    }

    @Test
    void crlfAndCommentsAreBoundariesToo() {
        assertThat(recut(": OPENROUTER PROCESSING\r\n\r\ndata: {", "}\r\n\r\n"))
                .containsExactly(": OPENROUTER PROCESSING\r\n\r\n", "data: {}\r\n\r\n");
    }

    @Test
    void anUnterminatedTailIsPassedOnAtTheEnd() {
        assertThat(recut("data: 1\n\ndata: tail")).containsExactly("data: 1\n\n", "data: tail");
    }

    @Test
    void aBrokenStreamReleasesTheHeldHalfEvent() {
        List<String> out = new ArrayList<>();
        Flux<DataBuffer> in = Flux.concat(Flux.just(buffer("data: 1\n\ndata: ha")), Flux.error(new IllegalStateException("cut")));
        SseFrames.whole(in).doOnNext(b -> {
            out.add(b.toString(StandardCharsets.UTF_8));
            DataBufferUtils.release(b);
        }).onErrorResume(e -> Flux.empty()).blockLast();
        assertThat(out).containsExactly("data: 1\n\n");
        // NettyLeakGuard fails this class if the held "data: ha" was not released
    }
}
