package dev.switchboard.clients;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;

import com.github.tomakehurst.wiremock.WireMockServer;

import dev.switchboard.protocol.Json;

/**
 * A coding agent's two turns, as an upstream of each protocol streams them: first a call of the agent's shell
 * tool that echoes {@link #TOOL_OUTPUT}; then, once the agent sends that output back, the final answer
 * {@link #ANSWER}. Stubbed on WireMock per upstream path: a request that sends a tool's output back gets the
 * answer, every other one the tool call.
 */
final class AgentTurns {
    static final String TOOL_OUTPUT = "switchboard-tool-ok";
    static final String ANSWER = "The tool said " + TOOL_OUTPUT + ".";

    private AgentTurns() {}

    /** The agent's shell tool and its arguments: Codex's exec_command, Claude Code's Bash. */
    record Tool(String name, String arguments) {
        static Tool codex() {
            return new Tool("exec_command", "{\"cmd\":\"echo " + TOOL_OUTPUT + "\"}");
        }

        static Tool claudeCode() {
            return new Tool("Bash", "{\"command\":\"echo " + TOOL_OUTPUT + "\",\"description\":\"Print a word\"}");
        }
    }

    static void chat(WireMockServer wireMock, String path, Tool tool) {
        String call = chunk("{\"role\":\"assistant\",\"tool_calls\":[{\"index\":0,\"id\":\"call_1\",\"type\":\"function\","
                + "\"function\":{\"name\":\"" + tool.name() + "\",\"arguments\":" + quoted(tool.arguments()) + "}}]}", null)
                + chunk("{}", "\"tool_calls\"") + "data: [DONE]\n\n";
        String answer = chunk("{\"role\":\"assistant\",\"content\":" + quoted(ANSWER) + "}", null) + chunk("{}", "\"stop\"") + "data: [DONE]\n\n";
        stub(wireMock, path, "\"tool_call_id\"", call, answer);
    }

    static void anthropic(WireMockServer wireMock, String path, Tool tool) {
        String start = event("message_start", "{\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                + "\"role\":\"assistant\",\"model\":\"anthropic-model\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                + "\"usage\":{\"input_tokens\":20,\"output_tokens\":1}}}");
        String call = start
                + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\","
                        + "\"id\":\"toolu_1\",\"name\":\"" + tool.name() + "\",\"input\":{}}}")
                + event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\","
                        + "\"partial_json\":" + quoted(tool.arguments()) + "}}")
                + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
                + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},"
                        + "\"usage\":{\"output_tokens\":12}}")
                + event("message_stop", "{\"type\":\"message_stop\"}");
        String answer = start
                + event("content_block_start", "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}")
                + event("content_block_delta", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
                        + "\"text\":" + quoted(ANSWER) + "}}")
                + event("content_block_stop", "{\"type\":\"content_block_stop\",\"index\":0}")
                + event("message_delta", "{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},"
                        + "\"usage\":{\"output_tokens\":8}}")
                + event("message_stop", "{\"type\":\"message_stop\"}");
        stub(wireMock, path, "\"tool_result\"", call, answer);
    }

    /** The Responses API's own events, as OpenAI streams them. */
    static void responses(WireMockServer wireMock, String path, Tool tool) {
        String item = "{\"id\":\"fc_1\",\"type\":\"function_call\",\"status\":\"completed\",\"call_id\":\"call_1\",\"name\":\""
                + tool.name() + "\",\"arguments\":" + quoted(tool.arguments()) + "}";
        String call = event("response.created", "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":" + response("resp_c1", "in_progress", "[]") + "}")
                + event("response.output_item.added", "{\"type\":\"response.output_item.added\",\"sequence_number\":1,\"output_index\":0,"
                        + "\"item\":" + item.replace("\"completed\"", "\"in_progress\"").replace(quoted(tool.arguments()), "\"\"") + "}")
                + event("response.function_call_arguments.delta", "{\"type\":\"response.function_call_arguments.delta\",\"sequence_number\":2,"
                        + "\"item_id\":\"fc_1\",\"output_index\":0,\"delta\":" + quoted(tool.arguments()) + "}")
                + event("response.output_item.done", "{\"type\":\"response.output_item.done\",\"sequence_number\":3,\"output_index\":0,\"item\":" + item + "}")
                + event("response.completed", "{\"type\":\"response.completed\",\"sequence_number\":4,\"response\":"
                        + response("resp_c1", "completed", "[" + item + "]") + "}");
        String message = "{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\",\"content\":["
                + "{\"type\":\"output_text\",\"text\":" + quoted(ANSWER) + ",\"annotations\":[]}]}";
        String answer = event("response.created", "{\"type\":\"response.created\",\"sequence_number\":0,\"response\":" + response("resp_c2", "in_progress", "[]") + "}")
                + event("response.output_item.done", "{\"type\":\"response.output_item.done\",\"sequence_number\":1,\"output_index\":0,\"item\":" + message + "}")
                + event("response.completed", "{\"type\":\"response.completed\",\"sequence_number\":2,\"response\":"
                        + response("resp_c2", "completed", "[" + message + "]") + "}");
        stub(wireMock, path, "\"function_call_output\"", call, answer);
    }

    private static String response(String id, String status, String output) {
        return "{\"id\":\"" + id + "\",\"object\":\"response\",\"created_at\":1,\"status\":\"" + status + "\",\"model\":\"native-model\","
                + "\"output\":" + output + ",\"usage\":" + (status.equals("completed")
                ? "{\"input_tokens\":20,\"input_tokens_details\":{\"cached_tokens\":0},\"output_tokens\":8,"
                        + "\"output_tokens_details\":{\"reasoning_tokens\":0},\"total_tokens\":28}" : "null") + "}";
    }

    /** @param sentBack what only a request that sends a tool's output back has (a tool message, a tool result) */
    private static void stub(WireMockServer wireMock, String path, String sentBack, String call, String answer) {
        wireMock.stubFor(post(urlPathEqualTo(path)).atPriority(5).willReturn(sse(call)));
        wireMock.stubFor(post(urlPathEqualTo(path)).withRequestBody(containing(sentBack)).atPriority(1).willReturn(sse(answer)));
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder sse(String body) {
        return aResponse().withHeader("Content-Type", "text/event-stream").withBody(body);
    }

    private static String chunk(String delta, String finish) {
        return "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"chat-model\",\"choices\":[{\"index\":0,"
                + "\"delta\":" + delta + ",\"finish_reason\":" + finish + "}]"
                + (finish != null ? ",\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":8,\"total_tokens\":28}" : "") + "}\n\n";
    }

    private static String event(String name, String data) {
        return "event: " + name + "\ndata: " + data + "\n\n";
    }

    private static String quoted(String text) {
        return Json.MAPPER.writeValueAsString(text);
    }
}
