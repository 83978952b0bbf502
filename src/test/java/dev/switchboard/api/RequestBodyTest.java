package dev.switchboard.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import dev.switchboard.api.RequestBody.Added;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

class RequestBodyTest {
    private static final BodyBudget PLENTY = new BodyBudget(1L << 40);

    private static ByteBuf chunk(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    }

    @Test
    void chunksAreJoinedInOrderWithOrWithoutADeclaredLength() {
        for (long declared : new long[] {-1, 0, 3, 11, 1000}) {
            RequestBody body = new RequestBody(declared, 100, PLENTY);
            assertThat(body.add(chunk("{\"a\":"))).isEqualTo(Added.TAKEN);
            assertThat(body.add(chunk("1"))).isEqualTo(Added.TAKEN);
            assertThat(body.add(chunk("}  \n"))).isEqualTo(Added.TAKEN);
            assertThat(body.size()).isEqualTo(10);
            assertThat(new String(body.bytes(), StandardCharsets.UTF_8)).as("declared %d", declared).isEqualTo("{\"a\":1}  \n");
        }
    }

    @Test
    void onlyTheReadableBytesAreCopiedAndTheChunkIsLeftAsItWas() {
        ByteBuf chunk = chunk("xx{}yy");
        chunk.readerIndex(2).writerIndex(4);
        RequestBody body = new RequestBody(-1, 100, PLENTY);
        assertThat(body.add(chunk)).isEqualTo(Added.TAKEN);
        assertThat(body.bytes()).containsExactly('{', '}');
        assertThat(chunk.readerIndex()).isEqualTo(2);
        assertThat(chunk.refCnt()).isEqualTo(1);
    }

    @Test
    void aBodyOfExactlyTheLimitIsTakenAndOneByteMoreIsRefused() {
        RequestBody body = new RequestBody(-1, 8, PLENTY);
        assertThat(body.add(chunk("12345"))).isEqualTo(Added.TAKEN);
        assertThat(body.add(chunk("678"))).isEqualTo(Added.TAKEN);
        assertThat(body.add(chunk("9"))).isEqualTo(Added.TOO_LARGE);
        assertThat(new String(body.bytes(), StandardCharsets.UTF_8)).isEqualTo("12345678");
    }

    @Test
    void aDeclaredLengthIsTheArrayHandedOnWithoutACopy() {
        RequestBody body = new RequestBody(4, 100, PLENTY);
        body.add(chunk("ab"));
        body.add(chunk("cd"));
        assertThat(body.bytes()).isSameAs(body.bytes()).containsExactly('a', 'b', 'c', 'd');
    }

    @Test
    void aDeclaredLengthIsNeverAllocatedAheadOfTheBytes() {
        BodyBudget budget = new BodyBudget(1L << 30);
        RequestBody body = new RequestBody(10_000_000, 10_000_000, budget);
        assertThat(body.add(chunk("{\"model\":\"m1\"}"))).isEqualTo(Added.TAKEN);
        assertThat(budget.held()).as("memory held after 14 bytes of a declared 10 MB").isEqualTo(RequestBody.INITIAL_CAPACITY);

        // it grows with what arrives, at most doubling, and never past the declared length
        ByteBuf more = Unpooled.wrappedBuffer(new byte[100_000]);
        assertThat(body.add(more)).isEqualTo(Added.TAKEN);
        assertThat(budget.held()).isBetween(100_014L, 2 * 100_014L).isEqualTo(body.size() == 100_014 ? budget.held() : -1);
        body.release();
        assertThat(budget.held()).isZero();
    }

    @Test
    void aCompleteBodyHoldsOnlyItsOwnSizeWhileItsRequestGoesOn() {
        // a short body sent chunked, as Reactor Netty's client and others send one: it grows in the initial
        // array, but holds its own size of the budget for as long as its answer streams
        BodyBudget budget = new BodyBudget(1L << 30);
        RequestBody body = new RequestBody(-1, 10_000_000, budget);
        body.add(chunk("{\"model\":\"m1\",\"stream\":true}"));
        assertThat(budget.held()).isEqualTo(RequestBody.INITIAL_CAPACITY);
        byte[] bytes = body.bytes();
        assertThat(budget.held()).isEqualTo(bytes.length).isEqualTo(28);
        assertThat(body.bytes()).isSameAs(bytes);
        assertThat(budget.held()).isEqualTo(28);
        body.release();
        assertThat(budget.held()).isZero();
    }

    @Test
    void bodiesPastTheBudgetAreRefusedAndWhatTheyHeldComesBack() {
        BodyBudget budget = new BodyBudget(3 * RequestBody.INITIAL_CAPACITY);
        RequestBody[] bodies = new RequestBody[3];
        for (int i = 0; i < 3; i++) {
            bodies[i] = new RequestBody(1_000_000, 10_000_000, budget);
            assertThat(bodies[i].add(chunk("{"))).isEqualTo(Added.TAKEN);
        }
        RequestBody fourth = new RequestBody(-1, 10_000_000, budget);
        assertThat(fourth.add(chunk("{"))).isEqualTo(Added.OVER_BUDGET);
        assertThat(fourth.size()).isZero();
        assertThat(bodies[0].add(Unpooled.wrappedBuffer(new byte[RequestBody.INITIAL_CAPACITY]))).as("growing past the budget")
                .isEqualTo(Added.OVER_BUDGET);

        bodies[0].release();
        fourth.release(); // held nothing: gives nothing back
        assertThat(budget.held()).isEqualTo(2L * RequestBody.INITIAL_CAPACITY);
        RequestBody fifth = new RequestBody(-1, 10_000_000, budget);
        assertThat(fifth.add(chunk("{\"a\":1}"))).isEqualTo(Added.TAKEN);
    }
}
