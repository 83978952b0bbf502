package dev.switchboard.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.SseEvent;
import dev.switchboard.support.ProviderShapes;
import tools.jackson.databind.JsonNode;

/** Recorded provider streams translated event by event; each upstream event's output is checked as it comes. */
class StreamTranslationTest {

    /** What one translator call gave: the client's events, parsed. */
    private static List<SseEvent> out(byte[] bytes) {
        return SseEvent.parseAll(bytes);
    }

    private static JsonNode json(SseEvent event) {
        return Json.MAPPER.readTree(event.data());
    }

    private static List<SseEvent> upstream(String shape) {
        return SseEvent.parseAll(shape.getBytes(StandardCharsets.UTF_8));
    }

    private static List<String> names(List<SseEvent> events) {
        return events.stream().map(SseEvent::name).toList();
    }

    @Test
    void aimlapiStreamBecomesTheAnthropicSequenceWithThinkingSplitOutOfTheText() {
        AnthropicStreamFromOpenAi translator = new AnthropicStreamFromOpenAi();
        List<SseEvent> in = upstream(ProviderShapes.AIMLAPI_STREAM);

        List<SseEvent> first = out(translator.event(in.get(0))); // "<think>hmm</think>"
        assertThat(names(first)).containsExactly("message_start", "content_block_start", "content_block_delta");
        assertThat(json(first.get(0)).path("message").path("id").asString()).isEqualTo("msg_chatcmpl-aiml-2");
        assertThat(json(first.get(1)).path("content_block").path("type").asString()).isEqualTo("thinking");
        assertThat(json(first.get(2)).path("delta").path("thinking").asString()).isEqualTo("hmm");

        List<SseEvent> second = out(translator.event(in.get(1))); // "Hello": flushed at once, in a new text block
        assertThat(names(second)).containsExactly("content_block_stop", "content_block_start", "content_block_delta");
        assertThat(json(second.get(1)).path("index").asInt()).isEqualTo(1);
        assertThat(json(second.get(2)).path("delta").path("text").asString()).isEqualTo("Hello");

        assertThat(names(out(translator.event(in.get(2))))).containsExactly("content_block_delta");
        assertThat(out(translator.event(in.get(3)))).isEmpty(); // finish_reason and usage: held for message_delta
        List<SseEvent> done = out(translator.event(in.get(4)));
        assertThat(names(done)).containsExactly("content_block_stop", "message_delta", "message_stop");
        JsonNode delta = json(done.get(1));
        assertThat(delta.path("delta").path("stop_reason").asString()).isEqualTo("end_turn");
        assertThat(delta.path("usage").path("input_tokens").asLong()).isEqualTo(12);
        assertThat(delta.path("usage").path("output_tokens").asLong()).isEqualTo(7);
        assertThat(translator.end()).isEmpty();
    }

