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

/** A Responses API client served by a Chat Completions upstream: the request, the whole answer and the stream. */
class ResponsesOverChatTest {
    private static ResponsesOverChat translator(String request) {
        return new ResponsesOverChat(RequestScan.of(request.getBytes(StandardCharsets.UTF_8)));
    }

    private static JsonNode json(String text) {
        return Json.MAPPER.readTree(text);
    }

    /** Codex's shape: developer messages, namespaced and custom tools, reasoning items, calls and outputs. */
    private static final String CODEX_LIKE = """
            {"model":"gpt-5.1-codex","stream":true,"store":false,"include":["reasoning.encrypted_content"],
             "instructions":"Be a coding agent.","prompt_cache_key":"session-1","parallel_tool_calls":true,
             "reasoning":{"effort":"medium","summary":"auto"},"tool_choice":"auto",
             "tools":[{"type":"function","name":"exec_command","parameters":{"type":"object","properties":{"cmd":{"type":"string"}}}},
                      {"type":"namespace","name":"multi_agent_v1","description":"agents",
                       "tools":[{"type":"function","name":"spawn_agent","parameters":{"type":"object"}}]},
                      {"type":"custom","name":"apply_patch","description":"Patch files"}],
             "input":[{"type":"message","role":"developer","content":[{"type":"input_text","text":"Sandbox: read-only"}]},
                      {"type":"message","role":"user","content":[{"type":"input_text","text":"List files"},
                                                                 {"type":"input_image","image_url":"data:image/png;base64,QUJD"}]},
                      {"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"thinking"}],"encrypted_content":null},
                      {"type":"function_call","call_id":"call_1","name":"exec_command","arguments":"{\\"cmd\\":\\"ls\\"}"},
                      {"type":"function_call","call_id":"call_2","namespace":"multi_agent_v1","name":"spawn_agent","arguments":"{}"},
                      {"type":"function_call_output","call_id":"call_1","output":"a.txt"},
                      {"type":"custom_tool_call","call_id":"call_3","name":"apply_patch","input":"*** Begin Patch"},
                      {"type":"custom_tool_call_output","call_id":"call_3","output":[{"type":"input_text","text":"done"}]}]}""";

    @Test
    void aCodexRequestBecomesChatMessagesAndFlatFunctions() {
        ResponsesOverChat t = translator(CODEX_LIKE);
        JsonNode out = t.request(json(CODEX_LIKE), "MiniMax-M2");
        JsonNode messages = out.path("messages");
        assertThat(out.path("model").asString()).isEqualTo("MiniMax-M2");
        assertThat(messages.get(0).path("role").asString()).isEqualTo("system");
        assertThat(messages.get(0).path("content").asString()).isEqualTo("Be a coding agent.");
        assertThat(messages.get(1).path("role").asString()).as("developer, as every chat upstream knows it").isEqualTo("system");
        assertThat(messages.get(2).path("content").get(1).path("image_url").path("url").asString()).startsWith("data:image/png");
        JsonNode assistant = messages.get(3);
        assertThat(assistant.path("role").asString()).isEqualTo("assistant");
        assertThat(assistant.path("tool_calls")).hasSize(2);
        assertThat(assistant.path("tool_calls").get(1).path("function").path("name").asString()).isEqualTo("multi_agent_v1__spawn_agent");
        assertThat(messages.get(4).path("role").asString()).isEqualTo("tool");
        assertThat(messages.get(4).path("content").asString()).isEqualTo("a.txt");
        assertThat(messages.get(5).path("tool_calls").get(0).path("function").path("arguments").asString())
                .isEqualTo("{\"input\":\"*** Begin Patch\"}");
        assertThat(messages.get(6).path("content").asString()).isEqualTo("done");
        assertThat(messages.toString()).as("reasoning items stay behind").doesNotContain("thinking");
        List<String> tools = new ArrayList<>();
        out.path("tools").forEach(tool -> tools.add(tool.path("function").path("name").asString()));
        assertThat(tools).containsExactly("exec_command", "multi_agent_v1__spawn_agent", "apply_patch");
        assertThat(out.path("tools").get(2).path("function").path("parameters").path("required").get(0).asString()).isEqualTo("input");
        assertThat(out.path("reasoning_effort").asString()).isEqualTo("medium");
        assertThat(out.path("prompt_cache_key").asString()).isEqualTo("session-1");
        assertThat(out.path("stream_options").path("include_usage").asBoolean()).isTrue();
        for (String left : new String[] {"store", "include", "instructions", "input", "reasoning"}) assertThat(out.has(left)).as(left).isFalse();
    }

