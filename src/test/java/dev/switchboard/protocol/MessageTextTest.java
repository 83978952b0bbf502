package dev.switchboard.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;

import org.junit.jupiter.api.Test;

import dev.switchboard.support.ProviderShapes;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/** The streaming text reader against a plain walk of each event's JSON tree, the way a client reads events. */
class MessageTextTest {
    private static final Set<String> NOT_TEXT = Set.of("model", "role", "type", "id", "object", "tool_call_id",
            "tool_use_id", "finish_reason", "stop_reason", "signature", "system_fingerprint", "provider",
            "native_finish_reason", "service_tier", "stop_sequence", "base_resp", "meta", "usage");

    @Test
    void aRequestsTextIsItsContentsAndToolsNotItsIdentifiers() {
        String request = """
                {"model":"m1","messages":[{"role":"system","content":"Be brief."},
                 {"role":"user","content":[{"type":"text","text":"Weather in Paris?"}]},
                 {"role":"assistant","tool_calls":[{"id":"call_1","type":"function",
                   "function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]},
                 {"role":"tool","tool_call_id":"call_1","content":"18 C"}],
                 "tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather"}}]}""";
        assertThat(MessageText.of(bytes(request)))
                .isEqualTo("Be brief.\nWeather in Paris?\nget_weather\n{\"city\":\"Paris\"}\n18 C\nget_weather\nCurrent weather\n")
                .isEqualTo(oracle(bytes(request)));
        assertThat(MessageText.of(bytes("{\"messages\": [broken"))).isEmpty();
    }

    @Test
    void everyProviderStreamReadsAsItsEventsDo() {
        for (String stream : new String[] {ProviderShapes.AIMLAPI_STREAM, ProviderShapes.OPENROUTER_STREAM,
                ProviderShapes.TOGETHER_TOOL_CALL_STREAM, ProviderShapes.MINIMAX_OPENAI_STREAM, ProviderShapes.MINIMAX_MESSAGE_STREAM, ProviderShapes.MINIMAX_TOOL_USE_STREAM}) {
            assertThat(MessageText.ofStream(bytes(stream))).isEqualTo(streamOracle(stream)).isNotEmpty();
        }
    }

    @Test
    void linesCommentsDoneAndBrokenEventsAreReadAsAClientReadsThem() {
        String stream = ": keep-alive\r\n\r\n"
                + "event: content_block_delta\r\ndata: {\"delta\":{\"type\":\"text_delta\",\"text\":\"crlf\"}}\r\n\r\n"
                + "data: {\"choices\":[{\"delta\":\ndata: {\"content\":\"two lines\"}}]}\n\n"
                + "data:{\"choices\":[{\"delta\":{\"content\":\"no space\"}}]}\n\n"
                + "data: {\"choices\": [broken\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"after the broken one\"}}]}\n\n"
                + "data: [DONE]\n\n"
                + "data: {\"choices\":[{\"delta\":{\"content\":\"no blank line at the end\"}}]}";
        assertThat(MessageText.ofStream(bytes(stream)))
                .isEqualTo("crlf\ntwo lines\nno space\nafter the broken one\nno blank line at the end\n")
                .isEqualTo(streamOracle(stream));
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String streamOracle(String stream) {
        StringBuilder out = new StringBuilder();
        for (SseEvent event : SseEvent.parseAll(bytes(stream))) {
            if (event.data() != null && !event.data().equals("[DONE]")) out.append(oracle(bytes(event.data())));
        }
        return out.toString();
    }

    private static String oracle(byte[] json) {
        StringBuilder out = new StringBuilder();
        try {
            walk(Json.MAPPER.readTree(json), out);
        } catch (JacksonException e) {
            return "";
        }
        return out.toString();
    }

    private static void walk(JsonNode node, StringBuilder out) {
        if (node.isString()) {
            out.append(node.asString()).append('\n');
        } else if (node.isArray()) {
            for (JsonNode item : node) walk(item, out);
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                if (!NOT_TEXT.contains(field.getKey())) walk(field.getValue(), out);
            }
        }
    }
}
