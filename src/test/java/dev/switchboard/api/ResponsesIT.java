package dev.switchboard.api;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.RequestOptions;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.models.Reasoning;
import com.openai.models.ReasoningEffort;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseInputItem;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.StructuredResponse;
import com.openai.models.responses.WebSearchTool;

import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.SseEvent;
import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.ProviderShapes;
import dev.switchboard.support.RawHttp;
import tools.jackson.databind.JsonNode;

/**
 * {@code POST /v1/responses} with the official SDK, over each kind of upstream: Chat Completions and
 * Anthropic ones translated, one that speaks the Responses API itself passed through. Answers whole and
 * streamed, function calls and their outputs, structured output, hosted tools, bad input, usage records.
 */
class ResponsesIT extends GatewayIT {
    private static final RequestOptions STRICT = RequestOptions.builder().responseValidation(true).build();
    private static final String TOGETHER = "/together/v1/chat/completions";
    private static final String MINIMAX = "/minimax/anthropic/v1/messages";
    private static final String NATIVE = "/native/v1/responses";
    private OpenAIClient client;
    private RawHttp raw;

    @BeforeEach
    void client() {
        client = OpenAIOkHttpClient.builder().baseUrl(gatewayUrl() + "/v1").apiKey(KEY).maxRetries(0).build();
        raw = new RawHttp(gatewayUrl());
    }

    @AfterEach
    void close() {
        client.close();
    }

    private static JsonNode sent(LoggedRequest request) {
        return Json.MAPPER.readTree(request.getBodyAsString());
    }

    private JsonNode lastSent(String path) {
        List<LoggedRequest> requests = wireMock().findAll(postRequestedFor(urlEqualTo(path)));
        assertThat(requests).isNotEmpty();
        return sent(requests.getLast());
    }

    private static FunctionTool weatherTool() {
        return FunctionTool.builder().name("get_weather").description("Weather in a city").strict(false)
                .parameters(FunctionTool.Parameters.builder()
                        .putAdditionalProperty("type", JsonValue.from("object"))
                        .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                        .build())
                .build();
    }

    private static String text(Response response) {
        StringBuilder out = new StringBuilder();
        for (ResponseOutputItem item : response.output()) {
            item.message().ifPresent(m -> m.content().forEach(c -> c.outputText().ifPresent(t -> out.append(t.text()))));
        }
        return out.toString();
    }

    // ---- over Chat Completions ----

    @Test
    void aWholeAnswerOverChatCompletionsIsAResponseWithItsUsage() {
        wireMock().stubFor(post(TOGETHER).willReturn(okJson("""
                {"id":"tg-1","object":"chat.completion","created":1,"model":"MiniMaxAI/MiniMax-M1-40k",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"<think>Short.</think>Bonjour."},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":30,"completion_tokens":9,"total_tokens":39,
                          "prompt_tokens_details":{"cached_tokens":10},"completion_tokens_details":{"reasoning_tokens":3}}}""")));
        Response response = client.responses().create(ResponseCreateParams.builder().model("m1-together")
                .instructions("Answer in French.").input("Say hello").maxOutputTokens(100L).temperature(0.3)
                .reasoning(Reasoning.builder().effort(ReasoningEffort.LOW).summary(Reasoning.Summary.AUTO).build())
                .build(), STRICT);

        assertThat(text(response)).isEqualTo("Bonjour.");
        assertThat(response.output().getFirst().reasoning()).as("the <think> text, as a summary")
                .hasValueSatisfying(r -> assertThat(r.summary().getFirst().text()).isEqualTo("Short."));
        assertThat(response.id()).startsWith("resp_");
        assertThat(response.status()).hasValueSatisfying(s -> assertThat(s.asString()).isEqualTo("completed"));
        assertThat(response.usage()).hasValueSatisfying(u -> {
            assertThat(u.inputTokens()).isEqualTo(30);
            assertThat(u.inputTokensDetails().cachedTokens()).isEqualTo(10);
            assertThat(u.outputTokens()).isEqualTo(9);
            assertThat(u.outputTokensDetails().reasoningTokens()).isEqualTo(3);
        });
        JsonNode sent = lastSent(TOGETHER);
        assertThat(sent.path("model").asString()).isEqualTo("MiniMaxAI/MiniMax-M1-40k");
        assertThat(sent.path("messages").get(0).path("role").asString()).isEqualTo("system");
        assertThat(sent.path("messages").get(0).path("content").asString()).isEqualTo("Answer in French.");
        assertThat(sent.path("messages").get(1).path("content").asString()).isEqualTo("Say hello");
        assertThat(sent.path("max_tokens").asLong()).isEqualTo(100);
        assertThat(sent.path("reasoning_effort").asString()).isEqualTo("low");
        assertThat(sent.has("input")).isFalse();
    }

