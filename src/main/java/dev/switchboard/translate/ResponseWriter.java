package dev.switchboard.translate;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.TokenUsage;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a Responses API answer for a client whose request another protocol's upstream served: the
 * {@code response} object and its output items (reasoning, a message, function calls), whole or as the
 * stream of events the SDKs parse, each with its {@code sequence_number}. The upstream's side is read by the
 * translator of each pair, which tells this writer what came: text, reasoning, a tool call and its
 * arguments, the end and its usage. Items open and close in order: a new kind of content closes the item
 * before it. One instance per answer.
 */
final class ResponseWriter {
    private enum Open { NONE, MESSAGE, REASONING, FUNCTION_CALL }

    private final ResponsesRequest request;
    private final String id;
    private final long createdAt;
    private final ArrayNode output = Json.MAPPER.createArrayNode();
    private final ByteArrayOutputStream events = new ByteArrayOutputStream();
    private String model;
    private int sequence;
    private boolean started;
    private Open open = Open.NONE;
    private ObjectNode item;
    /** The open item's place in the output. */
    private int itemIndex;
    private final StringBuilder text = new StringBuilder();
    private TokenUsage usage;
    /** The response as the last event gave it (completed, incomplete or failed). */
    private ObjectNode finalResponse;

    ResponseWriter(ResponsesRequest request, String model) {
        this.request = request;
        this.model = model;
        this.id = "resp_" + randomHex();
        this.createdAt = System.currentTimeMillis() / 1000;
    }