    @Test
    void aStreamedCallOfANamespacedOrCustomToolGoesBackUnderItsOwnName() {
        ResponsesOverChat t = translator(CODEX_LIKE);
        StreamTranslator stream = t.stream();
        List<SseEvent> out = new ArrayList<>();
        for (String chunk : List.of(
                "{\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"id\":\"c1\",\"function\":{\"name\":\"multi_agent_v1__spawn_agent\",\"arguments\":\"{\\\"a\\\":\"}}]}}]}",
                "{\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":\"1}\"}}]}}]}",
                "{\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"tool_calls\":[{\"index\":1,\"id\":\"c2\",\"function\":{\"name\":\"apply_patch\",\"arguments\":\"{\\\"input\\\":\\\"*** Begin\\\"}\"}}]}}]}",
                "{\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"tool_calls\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":4,\"total_tokens\":7}}",
                "[DONE]")) {
            out.addAll(SseEvent.parseAll(stream.event(new SseEvent(null, chunk))));
        }
        out.addAll(SseEvent.parseAll(stream.end()));
        JsonNode completed = json(out.getLast().data()).path("response");
        assertThat(out.getLast().name()).isEqualTo("response.completed");
        JsonNode spawn = completed.path("output").get(0);
        assertThat(spawn.path("type").asString()).isEqualTo("function_call");
        assertThat(spawn.path("namespace").asString()).isEqualTo("multi_agent_v1");
        assertThat(spawn.path("name").asString()).isEqualTo("spawn_agent");
        assertThat(spawn.path("arguments").asString()).isEqualTo("{\"a\":1}");
        JsonNode patch = completed.path("output").get(1);
        assertThat(patch.path("type").asString()).isEqualTo("custom_tool_call");
        assertThat(patch.path("input").asString()).isEqualTo("*** Begin");
        assertThat(completed.path("usage").path("total_tokens").asLong()).isEqualTo(7);
    }

    @Test
    void aStreamCutBeforeItsFinishIsNotEndedCleanlyAndFailsInItsOwnSequence() {
        ResponsesOverChat t = translator("{\"model\":\"m\",\"input\":\"hi\",\"stream\":true}");
        StreamTranslator stream = t.stream();
        List<SseEvent> events = new ArrayList<>(SseEvent.parseAll(stream.event(new SseEvent(null,
                "{\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"}}]}"))));
        assertThatThrownBy(stream::end).isInstanceOf(IllegalStateException.class);
        events.addAll(SseEvent.parseAll(stream.failed("upstream_unreachable", "broke off")));
        assertThat(events.getLast().name()).isEqualTo("response.failed");
        assertThat(events.stream().map(SseEvent::name)).doesNotContain("response.completed");
        JsonNode failed = json(events.getLast().data());
        assertThat(failed.path("sequence_number").asInt()).isEqualTo(events.size() - 1);
        assertThat(failed.path("response").path("error").path("message").asString()).isEqualTo("broke off");
    }

    @Test
    void aLengthFinishIsAnIncompleteResponse() {
        ResponsesOverChat t = translator("{\"model\":\"m\",\"input\":\"hi\"}");
        JsonNode answer = t.answer(json("""
                {"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"cut"},"finish_reason":"length"}],
                 "usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}"""));
        assertThat(answer.path("status").asString()).isEqualTo("incomplete");
        assertThat(answer.path("incomplete_details").path("reason").asString()).isEqualTo("max_output_tokens");
    }

    @Test
    void thinkTextWithNoSummaryAskedForIsLeftOutOfTheOutput() {
        ResponsesOverChat t = translator("{\"model\":\"m\",\"input\":\"hi\",\"stream\":true}");
        StreamTranslator stream = t.stream();
        StringBuilder all = new StringBuilder();
        for (SseEvent e : SseEvent.parseAll(ProviderShapes.AIMLAPI_STREAM.getBytes(StandardCharsets.UTF_8))) {
            all.append(new String(stream.event(e), StandardCharsets.UTF_8));
        }
        all.append(new String(stream.end(), StandardCharsets.UTF_8));
        assertThat(all.toString()).doesNotContain("reasoning_summary").contains("response.completed");
    }
}
