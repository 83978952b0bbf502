package dev.switchboard.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferFactory;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.core.io.buffer.NettyDataBufferFactory;

import dev.switchboard.config.Protocol;
import io.netty.buffer.PooledByteBufAllocator;

class StreamUsageTapTest {
    private final NettyDataBufferFactory buffers = new NettyDataBufferFactory(PooledByteBufAllocator.DEFAULT);
    private static final String CONTENT = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}],\"usage\":null}\n\n";
    private static final String USAGE = "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n";
    private static final String DONE = "data: [DONE]\n\n";

    private String pass(StreamUsageTap tap, String text) {
        return pass(tap, text, buffers);
    }

    private static String pass(StreamUsageTap tap, String text, DataBufferFactory buffers) {
        DataBuffer in = buffers.allocateBuffer(text.length());
        in.write(text.getBytes(StandardCharsets.UTF_8));
        DataBuffer out = tap.inspect(in);
        if (out == null) return null;
        try {
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            DataBufferUtils.release(out);
        }
    }

    @Test
    void theUsageOnlyChunkIsCutOutOfASharedBuffer() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.OPENAI, true);
        assertThat(pass(tap, CONTENT + USAGE + DONE)).isEqualTo(CONTENT + DONE);
        assertThat(tap.usage()).isEqualTo(new TokenUsage(5, 2, 0, 0, 0));
    }

    /** A buffer whose readable bytes start past its beginning (the rest of a read split into frames) is cut in the right place. */
    @Test
    void aBufferReadFromPastItsStartIsCutInTheRightPlace() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.OPENAI, true);
        String sent = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"old\"}}],\"usage\":{\"prompt_tokens\":9}}\n\n";
        DataBuffer in = buffers.allocateBuffer(512);
        in.write((sent + CONTENT + USAGE + DONE).getBytes(StandardCharsets.UTF_8));
        in.readPosition(sent.length());
        DataBuffer out = tap.inspect(in);
        try {
            assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo(CONTENT + DONE);
        } finally {
            DataBufferUtils.release(out);
        }
        assertThat(tap.usage()).isEqualTo(new TokenUsage(5, 2, 0, 0, 0));
        assertThat(tap.text().strip()).isEqualTo("hi");
    }

    /** Past the text it keeps for an estimate, the tap still finds the usage and cuts its chunk. */
    @Test
    void pastTheKeptTextUsageIsStillFoundAndCut() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.OPENAI, true);
        DataBufferFactory heap = DefaultDataBufferFactory.sharedInstance;
        String chunk = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + "x".repeat(64 * 1024) + "\"}}],\"usage\":null}\n\n";
        for (int i = 0; i < 20; i++) assertThat(pass(tap, chunk, heap)).isEqualTo(chunk);
        int kept = tap.keptSize();
        assertThat(kept).isGreaterThanOrEqualTo(1 << 20);

        assertThat(pass(tap, CONTENT + USAGE + DONE, heap)).isEqualTo(CONTENT + DONE);
        assertThat(tap.usage()).isEqualTo(new TokenUsage(5, 2, 0, 0, 0));
        assertThat(tap.keptSize()).isEqualTo(kept);
    }

    @Test
    void aBufferOfOnlyTheUsageChunkPassesNothing() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.OPENAI, true);
        assertThat(pass(tap, USAGE)).isNull();
        assertThat(pass(tap, USAGE + USAGE + CONTENT)).isEqualTo(CONTENT);
    }

    @Test
    void aClientThatAskedGetsEveryByte() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.OPENAI, false);
        assertThat(pass(tap, CONTENT + USAGE + DONE)).isEqualTo(CONTENT + USAGE + DONE);
        assertThat(tap.usage().completion()).isEqualTo(2);
    }

    @Test
    void anthropicOutputIsTheLastCumulativeCountNotASum() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.ANTHROPIC, false);
        pass(tap, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3,"
                + "\"cache_read_input_tokens\":7,\"cache_creation_input_tokens\":2,\"output_tokens\":1}}}\n\n");
        pass(tap, "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":10}}\n\n"
                + "event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":15}}\n\n");
        assertThat(tap.usage()).isEqualTo(new TokenUsage(12, 15, 0, 7, 2));
    }

    @Test
    void usageIsFoundWhateverTheSpacingAndNullUsageIsNone() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.OPENAI, false);
        pass(tap, CONTENT);
        assertThat(tap.usage()).as("usage: null is no usage").isNull();
        pass(tap, "data: {\"choices\":[],\"usage\" : \t{\"prompt_tokens\":1,\"completion_tokens\":1}}\n\n");
        assertThat(tap.usage()).isEqualTo(new TokenUsage(1, 1, 0, 0, 0));
    }

    @Test
    void keepAliveCommentsAndBrokenJsonAreHarmless() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.OPENAI, true);
        String comment = ": OPENROUTER PROCESSING\n\n";
        String broken = "data: {\"usage\": {broken\n\n";
        assertThat(pass(tap, comment + broken)).isEqualTo(comment + broken);
        assertThat(tap.usage()).isNull();
    }

    /**
     * The fields the tap looks for are found wherever they stand: a {@code meta} cost in a chunk whose usage is
     * null, a usage object after spaces, a usage at an event's very start; and not in look-alikes.
     */
    @Test
    void theFieldsTheTapReadsAreFoundWhereverTheyStandAndNotInLookAlikes() {
        StreamUsageTap meta = new StreamUsageTap(Protocol.OPENAI, false);
        pass(meta, "data: {\"choices\":[],\"usage\":null,\"meta\":{\"usage\":{\"credits_used\":447,\"usd_spent\":0.000223}}}\n\n");
        assertThat(meta.cost().credits()).isEqualByComparingTo("447");
        assertThat(meta.usage()).isNull();

        StreamUsageTap spaced = new StreamUsageTap(Protocol.OPENAI, false);
        pass(spaced, "data: {\"choices\":[],\"usage\" :\t {\"prompt_tokens\":5,\"completion_tokens\":2,\"total_tokens\":7}}\n\n");
        assertThat(spaced.usage().prompt()).isEqualTo(5);

        StreamUsageTap first = new StreamUsageTap(Protocol.OPENAI, false);
        pass(first, "data:{\"usage\":{\"prompt_tokens\":6,\"completion_tokens\":1,\"total_tokens\":7}}\n\n");
        assertThat(first.usage().prompt()).isEqualTo(6);

        StreamUsageTap lookAlikes = new StreamUsageTap(Protocol.OPENAI, false);
        pass(lookAlikes, "data: {\"choices\":[{\"delta\":{\"content\":\"usage: {1} metadata message\"}}],\"usage\":null}\n\n");
        assertThat(lookAlikes.usage()).isNull();
        assertThat(lookAlikes.cost()).isEqualTo(ProviderCost.NONE);
    }

    /** A long stream is kept for its estimate as text, not as the raw events 20 to 40 times its size. */
    @Test
    void aLongStreamKeepsItsTextNotItsEvents() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.OPENAI, true);
        // heap buffers: the suite's paranoid leak detector records every byte read of a Netty buffer
        DataBufferFactory heap = DefaultDataBufferFactory.sharedInstance;
        StringBuilder whole = new StringBuilder();
        for (int i = 0; i < 3_000; i++) {
            String chunk = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"model\":\"MiniMax-M1\","
                    + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" w" + i + "\"},\"finish_reason\":null}],\"usage\":null}\n\n";
            whole.append(chunk);
            assertThat(pass(tap, chunk, heap)).isEqualTo(chunk);
        }
        String expected = MessageText.ofStream(whole.toString().getBytes(StandardCharsets.UTF_8));

        assertThat(tap.text()).isEqualTo(expected);
        assertThat(whole.length()).isGreaterThan(400_000);
        assertThat(tap.keptSize()).isLessThan(StreamUsageTap.RECENT_LIMIT + expected.length() + 1);
        assertThat(tap.usage()).isNull();
    }

    /**
     * The text of events of every shape, read a batch at a time once past the limit: each event counts as it
     * would alone (a broken one carries nothing and spoils no other), and the stream's last bytes, which no
     * empty line closed, count too.
     */
    @Test
    void everyEventCountsForTheTextAsItWouldAloneAndABrokenOneSpoilsNoOther() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.OPENAI, true);
        DataBufferFactory heap = DefaultDataBufferFactory.sharedInstance;
        java.util.List<String> events = new java.util.ArrayList<>();
        for (int i = 0; i < 40; i++) {
            events.add(switch (i % 8) {
                case 3 -> "data: {\"choices\": [broken " + i + "\n\n";
                case 4 -> "data: {\"choices\":[{\"delta\":\r\ndata: {\"content\":\"two lines " + i + "\"}}]}\r\n\r\n";
                case 5 -> ": keep-alive\n\n";
                case 6 -> "event: x\ndata:{\"choices\":[{\"delta\":{\"content\":\"named " + i + "\"}}]}\n\n";
                default -> "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"w" + i + "\"}}],\"usage\":null}\n\n";
            });
        }
        events.add("data: [DONE]\n\n");
        events.add("data: {\"choices\":[{\"delta\":{\"content\":\"no blank line at the end\"}}]}");
        StringBuilder alone = new StringBuilder();
        for (String event : events) {
            alone.append(MessageText.ofStream(event.getBytes(StandardCharsets.UTF_8)));
            assertThat(pass(tap, event, heap)).isEqualTo(event);
        }

        assertThat(alone.toString()).contains("w39\n", "two lines 4\n", "named 6\n", "no blank line at the end\n")
                .doesNotContain("broken");
        assertThat(tap.text()).isEqualTo(alone.toString());
    }

    /** What an open stream keeps between its events is bounded by the limit and one buffer, however long it runs. */
    @Test
    void aStreamOfOrdinaryEventsKeepsAnArrayNoLargerThanTheLimitAndOneBuffer() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.OPENAI, true);
        DataBufferFactory heap = DefaultDataBufferFactory.sharedInstance;
        int largest = 0;
        for (int i = 0; i < 500; i++) {
            String chunk = "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,"
                    + "\"delta\":{\"content\":\"" + "w".repeat(i % 40) + "\"},\"finish_reason\":null}],\"usage\":null}\n\n";
            largest = Math.max(largest, chunk.length());
            pass(tap, chunk, heap);
            assertThat(tap.keptCapacity()).isLessThanOrEqualTo(StreamUsageTap.RECENT_LIMIT + largest);
        }
    }

    /** One event far larger than the limit grows the kept array; once reduced to text, the array shrinks back. */
    @Test
    void aLargeEventDoesNotLeaveItsStreamHoldingALargeArray() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.OPENAI, true);
        DataBufferFactory heap = DefaultDataBufferFactory.sharedInstance;
        String large = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + "x".repeat(10 * StreamUsageTap.RECENT_LIMIT)
                + "\"}}],\"usage\":null}\n\n";
        assertThat(pass(tap, large, heap)).isEqualTo(large);
        String small = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" y\"}}],\"usage\":null}\n\n";
        assertThat(pass(tap, small, heap)).isEqualTo(small);

        assertThat(tap.keptCapacity()).isLessThanOrEqualTo(2 * StreamUsageTap.RECENT_LIMIT);
        assertThat(tap.text()).isEqualTo(MessageText.ofStream((large + small).getBytes(StandardCharsets.UTF_8)));
        assertThat(tap.text()).contains("x".repeat(10 * StreamUsageTap.RECENT_LIMIT)).endsWith(" y\n");
    }

    /**
     * Between its events a stream keeps no array of the tap's once what came is reduced to text: a held stream
     * whose first event was a kilobyte kept that kilobyte for its whole life.
     */
    @Test
    void aStreamReducedToTextHoldsNoArrayUntilItsNextEvent() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.OPENAI, true);
        DataBufferFactory heap = DefaultDataBufferFactory.sharedInstance;
        assertThat(tap.keptCapacity()).isZero();
        String first = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" + "z".repeat(StreamUsageTap.RECENT_LIMIT)
                + "\"}}],\"usage\":null}\n\n";
        pass(tap, first, heap);
        assertThat(tap.keptCapacity()).isZero();

        String next = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" more\"}}],\"usage\":null}\n\n";
        pass(tap, next, heap);
        assertThat(tap.keptCapacity()).isPositive().isLessThanOrEqualTo(StreamUsageTap.RECENT_LIMIT);
        assertThat(tap.text()).isEqualTo(MessageText.ofStream((first + next).getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theClosingEventOfEachProtocolSaysTheAnswerIsWhole() {
        DefaultDataBufferFactory buffers = new DefaultDataBufferFactory();
        StreamUsageTap chat = new StreamUsageTap(Protocol.OPENAI, false);
        pass(chat, CONTENT + USAGE, buffers);
        assertThat(chat.answered()).isFalse();
        pass(chat, DONE, buffers);
        assertThat(chat.answered()).isTrue();

        StreamUsageTap messages = new StreamUsageTap(Protocol.ANTHROPIC, false);
        pass(messages, "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\"},"
                + "\"usage\":{\"output_tokens\":3}}\n\n", buffers);
        assertThat(messages.answered()).isFalse();
        pass(messages, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n", buffers);
        assertThat(messages.answered()).isTrue();

        StreamUsageTap completed = new StreamUsageTap(Protocol.OPENAI_RESPONSES, false);
        pass(completed, "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":{\"status\":\"completed\","
                + "\"usage\":{\"input_tokens\":4,\"output_tokens\":2,\"total_tokens\":6}}}\n\n", buffers);
        assertThat(completed.answered()).isTrue();
        StreamUsageTap failed = new StreamUsageTap(Protocol.OPENAI_RESPONSES, false);
        pass(failed, "event: response.failed\ndata: {\"type\":\"response.failed\",\"response\":{\"status\":\"failed\","
                + "\"usage\":{\"input_tokens\":4,\"output_tokens\":0,\"total_tokens\":4}}}\n\n", buffers);
        assertThat(failed.answered()).as("a failed response is no answer").isFalse();
    }
}