    @Test
    void aStreamOverChatCompletionsIsTheFullEventSequenceEndingCompleted() {
        wireMock().stubFor(post(TOGETHER).willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
                .withBody(ProviderShapes.AIMLAPI_STREAM)));
        String requestId = "resp-stream-" + UUID.randomUUID();
        HttpResponse<byte[]> response = raw.post("/v1/responses",
                "{\"model\":\"m1-together\",\"input\":\"Hi\",\"stream\":true,\"reasoning\":{\"summary\":\"auto\"}}",
                "Authorization", "Bearer " + KEY, "x-request-id", requestId);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("text/event-stream"));
        List<SseEvent> events = SseEvent.parseAll(response.body());
        List<String> names = events.stream().map(SseEvent::name).toList();
        assertThat(names.getFirst()).isEqualTo("response.created");
        assertThat(names.get(1)).isEqualTo("response.in_progress");
        assertThat(names).contains("response.output_item.added", "response.content_part.added", "response.output_text.delta",
                "response.output_text.done", "response.content_part.done", "response.output_item.done",
                "response.reasoning_summary_text.delta");
        assertThat(names.getLast()).isEqualTo("response.completed");
        long previous = -1;
        for (SseEvent e : events) {
            JsonNode data = Json.MAPPER.readTree(e.data());
            assertThat(data.path("type").asString()).isEqualTo(e.name());
            assertThat(data.path("sequence_number").asLong()).as("sequence numbers go up by one").isEqualTo(previous + 1);
            previous = data.path("sequence_number").asLong();
        }
        JsonNode completed = Json.MAPPER.readTree(events.getLast().data()).path("response");
        assertThat(completed.path("usage").path("input_tokens").asLong()).isPositive();
        assertThat(usageRecord(requestId).get("endpoint").asString()).isEqualTo("responses");
        assertThat(usageRecord(requestId).get("prompt_tokens").asLong()).isEqualTo(completed.path("usage").path("input_tokens").asLong());

        // and the SDK reads the same stream
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(ResponseCreateParams.builder()
                .model("m1-together").input("Hi").build())) {
            StringBuilder text = new StringBuilder();
            List<ResponseStreamEvent> all = new ArrayList<>();
            stream.stream().forEach(e -> {
                all.add(e);
                e.outputTextDelta().ifPresent(d -> text.append(d.delta()));
            });
            assertThat(all.getLast().isCompleted()).isTrue();
            assertThat(text.toString()).isEqualTo(text(all.getLast().asCompleted().response()));
            assertThat(text.toString()).isNotBlank();
        }
    }

    @Test
    void aFunctionCallRoundTripsOverChatCompletions() {
        wireMock().stubFor(post(TOGETHER).willReturn(okJson(ProviderShapes.TOGETHER_TOOL_CALL)));
        Response first = client.responses().create(ResponseCreateParams.builder().model("m1-together")
                .input("Weather in Paris?").addTool(weatherTool()).parallelToolCalls(false).build(), STRICT);
        ResponseFunctionToolCall call = first.output().stream().flatMap(i -> i.functionCall().stream()).findFirst().orElseThrow();
        assertThat(call.name()).isEqualTo("get_weather");
        assertThat(Json.MAPPER.readTree(call.arguments()).path("city").asString()).isEqualTo("Paris");
        JsonNode sentFirst = lastSent(TOGETHER);
        assertThat(sentFirst.path("tools").get(0).path("function").path("name").asString()).isEqualTo("get_weather");
        assertThat(sentFirst.path("parallel_tool_calls").asBoolean(true)).isFalse();

        wireMock().stubFor(post(TOGETHER).willReturn(okJson(ProviderShapes.AIMLAPI_COMPLETION)));
        Response second = client.responses().create(ResponseCreateParams.builder().model("m1-together")
                .inputOfResponse(List.of(
                        ResponseInputItem.ofEasyInputMessage(com.openai.models.responses.EasyInputMessage.builder()
                                .role(com.openai.models.responses.EasyInputMessage.Role.USER).content("Weather in Paris?").build()),
                        ResponseInputItem.ofFunctionCall(call),
                        ResponseInputItem.ofFunctionCallOutput(ResponseInputItem.FunctionCallOutput.builder()
                                .callId(call.callId()).output("18 C and sunny").build())))
                .addTool(weatherTool()).build(), STRICT);
        assertThat(text(second)).isNotBlank();
        JsonNode messages = lastSent(TOGETHER).path("messages");
        assertThat(messages.get(1).path("role").asString()).isEqualTo("assistant");
        assertThat(messages.get(1).path("tool_calls").get(0).path("id").asString()).isEqualTo(call.callId());
        assertThat(messages.get(2).path("role").asString()).isEqualTo("tool");
        assertThat(messages.get(2).path("tool_call_id").asString()).isEqualTo(call.callId());
        assertThat(messages.get(2).path("content").asString()).isEqualTo("18 C and sunny");
    }

    /** The SDK's structured output: a record whose JSON schema becomes the chat upstream's response_format. */
    record Weather(String city, double celsius) {}

    @Test
    void structuredOutputBecomesTheChatUpstreamsResponseFormat() {
        wireMock().stubFor(post(TOGETHER).willReturn(okJson("""
                {"id":"tg-3","object":"chat.completion","created":1,"model":"m",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"{\\"city\\":\\"Oslo\\",\\"celsius\\":-3.5}"},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":5,"completion_tokens":7,"total_tokens":12}}""")));
        StructuredResponse<Weather> response = client.responses().create(ResponseCreateParams.builder().model("m1-together")
                .input("Weather in Oslo as JSON").text(Weather.class).build());
        Weather weather = response.output().stream().flatMap(i -> i.message().stream())
                .flatMap(m -> m.content().stream()).flatMap(c -> c.outputText().stream()).findFirst().orElseThrow();
        assertThat(weather).isEqualTo(new Weather("Oslo", -3.5));
        JsonNode format = lastSent(TOGETHER).path("response_format");
        assertThat(format.path("type").asString()).isEqualTo("json_schema");
        assertThat(format.path("json_schema").path("schema").path("properties").has("celsius")).isTrue();
    }

    // ---- over Anthropic ----

    @Test
    void aWholeAnswerAndAStreamOverAnthropic() {
        wireMock().stubFor(post(MINIMAX).willReturn(okJson(ProviderShapes.MINIMAX_MESSAGE)));
        Response whole = client.responses().create(ResponseCreateParams.builder().model("tx-anthropic-only")
                .instructions("Be brief.").input("Hello").build(), STRICT);
        assertThat(text(whole)).isNotBlank();
        assertThat(whole.usage()).hasValueSatisfying(u -> assertThat(u.inputTokens()).isPositive());
        JsonNode sent = lastSent(MINIMAX);
        assertThat(sent.path("system").asString()).isEqualTo("Be brief.");
        assertThat(sent.path("max_tokens").asLong()).isPositive();
        assertThat(sent.path("messages").get(0).path("content").get(0).path("text").asString()).isEqualTo("Hello");

        wireMock().stubFor(post(MINIMAX).willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
                .withBody(ProviderShapes.MINIMAX_MESSAGE_STREAM)));
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(ResponseCreateParams.builder()
                .model("tx-anthropic-only").input("Hello").build())) {
            List<ResponseStreamEvent> events = stream.stream().toList();
            assertThat(events.getFirst().isCreated()).isTrue();
            assertThat(events.getLast().isCompleted()).isTrue();
            Response done = events.getLast().asCompleted().response();
            // message_start's input (15 + 4 cached) and message_delta's cumulative output
            assertThat(done.usage()).hasValueSatisfying(u -> {
                assertThat(u.inputTokens()).isEqualTo(19);
                assertThat(u.inputTokensDetails().cachedTokens()).isEqualTo(4);
            });
            assertThat(text(done)).isNotBlank();
        }
    }

    @Test
    void aToolUseStreamOverAnthropicIsAFunctionCallItem() {
        wireMock().stubFor(post(MINIMAX).willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
                .withBody(ProviderShapes.MINIMAX_TOOL_USE_STREAM)));
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(ResponseCreateParams.builder()
                .model("tx-anthropic-only").input("Weather in Paris?").addTool(weatherTool()).build())) {
            List<ResponseStreamEvent> events = stream.stream().toList();
            assertThat(events.stream().anyMatch(ResponseStreamEvent::isFunctionCallArgumentsDelta)).isTrue();
            Response done = events.getLast().asCompleted().response();
            ResponseFunctionToolCall call = done.output().stream().flatMap(i -> i.functionCall().stream()).findFirst().orElseThrow();
            assertThat(call.name()).isEqualTo("get_weather");
            assertThat(call.callId()).isEqualTo("toolu_2");
            assertThat(Json.MAPPER.readTree(call.arguments()).path("city").asString()).isEqualTo("Paris");
        }
        JsonNode sent = lastSent(MINIMAX);
        assertThat(sent.path("tools").get(0).path("input_schema").path("properties").has("city")).isTrue();
    }

    // ---- passed through ----

    @Test
    void aResponsesUpstreamGetsTheClientsBytesWithItsModelAndTheClientGetsItsBytes() {
        String answer = """
                {"id":"resp_native_1","object":"response","created_at":1,"status":"completed","model":"gpt-native",\
                "output":[{"id":"msg_1","type":"message","status":"completed","role":"assistant",\
                "content":[{"type":"output_text","text":"Native hello","annotations":[]}]}],\
                "usage":{"input_tokens":12,"input_tokens_details":{"cached_tokens":2},"output_tokens":5,\
                "output_tokens_details":{"reasoning_tokens":1},"total_tokens":17,"cost":0.00042}}""";
        wireMock().stubFor(post(NATIVE).willReturn(okJson(answer)));
        String body = "{\"model\":\"resp-native\",\"input\":\"Hi\",\"tools\":[{\"type\":\"web_search\"}],\"store\":false}";
        String requestId = "resp-native-" + UUID.randomUUID();
        HttpResponse<byte[]> response = raw.post("/v1/responses", body, "Authorization", "Bearer " + KEY, "x-request-id", requestId);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(answer);
        assertThat(lastSent(NATIVE).toString()).isEqualTo(Json.MAPPER.readTree(body.replace("resp-native", "gpt-native")).toString());
        wireMock().verify(postRequestedFor(urlEqualTo(NATIVE)).withHeader("Authorization", equalTo("Bearer native-responses-secret")));
        JsonNode record = usageRecord(requestId);
        assertThat(record.get("prompt_tokens").asLong()).isEqualTo(12);
        assertThat(record.get("cached_tokens").asLong()).isEqualTo(2);
        assertThat(record.get("reasoning_tokens").asLong()).isEqualTo(1);
        assertThat(record.get("upstream_cost_usd").decimalValue()).isEqualByComparingTo("0.00042");
    }

    // ---- refused ----

    @Test
    void aHostedToolGoesOnlyToAResponsesUpstreamAndIsA400NamingItWhereThereIsNone() {
        assertThatThrownBy(() -> client.responses().create(ResponseCreateParams.builder().model("m1-together").input("Find news")
                .addTool(WebSearchTool.builder().type(WebSearchTool.Type.WEB_SEARCH).build()).build()))
                .isInstanceOfSatisfying(BadRequestException.class, e -> assertThat(e.getMessage()).contains("web_search"));
        // the mixed alias has a cheaper chat target, but only its Responses target can run the tool
        wireMock().stubFor(post(NATIVE).willReturn(okJson("{\"id\":\"resp_2\",\"object\":\"response\",\"status\":\"completed\",\"output\":[]}")));
        HttpResponse<byte[]> routed = raw.post("/v1/responses", "{\"model\":\"resp-mixed\",\"input\":\"x\",\"tools\":[{\"type\":\"web_search\"}]}",
                "Authorization", "Bearer " + KEY);
        assertThat(routed.statusCode()).isEqualTo(200);
        assertThat(routed.headers().firstValue("x-switchboard-upstream")).contains("native-responses");
    }

    @Test
    void malformedInputIsA400InTheOpenAiEnvelope() {
        String[] bodies = {
            "{\"model\":\"m1-together\"}",
            "{\"model\":\"m1-together\",\"input\":42}",
            "{\"model\":\"m1-together\",\"input\":[{\"type\":\"image_generation_call\",\"id\":\"x\"}]}",
            "{\"model\":\"m1-together\",\"input\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}",
            "{\"model\":\"m1-together\",\"input\":[{\"type\":\"function_call_output\",\"output\":\"x\"}]}",
            "{\"model\":\"m1-together\",\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"input_audio\"}]}]}",
        };
        for (String body : bodies) {
            HttpResponse<byte[]> response = raw.post("/v1/responses", body, "Authorization", "Bearer " + KEY);
            assertThat(response.statusCode()).as(body).isEqualTo(400);
            JsonNode error = RawHttp.json(response).get("error");
            assertThat(error.get("type").asString()).isEqualTo("invalid_request_error");
            assertThat(error.get("message").asString()).isNotBlank();
        }
        assertThat(raw.post("/v1/responses", "{\"model\":\"m1-together\",\"input\":\"x\"}").statusCode()).isEqualTo(401);
        wireMock().verify(0, postRequestedFor(urlEqualTo(TOGETHER)));
    }

    // ---- stored: previous_response_id, retrieve, delete ----

    @Test
    void aConversationGoesOnOnATargetOfAnotherProtocolThroughPreviousResponseId() {
        wireMock().stubFor(post(TOGETHER).willReturn(okJson("""
                {"id":"tg-9","object":"chat.completion","created":1,"model":"m",
                 "choices":[{"index":0,"message":{"role":"assistant","content":"Your name is Ada."},"finish_reason":"stop"}],
                 "usage":{"prompt_tokens":5,"completion_tokens":5,"total_tokens":10}}""")));
        Response first = client.responses().create(ResponseCreateParams.builder().model("m1-together")
                .instructions("Remember names.").input("My name is Ada.").build(), STRICT);

        wireMock().stubFor(post(MINIMAX).willReturn(okJson(ProviderShapes.MINIMAX_MESSAGE)));
        Response second = client.responses().create(ResponseCreateParams.builder().model("tx-anthropic-only")
                .previousResponseId(first.id()).input("What is my name?").build(), STRICT);
        assertThat(second.previousResponseId()).contains(first.id());
        JsonNode turns = lastSent(MINIMAX).path("messages");
        assertThat(turns.get(0).path("content").get(0).path("text").asString()).isEqualTo("My name is Ada.");
        assertThat(turns.get(1).path("role").asString()).isEqualTo("assistant");
        assertThat(turns.get(1).path("content").get(0).path("text").asString()).isEqualTo("Your name is Ada.");
        assertThat(turns.get(2).path("content").get(0).path("text").asString()).isEqualTo("What is my name?");
        assertThat(lastSent(MINIMAX).has("system")).as("instructions do not carry over, as in the Responses API").isFalse();

        // a third turn on the first kind of target again: the whole conversation, in order
        client.responses().create(ResponseCreateParams.builder().model("m1-together").previousResponseId(second.id())
                .input("Thanks").build(), STRICT);
        JsonNode messages = lastSent(TOGETHER).path("messages");
        assertThat(messages).hasSize(5);
        assertThat(messages.get(4).path("content").asString()).isEqualTo("Thanks");

        Response retrieved = client.responses().retrieve(second.id());
        assertThat(retrieved.id()).isEqualTo(second.id());
        assertThat(text(retrieved)).isEqualTo(text(second));
    }

    /**
     * The answer, whole or streamed, ends only once its response is stored: a client that read it to its end
     * finds it on any replica. Shown by holding the ledger file's write lock while the answer comes.
     */
    @Test
    void anAnswerEndsOnlyOnceItsResponseIsStored() throws Exception {
        wireMock().stubFor(post(TOGETHER).atPriority(1).withRequestBody(matchingJsonPath("$.stream", equalTo("true")))
                .willReturn(aResponse().withHeader("Content-Type", "text/event-stream").withBody(ProviderShapes.AIMLAPI_STREAM)));
        wireMock().stubFor(post(TOGETHER).atPriority(5).willReturn(okJson(ProviderShapes.AIMLAPI_COMPLETION)));
        ResponseCreateParams params = ResponseCreateParams.builder().model("m1-together").input("Hi").build();
        List<Callable<String>> answers = List.of(
                () -> client.responses().create(params).id(),
                () -> {
                    try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(params)) {
                        // read to the stream's end, as the SDKs do before they hand back the final response
                        return stream.stream().filter(ResponseStreamEvent::isCompleted).toList().getLast().asCompleted().response().id();
                    }
                });
        // each kind once first: the client's first answer loads its classes, which could outlast the wait below
        for (Callable<String> answer : answers) answer.call();
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try {
            for (int i = 0; i < answers.size(); i++) {
                String id;
                boolean endedWhileLocked;
                try (Connection lock = DriverManager.getConnection("jdbc:sqlite:" + DATA.resolve("switchboard.db"));
                     Statement s = lock.createStatement()) {
                    s.execute("BEGIN IMMEDIATE"); // the gateway's writes wait (up to its busy timeout); its reads go on
                    Future<String> answer = caller.submit(answers.get(i));
                    int upstreamCalls = answers.size() + i + 1;
                    await().atMost(Duration.ofSeconds(10))
                            .until(() -> wireMock().findAll(postRequestedFor(urlEqualTo(TOGETHER))).size() == upstreamCalls);
                    // the answer is in the gateway; without the wait for its save it reaches the client in milliseconds
                    try {
                        answer.get(1, TimeUnit.SECONDS);
                        endedWhileLocked = true;
                    } catch (TimeoutException stillWaiting) {
                        endedWhileLocked = false;
                    }
                    s.execute("ROLLBACK");
                    id = answer.get(10, TimeUnit.SECONDS);
                }
                assertThat(endedWhileLocked).as("answer %d ended before its response was stored", i).isFalse();
                HttpResponse<byte[]> found = raw.send(raw.request("/v1/responses/" + id).header("Authorization", "Bearer " + KEY).GET().build());
                assertThat(found.statusCode()).as("answer %d", i).isEqualTo(200);
            }
        } finally {
            caller.shutdownNow();
        }
    }

    @Test
    void anotherKeysResponseAnExpiredOrDeletedOneAndAnUnstoredOneAreNotFound() {
        wireMock().stubFor(post(TOGETHER).willReturn(okJson(ProviderShapes.AIMLAPI_COMPLETION)));
        Response mine = client.responses().create(ResponseCreateParams.builder().model("m1-together").input("hi").build());
        String otherKey = "Bearer " + KEY_B;
        HttpResponse<byte[]> theirs = raw.send(raw.request("/v1/responses/" + mine.id()).header("Authorization", otherKey).GET().build());
        assertThat(theirs.statusCode()).isEqualTo(404);
        assertThat(RawHttp.json(theirs).get("error").get("code").asString()).isEqualTo("response_not_found");
        HttpResponse<byte[]> continued = raw.post("/v1/responses",
                "{\"model\":\"m1-together\",\"input\":\"x\",\"previous_response_id\":\"" + mine.id() + "\"}",
                "Authorization", otherKey);
        assertThat(continued.statusCode()).isEqualTo(404);
        assertThat(RawHttp.json(continued).get("error").get("param").asString()).isEqualTo("previous_response_id");

        Response unstored = client.responses().create(ResponseCreateParams.builder().model("m1-together").input("hi").store(false).build());
        assertThat(raw.send(raw.request("/v1/responses/" + unstored.id()).header("Authorization", "Bearer " + KEY).GET().build())
                .statusCode()).isEqualTo(404);

        client.responses().delete(mine.id());
        assertThat(raw.send(raw.request("/v1/responses/" + mine.id()).header("Authorization", "Bearer " + KEY).GET().build())
                .statusCode()).isEqualTo(404);
        assertThat(raw.send(raw.request("/v1/responses/" + mine.id()).header("Authorization", "Bearer " + KEY).DELETE().build())
                .statusCode()).isEqualTo(404);
    }

    @Test
    void aStreamedAnswerIsStoredAsItsLastEventGaveIt() throws Exception {
        wireMock().stubFor(post(TOGETHER).willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
                .withBody(ProviderShapes.TOGETHER_TOOL_CALL_STREAM)));
        String id;
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(ResponseCreateParams.builder()
                .model("m1-together").input("Weather in Paris?").addTool(weatherTool()).build())) {
            id = stream.stream().filter(ResponseStreamEvent::isCompleted).findFirst().orElseThrow().asCompleted().response().id();
        }
        // read at once, though the client left at the closing event: a read of a response being saved waits for it
        Response stored = client.responses().retrieve(id);
        assertThat(stored.output().stream().flatMap(i -> i.functionCall().stream()).findFirst().orElseThrow().name()).isEqualTo("get_weather");
    }

    @Test
    void aResponsesUpstreamIsSentTheConversationNotTheGatewaysId() {
        wireMock().stubFor(post(NATIVE).willReturn(okJson("""
                {"id":"resp_native_chain","object":"response","created_at":1,"status":"completed","model":"gpt-native",\
                "output":[{"id":"msg_c","type":"message","status":"completed","role":"assistant",\
                "content":[{"type":"output_text","text":"Noted.","annotations":[]}]}],\
                "usage":{"input_tokens":3,"output_tokens":2,"total_tokens":5}}""")));
        HttpResponse<byte[]> first = raw.post("/v1/responses", "{\"model\":\"resp-native\",\"input\":\"Remember 42\"}",
                "Authorization", "Bearer " + KEY);
        assertThat(first.statusCode()).isEqualTo(200);
        HttpResponse<byte[]> second = raw.post("/v1/responses",
                "{\"model\":\"resp-native\",\"input\":\"What number?\",\"previous_response_id\":\"resp_native_chain\"}",
                "Authorization", "Bearer " + KEY);
        assertThat(second.statusCode()).isEqualTo(200);
        JsonNode sent = lastSent(NATIVE);
        assertThat(sent.has("previous_response_id")).isFalse();
        assertThat(sent.path("input")).hasSize(3);
        assertThat(sent.path("input").get(1).path("content").get(0).path("text").asString()).isEqualTo("Noted.");
        assertThat(sent.path("input").get(2).path("content").asString()).isEqualTo("What number?");
    }
}
