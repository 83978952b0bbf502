package dev.switchboard.translate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.RequestScan;
import dev.switchboard.protocol.SseEvent;
import dev.switchboard.support.ProviderShapes;
import tools.jackson.databind.JsonNode;

/** A Responses API client served by an Anthropic Messages upstream: the request, the whole answer and the stream. */
class ResponsesOverMessagesTest {
    private static ResponsesOverMessages translator(String request) {
        return new ResponsesOverMessages(RequestScan.of(request.getBytes(StandardCharsets.UTF_8)));
    }

    private static JsonNode json(String text) {
        return Json.MAPPER.readTree(text);
    }

    @Test
    void itemsBecomeTurnsWithToolUseAndResultsAndTheSystemPromptGathersInstructionsAndDeveloperText() {
        String request = """
                {"model":"m","instructions":"Be brief.","max_output_tokens":500,"temperature":1.7,"parallel_tool_calls":false,
                 "tool_choice":"required","reasoning":{"effort":"high"},
                 "text":{"format":{"type":"json_schema","name":"w","schema":{"type":"object"}}},
                 "tools":[{"type":"function","name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}],
                 "input":[{"role":"developer","content":"Use metric units."},
                          {"role":"user","content":[{"type":"input_text","text":"Weather?"},{"type":"input_image","image_url":"https://x/y.png"}]},
                          {"type":"function_call","call_id":"call_9","name":"get_weather","arguments":"{\\"city\\":\\"Oslo\\"}"},
                          {"type":"function_call_output","call_id":"call_9","output":"-3 C"},
                          {"role":"user","content":"And tomorrow?"}]}""";
        JsonNode out = translator(request).request(json(request), "claude-x");
        assertThat(out.path("system").asString()).isEqualTo("Be brief.\n\nUse metric units.");
        JsonNode messages = out.path("messages");
        assertThat(messages).hasSize(3);
        assertThat(messages.get(0).path("content").get(1).path("source").path("url").asString()).isEqualTo("https://x/y.png");
        assertThat(messages.get(1).path("content").get(0).path("type").asString()).isEqualTo("tool_use");
        assertThat(messages.get(1).path("content").get(0).path("input").path("city").asString()).isEqualTo("Oslo");
        JsonNode results = messages.get(2).path("content");
        assertThat(results.get(0).path("type").asString()).as("the result opens the next user turn").isEqualTo("tool_result");
        assertThat(results.get(0).path("tool_use_id").asString()).isEqualTo("call_9");
        assertThat(results.get(1).path("text").asString()).isEqualTo("And tomorrow?");
        assertThat(out.path("tool_choice").path("type").asString()).isEqualTo("any");
        assertThat(out.path("tool_choice").path("disable_parallel_tool_use").asBoolean()).isTrue();
        assertThat(out.path("thinking").path("budget_tokens").asLong()).isEqualTo(16384);
        assertThat(out.path("max_tokens").asLong()).as("raised above the thinking budget").isEqualTo(500 + 16384);
        assertThat(out.has("temperature")).as("thinking takes no temperature").isFalse();
        assertThat(out.path("output_config").path("format").path("type").asString()).isEqualTo("json_schema");
        assertThat(out.path("tools").get(0).path("input_schema").path("properties").has("city")).isTrue();
    }

    @Test
    void aWholeMessageWithThinkingTextAndToolUseIsAResponse() {
        ResponsesOverMessages t = translator("{\"model\":\"m\",\"input\":\"hi\",\"reasoning\":{\"summary\":\"auto\"}}");
        JsonNode answer = t.answer(json(ProviderShapes.MINIMAX_TOOL_USE));
        JsonNode output = answer.path("output");
        assertThat(output.get(output.size() - 1).path("type").asString()).isEqualTo("function_call");
        assertThat(answer.path("status").asString()).isEqualTo("completed");
        assertThat(answer.path("usage").path("input_tokens").asLong()).isPositive();
    }

    @Test
    void theStreamEndsCompletedAtMessageStopAndFailsWhenCutOrWhenTheUpstreamSaysError() {
        ResponsesOverMessages t = translator("{\"model\":\"m\",\"input\":\"hi\",\"stream\":true,\"reasoning\":{\"summary\":\"detailed\"}}");
        StreamTranslator stream = t.stream();
        List<SseEvent> out = new ArrayList<>();
        for (SseEvent e : SseEvent.parseAll(ProviderShapes.MINIMAX_MESSAGE_STREAM.getBytes(StandardCharsets.UTF_8))) {
            out.addAll(SseEvent.parseAll(stream.event(e)));
        }
        out.addAll(SseEvent.parseAll(stream.end()));
        List<String> names = out.stream().map(SseEvent::name).toList();
        assertThat(names).startsWith("response.created", "response.in_progress").endsWith("response.completed")
                .contains("response.reasoning_summary_text.delta", "response.output_text.delta");
        JsonNode usage = json(out.getLast().data()).path("response").path("usage");
        assertThat(usage.path("input_tokens").asLong()).isEqualTo(19);
        assertThat(usage.path("input_tokens_details").path("cached_tokens").asLong()).isEqualTo(4);

        StreamTranslator cut = translator("{\"model\":\"m\",\"input\":\"hi\",\"stream\":true}").stream();
        List<SseEvent> upstream = SseEvent.parseAll(ProviderShapes.MINIMAX_MESSAGE_STREAM.getBytes(StandardCharsets.UTF_8));
        for (SseEvent e : upstream.subList(0, 6)) cut.event(e);
        assertThatThrownBy(cut::end).isInstanceOf(IllegalStateException.class);

        StreamTranslator erring = translator("{\"model\":\"m\",\"input\":\"hi\",\"stream\":true}").stream();
        erring.event(upstream.getFirst());
        List<SseEvent> failed = SseEvent.parseAll(erring.event(new SseEvent("error",
                "{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}")));
        assertThat(failed.getLast().name()).isEqualTo("response.failed");
        assertThat(json(failed.getLast().data()).path("response").path("error").path("code").asString()).isEqualTo("overloaded_error");
    }
}
