package dev.switchboard.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

class RequestBodyTest {
    private static ByteBuf chunk(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    }

    @Test
    void chunksAreJoinedInOrderWithOrWithoutADeclaredLength() {
        for (long declared : new long[] {-1, 0, 3, 11, 1000}) {
            RequestBody body = new RequestBody(declared);
            assertThat(body.add(chunk("{\"a\":"), 100)).isTrue();
            assertThat(body.add(chunk("1"), 100)).isTrue();
            assertThat(body.add(chunk("}  \n"), 100)).isTrue();
            assertThat(body.size()).isEqualTo(10);
            assertThat(new String(body.bytes(), StandardCharsets.UTF_8)).as("declared %d", declared).isEqualTo("{\"a\":1}  \n");
        }
    }

    @Test
    void onlyTheReadableBytesAreCopiedAndTheChunkIsLeftAsItWas() {
        ByteBuf chunk = chunk("xx{}yy");
        chunk.readerIndex(2).writerIndex(4);
        RequestBody body = new RequestBody(-1);
        assertThat(body.add(chunk, 100)).isTrue();
        assertThat(body.bytes()).containsExactly('{', '}');
        assertThat(chunk.readerIndex()).isEqualTo(2);
        assertThat(chunk.refCnt()).isEqualTo(1);
    }

    @Test
    void aBodyOfExactlyTheLimitIsTakenAndOneByteMoreIsRefused() {
        RequestBody body = new RequestBody(-1);
        assertThat(body.add(chunk("12345"), 8)).isTrue();
        assertThat(body.add(chunk("678"), 8)).isTrue();
        assertThat(body.add(chunk("9"), 8)).isFalse();
        assertThat(new String(body.bytes(), StandardCharsets.UTF_8)).isEqualTo("12345678");
    }

    @Test
    void aDeclaredLengthIsTheArrayHandedOnWithoutACopy() {
        RequestBody body = new RequestBody(4);
        body.add(chunk("ab"), 100);
        body.add(chunk("cd"), 100);
        assertThat(body.bytes()).isSameAs(body.bytes()).containsExactly('a', 'b', 'c', 'd');
    }
}
