package dev.switchboard.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.SseEvent;
import dev.switchboard.support.ProviderShapes;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** A Chat Completions client served by an Anthropic upstream: the request, the whole answer and the stream, field by field. */
class ChatOverMessagesTest {
    private static JsonNode json(String text) {
        return Json.MAPPER.readTree(text);
    }

    private static JsonNode json(SseEvent event) {
        return Json.MAPPER.readTree(event.data());
    }

    /** What one translator call gave: the client's events, parsed. */
    private static List<SseEvent> out(byte[] bytes) {
        return SseEvent.parseAll(bytes);
    }

    private static List<SseEvent> upstream(String shape) {
        return SseEvent.parseAll(shape.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void openAiRequestBecomesAnthropic() {
        JsonNode out = ChatOverMessages.toMessages(json("""
                {"model":"alias","max_completion_tokens":100,"stop":"END","temperature":1.6,"stream":true,
                 "reasoning_effort":"medium","tool_choice":"required","parallel_tool_calls":false,
                 "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],
                 "messages":[
                   {"role":"system","content":"Be brief."},{"role":"developer","content":"Use metric."},
                   {"role":"user","content":[{"type":"text","text":"Look:"},{"type":"image_url","image_url":{"url":"https://example.invalid/a.png"}}]},
                   {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Oslo\\"}"}},
                                                                  {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Rome\\"}"}}]},
                   {"role":"tool","tool_call_id":"call_1","content":"-3°C"},
                   {"role":"tool","tool_call_id":"call_2","content":"12°C"},
                   {"role":"user","content":"Which is warmer?"}]}"""), "MiniMax-M1");

        assertThat(out.path("system").asString()).isEqualTo("Be brief.\n\nUse metric.");
        assertThat(out.path("stop_sequences").get(0).asString()).isEqualTo("END");
        assertThat(out.path("stream").asBoolean()).isTrue();
        // thinking wants max_tokens above its budget, and no temperature
        assertThat(out.path("thinking").path("budget_tokens").asLong()).isEqualTo(4096);
        assertThat(out.path("max_tokens").asLong()).isEqualTo(4196);
        assertThat(out.has("temperature")).isFalse();
        assertThat(out.path("tool_choice").path("type").asString()).isEqualTo("any");
        assertThat(out.path("tool_choice").path("disable_parallel_tool_use").asBoolean()).isTrue();
        assertThat(out.path("tools").get(0).path("input_schema").path("type").asString()).isEqualTo("object");
        JsonNode messages = out.path("messages");
        assertThat(messages.get(0).path("content").get(1).path("source").path("url").asString()).isEqualTo("https://example.invalid/a.png");
        assertThat(messages.get(1).path("content").get(1).path("input").path("city").asString()).isEqualTo("Rome");
        // both tool results and the next question in one user turn, results first
        assertThat(messages).hasSize(3);
        JsonNode last = messages.get(2).path("content");
        assertThat(last.get(0).path("tool_use_id").asString()).isEqualTo("call_1");
        assertThat(last.get(1).path("tool_use_id").asString()).isEqualTo("call_2");
        assertThat(last.get(2).path("text").asString()).isEqualTo("Which is warmer?");
    }

    @Test
    void temperatureIsCappedAtAnthropicsScaleAndMaxTokensDefaults() {
        JsonNode out = ChatOverMessages.toMessages(json("{\"model\":\"a\",\"temperature\":1.6,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), "m");
        assertThat(out.path("temperature").asDouble()).isEqualTo(1.0);
        assertThat(out.path("max_tokens").asLong()).isEqualTo(Shapes.DEFAULT_MAX_TOKENS);
    }

    @Test
    void cacheBreakpointsOnPartsMessagesAndToolsReachTheAnthropicBlocks() {
        JsonNode out = ChatOverMessages.toMessages(json("""
                {"model":"alias","messages":[
                   {"role":"system","content":[{"type":"text","text":"Rules. "},{"type":"text","text":"Long manual.","cache_control":{"type":"ephemeral"}}]},
                   {"role":"user","content":[{"type":"text","text":"Big document","cache_control":{"type":"ephemeral","ttl":"1h"}},{"type":"text","text":"Question?"}]},
                   {"role":"assistant","content":"Answer.","cache_control":{"type":"ephemeral"}},
                   {"role":"tool","tool_call_id":"call_1","content":[{"type":"text","text":"output","cache_control":{"type":"ephemeral"}}]}],
                 "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}},"cache_control":{"type":"ephemeral"}}]}"""), "m");

        JsonNode system = out.path("system");
        assertThat(system.isArray()).as("a marked system prompt stays blocks").isTrue();
        assertThat(system.get(0).path("text").asString()).isEqualTo("Rules. ");
        assertThat(system.get(0).has("cache_control")).isFalse();
        assertThat(system.get(1).path("cache_control").path("type").asString()).isEqualTo("ephemeral");
        JsonNode messages = out.path("messages");
        assertThat(messages.get(0).path("content").get(0).path("cache_control").path("ttl").asString()).isEqualTo("1h");
        assertThat(messages.get(0).path("content").get(1).has("cache_control")).isFalse();
        assertThat(messages.get(1).path("content").get(0).path("cache_control").path("type").asString()).isEqualTo("ephemeral");
        JsonNode toolResult = messages.get(2).path("content").get(0);
        assertThat(toolResult.path("type").asString()).isEqualTo("tool_result");
        assertThat(toolResult.path("cache_control").path("type").asString()).isEqualTo("ephemeral");
        assertThat(out.path("tools").get(0).path("cache_control").path("type").asString()).isEqualTo("ephemeral");
    }

    @Test
    void anthropicCacheTokensCountInOpenAiPromptTokens() {
        JsonNode out = ChatOverMessages.toChat(Json.MAPPER.readTree("""
                {"id":"msg_1","type":"message","model":"m","content":[{"type":"text","text":"ok"}],"stop_reason":"refusal",
                 "usage":{"input_tokens":10,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"output_tokens":5}}"""), 1L);
        assertThat(out.path("choices").get(0).path("finish_reason").asString()).isEqualTo("content_filter");
        assertThat(out.path("usage").path("prompt_tokens").asLong()).isEqualTo(130);
        assertThat(out.path("usage").path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(100);
        assertThat(out.path("usage").path("completion_tokens").asLong()).isEqualTo(5);
    }

    @Test
    void anthropicStreamBecomesOpenAiChunksWithReasoningFinishUsageAndDone() {
        ChatStreamOverMessages translator = new ChatStreamOverMessages(true, 1763900000L);
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
        ChatStreamOverMessages translator = new ChatStreamOverMessages(false, 1L);
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
        ChatStreamOverMessages translator = new ChatStreamOverMessages(false, 1L);
        List<SseEvent> in = upstream(ProviderShapes.MINIMAX_MESSAGE_STREAM);
        for (SseEvent e : in.subList(0, 6)) translator.event(e);
        assertThatThrownBy(translator::end).isInstanceOf(IllegalStateException.class);
    }
}