    @Test
    void openRouterKeepAlivesBecomePingsOnceStartedAndUsageComesFromTheLastMessage() {
        AnthropicStreamFromOpenAi translator = new AnthropicStreamFromOpenAi();
        List<String> all = new ArrayList<>();
        JsonNode usage = null;
        List<SseEvent> in = new ArrayList<>(upstream(ProviderShapes.OPENROUTER_STREAM));
        in.add(3, new SseEvent(null, null)); // a keep-alive between two content chunks
        for (SseEvent e : in) {
            for (SseEvent o : out(translator.event(e))) {
                all.add(o.name());
                if ("message_delta".equals(o.name())) usage = json(o).path("usage");
            }
        }
        // the two leading comments come before message_start and have nothing to keep alive yet
        assertThat(all.getFirst()).isEqualTo("message_start");
        assertThat(all).containsSubsequence("content_block_delta", "ping", "content_block_delta");
        assertThat(all.stream().filter("ping"::equals)).hasSize(1);
        assertThat(all).containsSubsequence("content_block_start", "content_block_delta", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop");
        assertThat(usage.path("input_tokens").asLong()).isEqualTo(10);
        assertThat(usage.path("output_tokens").asLong()).isEqualTo(4);
    }

    @Test
    void toolCallDeltasBecomeAToolUseBlockWithArgumentFragments() {
        AnthropicStreamFromOpenAi translator = new AnthropicStreamFromOpenAi();
        List<SseEvent> in = upstream(ProviderShapes.TOGETHER_TOOL_CALL_STREAM);
        List<SseEvent> first = out(translator.event(in.get(0)));
        assertThat(names(first)).containsExactly("message_start", "content_block_start");
        JsonNode block = json(first.get(1)).path("content_block");
        assertThat(block.path("type").asString()).isEqualTo("tool_use");
        assertThat(block.path("id").asString()).isEqualTo("call_weather_2");
        assertThat(block.path("name").asString()).isEqualTo("get_weather");
        assertThat(json(out(translator.event(in.get(1))).getFirst()).path("delta").path("partial_json").asString()).isEqualTo("{\"city\":");
        assertThat(json(out(translator.event(in.get(2))).getFirst()).path("delta").path("partial_json").asString()).isEqualTo("\"Paris\"}");
        translator.event(in.get(3));
        List<SseEvent> done = out(translator.event(in.get(4)));
        assertThat(json(done.get(1)).path("delta").path("stop_reason").asString()).isEqualTo("tool_use");
        assertThat(json(done.get(1)).path("usage").path("output_tokens").asLong()).isEqualTo(18);
    }

    @Test
    void miniMaxStreamWithoutDoneEndsCleanlyFromItsClosingCompletion() {
        AnthropicStreamFromOpenAi translator = new AnthropicStreamFromOpenAi();
        StringBuilder thinking = new StringBuilder(), text = new StringBuilder();
        for (SseEvent e : upstream(ProviderShapes.MINIMAX_OPENAI_STREAM)) collect(translator.event(e), thinking, text);
        List<SseEvent> end = out(translator.end());
        assertThat(names(end)).containsExactly("content_block_stop", "message_delta", "message_stop");
        assertThat(json(end.get(1)).path("usage").path("output_tokens").asLong()).isEqualTo(6);
        assertThat(thinking).hasToString("short");
        assertThat(text).hasToString("MiniMax"); // the closing chat.completion's copy of the content is not repeated
    }

    @Test
    void aThinkTagCutBetweenChunksIsStillRecognised() {
        AnthropicStreamFromOpenAi translator = new AnthropicStreamFromOpenAi();
        StringBuilder thinking = new StringBuilder(), text = new StringBuilder();
        for (String piece : List.of("<thi", "nk>deep ", "thought</th", "ink>answer <b>bold</b>")) {
            collect(translator.event(new SseEvent(null, "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":"
                    + Json.MAPPER.writeValueAsString(piece) + "},\"finish_reason\":null}]}")), thinking, text);
        }
        collect(translator.event(new SseEvent(null, "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}")), thinking, text);
        collect(translator.event(new SseEvent(null, "[DONE]")), thinking, text);
        assertThat(thinking).hasToString("deep thought");
        assertThat(text).hasToString("answer <b>bold</b>");
    }

    @Test
    void anOpenAiStreamCutBeforeItsFinishIsNotEndedCleanly() {
        AnthropicStreamFromOpenAi translator = new AnthropicStreamFromOpenAi();
        List<SseEvent> in = upstream(ProviderShapes.AIMLAPI_STREAM);
        translator.event(in.get(0));
        translator.event(in.get(1));
        assertThatThrownBy(translator::end).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anOpenAiErrorEventBecomesAnAnthropicErrorEvent() {
        AnthropicStreamFromOpenAi translator = new AnthropicStreamFromOpenAi();
        translator.event(upstream(ProviderShapes.AIMLAPI_STREAM).get(1));
        List<SseEvent> error = out(translator.event(new SseEvent(null, "{\"error\":{\"message\":\"provider overloaded\",\"code\":502}}")));
        assertThat(names(error)).containsExactly("error");
        assertThat(json(error.getFirst()).path("error").path("message").asString()).isEqualTo("provider overloaded");
        assertThat(translator.end()).isEmpty(); // no message_stop after an error
    }

    @Test
    void anthropicStreamBecomesOpenAiChunksWithReasoningFinishUsageAndDone() {
        OpenAiStreamFromAnthropic translator = new OpenAiStreamFromAnthropic(true, 1763900000L);
        List<SseEvent> in = upstream(ProviderShapes.MINIMAX_MESSAGE_STREAM);
        List<String> contents = new ArrayList<>();
        List<String> reasoning = new ArrayList<>();
        List<SseEvent> produced = new ArrayList<>();
        for (SseEvent e : in) {
            List<SseEvent> o = out(translator.event(e));
            if ("ping".equals(e.name())) assertThat(o).as("ping is dropped").isEmpty();
            if ("content_block_delta".equals(e.name()) && e.data().contains("text_delta")) assertThat(o).as("flushed at once").hasSize(1);
            produced.addAll(o);
        }
        assertThat(translator.end()).isEmpty();
        assertThat(produced.getLast().data()).isEqualTo("[DONE]");
        JsonNode usageChunk = json(produced.get(produced.size() - 2));
        assertThat(usageChunk.path("choices")).isEmpty();
        assertThat(usageChunk.path("usage").path("prompt_tokens").asLong()).isEqualTo(19); // 15 + 4 read from cache
        assertThat(usageChunk.path("usage").path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(4);
        assertThat(usageChunk.path("usage").path("completion_tokens").asLong()).isEqualTo(12);
        String finish = null;
        for (SseEvent e : produced.subList(0, produced.size() - 2)) {
            JsonNode chunk = json(e);
            assertThat(chunk.path("object").asString()).isEqualTo("chat.completion.chunk");
            assertThat(chunk.path("id").asString()).isEqualTo("msg_mm_2");
            JsonNode delta = chunk.path("choices").path(0).path("delta");
            if (delta.has("content") && !delta.path("content").asString().isEmpty()) contents.add(delta.path("content").asString());
            if (delta.has("reasoning_content")) reasoning.add(delta.path("reasoning_content").asString());
            if (!chunk.path("choices").path(0).path("finish_reason").isNull()) finish = chunk.path("choices").path(0).path("finish_reason").asString();
        }
        assertThat(json(produced.getFirst()).path("choices").path(0).path("delta").path("role").asString()).isEqualTo("assistant");
        assertThat(contents).containsExactly("Hello", " there");
        assertThat(reasoning).containsExactly("Greeting back.");
        assertThat(finish).isEqualTo("stop");
    }

    @Test
    void anthropicToolUseBecomesAToolCallsEntryAndArgumentFragmentsWithoutUsageUnlessAsked() {
        OpenAiStreamFromAnthropic translator = new OpenAiStreamFromAnthropic(false, 1L);
        List<SseEvent> in = upstream(ProviderShapes.MINIMAX_TOOL_USE_STREAM);
        List<SseEvent> produced = new ArrayList<>();
        for (SseEvent e : in) produced.addAll(out(translator.event(e)));
        JsonNode start = json(produced.get(1)).path("choices").path(0).path("delta").path("tool_calls").path(0);
        assertThat(start.path("index").asInt()).isZero();
        assertThat(start.path("id").asString()).isEqualTo("toolu_2");
        assertThat(start.path("function").path("name").asString()).isEqualTo("get_weather");
        assertThat(json(produced.get(2)).path("choices").path(0).path("delta").path("tool_calls").path(0).path("function")
                .path("arguments").asString()).isEqualTo("{\"city\": ");
        assertThat(json(produced.get(4)).path("choices").path(0).path("finish_reason").asString()).isEqualTo("tool_calls");
        assertThat(produced).hasSize(6); // role, tool start, 2 fragments, finish, [DONE]: no usage chunk
        assertThat(produced.getLast().data()).isEqualTo("[DONE]");
    }

    @Test
    void anAnthropicStreamCutBeforeMessageStopIsNotEndedCleanly() {
        OpenAiStreamFromAnthropic translator = new OpenAiStreamFromAnthropic(false, 1L);
        List<SseEvent> in = upstream(ProviderShapes.MINIMAX_MESSAGE_STREAM);
        for (SseEvent e : in.subList(0, 6)) translator.event(e);
        assertThatThrownBy(translator::end).isInstanceOf(IllegalStateException.class);
    }

    private static void collect(byte[] bytes, StringBuilder thinking, StringBuilder text) {
        for (SseEvent e : out(bytes)) {
            if (!"content_block_delta".equals(e.name())) continue;
            JsonNode delta = json(e).path("delta");
            if (delta.has("thinking")) thinking.append(delta.path("thinking").asString());
            if (delta.has("text")) text.append(delta.path("text").asString());
        }
    }
}
