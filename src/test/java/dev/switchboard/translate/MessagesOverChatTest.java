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

/** An Anthropic Messages client served by a Chat Completions upstream: the request, the whole answer and the stream, field by field. */
class MessagesOverChatTest {
    private static JsonNode json(String text) {
        return Json.MAPPER.readTree(text);
    }

    private static void collect(byte[] bytes, StringBuilder thinking, StringBuilder text) {
        for (SseEvent e : out(bytes)) {
            if (!"content_block_delta".equals(e.name())) continue;
            JsonNode delta = json(e).path("delta");
            if (delta.has("thinking")) thinking.append(delta.path("thinking").asString());
            if (delta.has("text")) text.append(delta.path("text").asString());
        }
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

    private static List<String> names(List<SseEvent> events) {
        return events.stream().map(SseEvent::name).toList();
    }

    @Test
    void anthropicRequestBecomesOpenAi() {
        JsonNode out = MessagesOverChat.toChat(json("""
                {"model":"alias","max_tokens":300,"system":[{"type":"text","text":"Be brief."}],
                 "stop_sequences":["END"],"temperature":0.5,"top_p":0.9,"top_k":5,
                 "thinking":{"type":"enabled","budget_tokens":20000},
                 "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
                 "tool_choice":{"type":"tool","name":"get_weather","disable_parallel_tool_use":true},
                 "messages":[
                   {"role":"user","content":[{"type":"text","text":"Look:"},{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"QUJD"}}]},
                   {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"},{"type":"text","text":"Checking."},
                                                  {"type":"tool_use","id":"toolu_9","name":"get_weather","input":{"city":"Oslo"}}]},
                   {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9","content":[{"type":"text","text":"-3°C"}]},
                                             {"type":"text","text":"And tomorrow?"}]}]}"""), "MiniMax-M1");

        assertThat(out.path("model").asString()).isEqualTo("MiniMax-M1");
        assertThat(out.path("max_tokens").asInt()).isEqualTo(300);
        assertThat(out.path("stop").get(0).asString()).isEqualTo("END");
        assertThat(out.path("temperature").asDouble()).isEqualTo(0.5);
        assertThat(out.has("top_k")).isFalse();
        assertThat(out.path("reasoning_effort").asString()).isEqualTo("high");
        assertThat(out.path("tools").get(0).path("function").path("parameters").path("properties").has("city")).isTrue();
        assertThat(out.path("tool_choice").path("function").path("name").asString()).isEqualTo("get_weather");
        assertThat(out.path("parallel_tool_calls").asBoolean(true)).isFalse();
        JsonNode messages = out.path("messages");
        assertThat(messages.get(0).path("role").asString()).isEqualTo("system");
        assertThat(messages.get(0).path("content").asString()).isEqualTo("Be brief.");
        assertThat(messages.get(1).path("content").get(1).path("image_url").path("url").asString()).isEqualTo("data:image/jpeg;base64,QUJD");
        assertThat(messages.get(2).path("content").asString()).isEqualTo("Checking.");
        assertThat(messages.get(2).path("tool_calls").get(0).path("function").path("arguments").asString()).isEqualTo("{\"city\":\"Oslo\"}");
        // the tool result directly after the assistant's call, then the rest of the user turn
        assertThat(messages.get(3).path("role").asString()).isEqualTo("tool");
        assertThat(messages.get(3).path("tool_call_id").asString()).isEqualTo("toolu_9");
        assertThat(messages.get(3).path("content").asString()).isEqualTo("-3°C");
        assertThat(messages.get(4).path("content").asString()).isEqualTo("And tomorrow?");
    }

    @Test
    void miniMaxReasoningDetailsBecomeAThinkingBlockAndCacheTokensLeaveInputTokens() {
        JsonNode out = MessagesOverChat.toMessages(Json.MAPPER.readTree("""
                {"id":"mm-9","object":"chat.completion","model":"MiniMax-M1","choices":[{"index":0,"finish_reason":"length",
                  "message":{"role":"assistant","content":"Partial answ","reasoning_details":[{"type":"reasoning.text","text":"Step one. "},{"type":"reasoning.text","text":"Step two."}]}}],
                 "usage":{"prompt_tokens":100,"completion_tokens":50,"prompt_tokens_details":{"cached_tokens":30,"cache_write_tokens":20}}}"""));
        assertThat(out.path("content").get(0).path("type").asString()).isEqualTo("thinking");
        assertThat(out.path("content").get(0).path("thinking").asString()).isEqualTo("Step one. Step two.");
        assertThat(out.path("content").get(1).path("text").asString()).isEqualTo("Partial answ");
        assertThat(out.path("stop_reason").asString()).isEqualTo("max_tokens");
        assertThat(out.path("usage").path("input_tokens").asLong()).isEqualTo(50);
        assertThat(out.path("usage").path("cache_read_input_tokens").asLong()).isEqualTo(30);
        assertThat(out.path("usage").path("cache_creation_input_tokens").asLong()).isEqualTo(20);
    }

    @Test
    void streamedReasoningDetailsBecomeThinkingDeltas() {
        MessagesStreamOverChat translator = new MessagesStreamOverChat();
        var events = SseEvent.parseAll(translator.event(new SseEvent(null,
                "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"Think.\"}]}}]}")));
        assertThat(Json.MAPPER.readTree(events.getLast().data()).path("delta").path("thinking").asString()).isEqualTo("Think.");
    }

    @Test
    void aimlapiStreamBecomesTheAnthropicSequenceWithThinkingSplitOutOfTheText() {
        MessagesStreamOverChat translator = new MessagesStreamOverChat();
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
        MessagesStreamOverChat translator = new MessagesStreamOverChat();
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
        MessagesStreamOverChat translator = new MessagesStreamOverChat();
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
        MessagesStreamOverChat translator = new MessagesStreamOverChat();
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
        MessagesStreamOverChat translator = new MessagesStreamOverChat();
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
        MessagesStreamOverChat translator = new MessagesStreamOverChat();
        List<SseEvent> in = upstream(ProviderShapes.AIMLAPI_STREAM);
        translator.event(in.get(0));
        translator.event(in.get(1));
        assertThatThrownBy(translator::end).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anOpenAiErrorEventBecomesAnAnthropicErrorEvent() {
        MessagesStreamOverChat translator = new MessagesStreamOverChat();
        translator.event(upstream(ProviderShapes.AIMLAPI_STREAM).get(1));
        List<SseEvent> error = out(translator.event(new SseEvent(null, "{\"error\":{\"message\":\"provider overloaded\",\"code\":502}}")));
        assertThat(names(error)).containsExactly("error");
        assertThat(json(error.getFirst()).path("error").path("message").asString()).isEqualTo("provider overloaded");
        assertThat(translator.end()).isEmpty(); // no message_stop after an error
    }

    @Test
    void claudeCodesAdaptiveThinkingAndEffortBecomeAReasoningEffortAndItsOwnFieldsAreLeftOut() {
        JsonNode adaptive = MessagesOverChat.toChat(json("""
                {"model":"claude-opus-4-8","max_tokens":32000,"thinking":{"type":"adaptive"},"output_config":{"effort":"low"},
                 "context_management":{"edits":[{"type":"clear_thinking_20251015"}]},
                 "system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}}],
                 "messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral"}}]}]}"""), "m");
        assertThat(adaptive.path("reasoning_effort").asString()).isEqualTo("low");
        assertThat(adaptive.has("context_management")).isFalse();
        assertThat(adaptive.has("output_config")).isFalse();
        assertThat(adaptive.toString()).doesNotContain("cache_control");
        assertThat(adaptive.path("messages").get(0).path("content").asString()).isEqualTo("You are Claude Code.");
        assertThat(MessagesOverChat.toChat(json("{\"model\":\"m\",\"max_tokens\":5,\"thinking\":{\"type\":\"adaptive\"},\"messages\":[]}"), "m")
                .path("reasoning_effort").asString()).isEqualTo("medium");
        assertThat(MessagesOverChat.toChat(json("{\"model\":\"m\",\"max_tokens\":5,\"output_config\":{\"effort\":\"max\"},\"messages\":[]}"), "m")
                .path("reasoning_effort").asString()).isEqualTo("high");
        assertThat(MessagesOverChat.toChat(json("{\"model\":\"m\",\"max_tokens\":5,\"thinking\":{\"type\":\"disabled\"},\"messages\":[]}"), "m")
                .has("reasoning_effort")).isFalse();
    }
}