    static String randomHex() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        return HexFormat.of().toHexDigits(random.nextLong()) + HexFormat.of().toHexDigits(random.nextLong());
    }

    void model(String upstreamModel) {
        if (upstreamModel != null && !upstreamModel.isEmpty()) model = upstreamModel;
    }

    // ---- what the upstream said ----

    /** The first events: the response created, in progress. Called once, before anything else is written. */
    void start() {
        if (started) return;
        started = true;
        ObjectNode response = response("in_progress", null, null);
        emit("response.created", event("response.created").set("response", response));
        emit("response.in_progress", event("response.in_progress").set("response", response.deepCopy()));
    }

    void text(String delta) {
        if (delta == null || delta.isEmpty()) return;
        start();
        if (open != Open.MESSAGE) {
            close();
            open = Open.MESSAGE;
            item = Json.MAPPER.createObjectNode().put("id", "msg_" + randomHex()).put("type", "message")
                    .put("status", "in_progress").put("role", "assistant");
            item.putArray("content");
            added();
            emit("response.content_part.added", itemEvent("response.content_part.added").put("content_index", 0)
                    .set("part", outputText("")));
        }
        text.append(delta);
        emit("response.output_text.delta", itemEvent("response.output_text.delta").put("content_index", 0).put("delta", delta)
                .set("logprobs", Json.MAPPER.createArrayNode()));
    }

    /** Reasoning the model wrote: kept as a summary only when the client asked for one ({@code reasoning.summary}). */
    void reasoning(String delta) {
        if (delta == null || delta.isEmpty() || !request.wantsReasoningSummary()) return;
        start();
        if (open != Open.REASONING) {
            close();
            open = Open.REASONING;
            item = Json.MAPPER.createObjectNode().put("id", "rs_" + randomHex()).put("type", "reasoning");
            item.putArray("summary");
            added();
            emit("response.reasoning_summary_part.added", itemEvent("response.reasoning_summary_part.added").put("summary_index", 0)
                    .set("part", summaryText("")));
        }
        text.append(delta);
        emit("response.reasoning_summary_text.delta", itemEvent("response.reasoning_summary_text.delta").put("summary_index", 0)
                .put("delta", delta));
    }

    /** A tool call begins: its call id and its name as the upstream gave it (a namespaced name is split here). */
    void functionCall(String callId, String upstreamName) {
        start();
        close();
        open = Open.FUNCTION_CALL;
        ResponsesRequest.ToolName name = request.toolName(upstreamName);
        item = Json.MAPPER.createObjectNode().put("id", "fc_" + randomHex()).put("type", name.custom() ? "custom_tool_call" : "function_call")
                .put("status", "in_progress").put("call_id", callId == null || callId.isEmpty() ? "call_" + randomHex() : callId)
                .put("name", name.name());
        if (name.namespace() != null) item.put("namespace", name.namespace());
        if (name.custom()) item.put("input", "");
        else item.put("arguments", "");
        added();
    }

    void functionArguments(String delta) {
        if (open != Open.FUNCTION_CALL || delta == null || delta.isEmpty()) return;
        text.append(delta);
        // a custom tool's input is written whole when it is done: what comes here is its arguments object
        if (!item.path("type").asString("").equals("custom_tool_call")) {
            emit("response.function_call_arguments.delta", itemEvent("response.function_call_arguments.delta").put("delta", delta));
        }
    }

    void usage(TokenUsage tokens) {
        if (tokens != null) usage = tokens;
    }

    /**
     * The answer ended: items closed, then {@code response.completed}, or {@code response.incomplete} with
     * its reason ({@code max_output_tokens}, {@code content_filter}).
     */
    void finish(String incompleteReason) {
        start();
        close();
        ObjectNode incomplete = incompleteReason == null ? null : Json.MAPPER.createObjectNode().put("reason", incompleteReason);
        String type = incompleteReason == null ? "response.completed" : "response.incomplete";
        finalResponse = response(incompleteReason == null ? "completed" : "incomplete", incomplete, null);
        emit(type, event(type).set("response", finalResponse));
    }

    /** The answer broke off: never {@code response.completed}, always {@code response.failed}. */
    void fail(String code, String message) {
        start();
        close();
        ObjectNode error = Json.MAPPER.createObjectNode().put("code", code).put("message", message);
        finalResponse = response("failed", null, error);
        emit("response.failed", event("response.failed").set("response", finalResponse));
    }

    // ---- what the client gets ----

    /** The events written since the last call, as SSE bytes. */
    byte[] drain() {
        byte[] out = events.toByteArray();
        events.reset();
        return out;
    }

    /** The whole answer, for a client that did not stream: the events' final {@code response}, once finished. */
    ObjectNode whole(String incompleteReason) {
        close();
        events.reset();
        return response(incompleteReason == null ? "completed" : "incomplete",
                incompleteReason == null ? null : Json.MAPPER.createObjectNode().put("reason", incompleteReason), null);
    }

    ObjectNode finalResponse() {
        return finalResponse;
    }

    /** Whether response.completed or response.incomplete went out: the client has its answer. */
    boolean answered() {
        return finalResponse != null && !"failed".equals(finalResponse.path("status").asString());
    }

    boolean started() {
        return started;
    }

    // ---- items ----

    private void added() {
        itemIndex = output.size();
        output.add(item);
        emit("response.output_item.added", event("response.output_item.added").put("output_index", itemIndex).set("item", item.deepCopy()));
    }

    /** Closes the open item: its done events, its final form in the output. */
    private void close() {
        if (open == Open.NONE) return;
        String done = text.toString();
        switch (open) {
            case MESSAGE -> {
                emit("response.output_text.done", itemEvent("response.output_text.done").put("content_index", 0).put("text", done)
                        .set("logprobs", Json.MAPPER.createArrayNode()));
                emit("response.content_part.done", itemEvent("response.content_part.done").put("content_index", 0)
                        .set("part", outputText(done)));
                ((ArrayNode) item.path("content")).add(outputText(done));
                item.put("status", "completed");
            }
            case REASONING -> {
                emit("response.reasoning_summary_text.done", itemEvent("response.reasoning_summary_text.done").put("summary_index", 0)
                        .put("text", done));
                emit("response.reasoning_summary_part.done", itemEvent("response.reasoning_summary_part.done").put("summary_index", 0)
                        .set("part", summaryText(done)));
                ((ArrayNode) item.path("summary")).add(summaryText(done));
            }
            case FUNCTION_CALL -> {
                if (item.path("type").asString("").equals("custom_tool_call")) {
                    item.put("input", Shapes.arguments(done).path("input").asString(done));
                } else {
                    String arguments = done.isEmpty() ? "{}" : done;
                    emit("response.function_call_arguments.done", itemEvent("response.function_call_arguments.done")
                            .put("name", item.path("name").asString("")).put("arguments", arguments));
                    item.put("arguments", arguments);
                }
                item.put("status", "completed");
            }
            case NONE -> { }
        }
        emit("response.output_item.done", event("response.output_item.done").put("output_index", itemIndex).set("item", item.deepCopy()));
        open = Open.NONE;
        text.setLength(0);
    }

    private static ObjectNode outputText(String text) {
        ObjectNode part = Json.MAPPER.createObjectNode().put("type", "output_text").put("text", text);
        part.putArray("annotations");
        part.putArray("logprobs");
        return part;
    }

    private static ObjectNode summaryText(String text) {
        return Json.MAPPER.createObjectNode().put("type", "summary_text").put("text", text);
    }

    // ---- the response object ----

    /** The response as it stands, echoing the request's settings as the Responses API does. */
    private ObjectNode response(String status, ObjectNode incomplete, ObjectNode error) {
        ObjectNode r = Json.MAPPER.createObjectNode();
        r.put("id", id).put("object", "response").put("created_at", createdAt).put("status", status);
        if (!status.equals("in_progress")) r.put("completed_at", System.currentTimeMillis() / 1000);
        r.put("background", false);
        r.set("error", error);
        r.set("incomplete_details", incomplete);
        JsonNode in = request.tree();
        r.set("instructions", in.has("instructions") ? in.path("instructions") : null);
        r.set("max_output_tokens", in.has("max_output_tokens") ? in.path("max_output_tokens") : null);
        r.put("model", model);
        ArrayNode items = r.putArray("output");
        if (!status.equals("in_progress")) for (JsonNode i : output) items.add(i.deepCopy());
        r.put("parallel_tool_calls", in.path("parallel_tool_calls").asBoolean(true));
        r.set("previous_response_id", in.has("previous_response_id") ? in.path("previous_response_id") : null);
        ObjectNode reasoning = r.putObject("reasoning");
        reasoning.set("effort", in.path("reasoning").has("effort") ? in.path("reasoning").path("effort") : null);
        reasoning.set("summary", in.path("reasoning").has("summary") ? in.path("reasoning").path("summary") : null);
        r.put("store", in.path("store").asBoolean(true));
        r.set("temperature", in.has("temperature") ? in.path("temperature") : Json.MAPPER.getNodeFactory().numberNode(1.0));
        ObjectNode text = r.putObject("text");
        text.set("format", in.path("text").has("format") ? in.path("text").path("format") : Json.MAPPER.createObjectNode().put("type", "text"));
        r.set("tool_choice", in.has("tool_choice") ? in.path("tool_choice") : Json.MAPPER.getNodeFactory().stringNode("auto"));
        r.set("tools", in.path("tools").isArray() ? in.path("tools") : Json.MAPPER.createArrayNode());
        r.set("top_p", in.has("top_p") ? in.path("top_p") : Json.MAPPER.getNodeFactory().numberNode(1.0));
        r.put("truncation", "disabled");
        r.set("usage", status.equals("in_progress") ? null : usageObject(usage == null ? TokenUsage.NONE : usage));
        r.set("user", in.has("user") ? in.path("user") : null);
        r.set("metadata", in.path("metadata").isObject() ? in.path("metadata") : Json.MAPPER.createObjectNode());
        return r;
    }

    /** Normalised usage in the Responses API's words: input counts cached tokens, output reasoning ones. */
    static ObjectNode usageObject(TokenUsage t) {
        ObjectNode u = Json.MAPPER.createObjectNode();
        u.put("input_tokens", t.prompt());
        u.putObject("input_tokens_details").put("cached_tokens", t.cached()).put("cache_write_tokens", t.cacheWrite());
        u.put("output_tokens", t.completion());
        u.putObject("output_tokens_details").put("reasoning_tokens", t.reasoning());
        u.put("total_tokens", t.prompt() + t.completion());
        return u;
    }

    // ---- events ----

    private ObjectNode event(String type) {
        return Json.MAPPER.createObjectNode().put("type", type).put("sequence_number", sequence++);
    }

    private ObjectNode itemEvent(String type) {
        return event(type).put("item_id", item.path("id").asString()).put("output_index", itemIndex);
    }

    private void emit(String type, ObjectNode data) {
        events.writeBytes(("event: " + type + "\ndata: ").getBytes(StandardCharsets.UTF_8));
        events.writeBytes(Json.MAPPER.writeValueAsBytes(data));
        events.writeBytes("\n\n".getBytes(StandardCharsets.US_ASCII));
    }
}
