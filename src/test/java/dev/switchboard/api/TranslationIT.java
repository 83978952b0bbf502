package dev.switchboard.api;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.MessageTokensCount;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.StopReason;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessage;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;

import dev.switchboard.support.RawHttp;
import dev.switchboard.support.WeatherTool;
import dev.switchboard.usage.TokenEstimator;
import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.ProviderShapes;
import tools.jackson.databind.JsonNode;

/**
 * The official SDKs against routes whose only upstreams speak the other protocol: the Anthropic SDK (as Claude
 * Code uses it) against an OpenAI-style MiniMax endpoint, the OpenAI SDK against MiniMax's Anthropic endpoint.
 */
class TranslationIT extends GatewayIT {
    private static final String OPENAI_UPSTREAM = "/minimax/v1/chat/completions";
    private static final String ANTHROPIC_UPSTREAM = "/minimax/anthropic/v1/messages";
    private AnthropicClient anthropic;
    private OpenAIClient openai;

    @BeforeEach
    void clients() {
        anthropic = AnthropicOkHttpClient.builder().baseUrl(gatewayUrl()).apiKey(KEY).maxRetries(0).build();
        openai = OpenAIOkHttpClient.builder().baseUrl(gatewayUrl() + "/v1").apiKey(KEY).maxRetries(0).build();
    }

    @AfterEach
    void close() {
        anthropic.close();
        openai.close();
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder sse(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream").withBody(body);
    }

    // ---- the Anthropic SDK against an OpenAI-only route ----

    @Test
    void anthropicClientGetsThinkingTextAndUsageFromAnOpenAiUpstream() {
        wireMock().stubFor(post(OPENAI_UPSTREAM).willReturn(okJson(ProviderShapes.AIMLAPI_COMPLETION)));
        String id = "tx-" + UUID.randomUUID();
        MessageCreateParams params = MessageCreateParams.builder().model("tx-openai-only").maxTokens(1024)
                .system("Be brief.").addUserMessage("Hi").putAdditionalHeader("x-request-id", id).build();

        HttpResponseFor<Message> raw = anthropic.messages().withRawResponse().create(params);
        Message message = raw.parse();

        assertThat(message.content().get(0).thinking().orElseThrow().thinking()).isEqualTo("The user greets me.");
        assertThat(message.content().get(1).text().orElseThrow().text()).isEqualTo("Hello from AI/ML API!");
        assertThat(message.stopReason()).contains(StopReason.END_TURN);
        assertThat(message.usage().inputTokens()).isEqualTo(12);
        assertThat(message.usage().outputTokens()).isEqualTo(9);
        assertThat(raw.headers().values("x-switchboard-upstream")).containsExactly("minimax-openai");
        wireMock().verify(postRequestedFor(urlEqualTo(OPENAI_UPSTREAM))
                .withHeader("Authorization", equalTo("Bearer minimax-upstream-secret"))
                .withHeader("anthropic-version", absent())
                .withRequestBody(matchingJsonPath("$.model", equalTo("MiniMax-M1")))
                .withRequestBody(matchingJsonPath("$.max_tokens", equalTo("1024")))
                .withRequestBody(matchingJsonPath("$.messages[0].role", equalTo("system")))
                .withRequestBody(matchingJsonPath("$.messages[0].content", equalTo("Be brief.")))
                .withRequestBody(matchingJsonPath("$.messages[1].content", equalTo("Hi"))));
        // billed from the upstream's own numbers
        JsonNode record = record(id);
        assertThat(record.path("prompt_tokens").asLong()).isEqualTo(12);
        assertThat(record.path("completion_tokens").asLong()).isEqualTo(9);
        assertThat(record.path("reasoning_tokens").asLong()).isEqualTo(5);
        assertThat(record.path("usage_source").asString()).isEqualTo("upstream");
    }

    @Test
    void anthropicClientStreamsFromAnOpenAiUpstreamWithUsageAsked() {
        wireMock().stubFor(post(OPENAI_UPSTREAM).willReturn(sse(ProviderShapes.AIMLAPI_STREAM)));
        String id = "tx-" + UUID.randomUUID();
        MessageCreateParams params = MessageCreateParams.builder().model("tx-openai-only").maxTokens(1024)
                .addUserMessage("Hi").putAdditionalHeader("x-request-id", id).build();

        MessageAccumulator accumulator = MessageAccumulator.create();
        List<RawMessageStreamEvent> events;
        try (StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(params)) {
            events = stream.stream().peek(accumulator::accumulate).toList();
        }
        Message message = accumulator.message();
        assertThat(events.getFirst().isMessageStart()).isTrue();
        assertThat(events.getLast().isMessageStop()).isTrue();
        assertThat(message.content().get(0).thinking().orElseThrow().thinking()).isEqualTo("hmm");
        assertThat(message.content().get(1).text().orElseThrow().text()).isEqualTo("Hello world");
        assertThat(message.usage().outputTokens()).isEqualTo(7);
        wireMock().verify(postRequestedFor(urlEqualTo(OPENAI_UPSTREAM))
                .withRequestBody(matchingJsonPath("$.stream", equalTo("true")))
                .withRequestBody(matchingJsonPath("$.stream_options.include_usage", equalTo("true"))));
        JsonNode record = record(id);
        assertThat(record.path("prompt_tokens").asLong()).isEqualTo(12);
        assertThat(record.path("completion_tokens").asLong()).isEqualTo(7);
        assertThat(record.path("upstream_cost_usd").decimalValue()).isEqualByComparingTo("0.00124");
    }

    @Test
    void anthropicClientRunsAToolCallRoundTripThroughAnOpenAiUpstream() {
        wireMock().stubFor(post(OPENAI_UPSTREAM)
                .withRequestBody(matchingJsonPath("$.messages[?(@.role == 'tool')]", absent()))
                .willReturn(okJson(ProviderShapes.TOGETHER_TOOL_CALL)));
        wireMock().stubFor(post(OPENAI_UPSTREAM)
                .withRequestBody(matchingJsonPath("$.messages[2].tool_call_id", equalTo("call_weather_1")))
                .willReturn(okJson("""
                        {"id":"tx-3","object":"chat.completion","created":1,"model":"MiniMax-M1",
                         "choices":[{"index":0,"message":{"role":"assistant","content":"It is 18°C in Paris."},"finish_reason":"stop"}],
                         "usage":{"prompt_tokens":120,"completion_tokens":9,"total_tokens":129}}""")));

        Tool weather = WeatherTool.anthropic();
        MessageCreateParams first = MessageCreateParams.builder().model("tx-openai-only").maxTokens(1024)
                .addUserMessage("Weather in Paris?").addTool(weather).build();
        Message assistant = anthropic.messages().create(first);
        assertThat(assistant.stopReason()).contains(StopReason.TOOL_USE);
        ToolUseBlock toolUse = assistant.content().stream().flatMap(b -> b.toolUse().stream()).findFirst().orElseThrow();
        assertThat(toolUse.id()).isEqualTo("call_weather_1");
        assertThat(toolUse._input().convert(Map.class)).isEqualTo(Map.of("city", "Paris"));

        MessageCreateParams second = first.toBuilder().addMessage(assistant)
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(
                        ToolResultBlockParam.builder().toolUseId(toolUse.id()).content("18°C, sunny").build())))
                .build();
        Message answer = anthropic.messages().create(second);
        assertThat(answer.content().getFirst().text().orElseThrow().text()).isEqualTo("It is 18°C in Paris.");
        wireMock().verify(postRequestedFor(urlEqualTo(OPENAI_UPSTREAM))
                .withRequestBody(matchingJsonPath("$.tools[0].function.name", equalTo("get_weather")))
                .withRequestBody(matchingJsonPath("$.tools[0].function.parameters.properties.city.type", equalTo("string")))
                .withRequestBody(matchingJsonPath("$.messages[1].tool_calls[0].function.arguments", equalTo("{\"city\":\"Paris\"}")))
                .withRequestBody(matchingJsonPath("$.messages[2].role", equalTo("tool")))
                .withRequestBody(matchingJsonPath("$.messages[2].content", equalTo("18°C, sunny"))));
    }

    /** Over 16 KB the count takes the counting thread's path (UsageLedgerTest checks the thread): the count is the tokenizer's. */
    @Test
    void countTokensOfALongConversationIsTheTokenizersCount() {
        String body = "{\"model\":\"tx-openai-only\",\"messages\":[{\"role\":\"user\",\"content\":\""
                + "Summarise this paragraph, then count its words. ".repeat(1000) + "\"}]}";
        var response = new RawHttp(gatewayUrl()).post("/v1/messages/count_tokens", body,
                "x-api-key", KEY, "anthropic-version", "2023-06-01", "content-type", "application/json");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("x-switchboard-token-count")).contains("estimated");
        long expected = TokenEstimator.estimate(body.getBytes(StandardCharsets.UTF_8), "").prompt();
        assertThat(expected).isGreaterThan(5_000);
        assertThat(RawHttp.json(response).get("input_tokens").asLong()).isEqualTo(expected);
    }

    /** What Claude Code does: streaming with tools and beta headers, and count_tokens before it sends. */
    @Test
    void aClaudeCodeSessionWorksAgainstEitherKindOfUpstream() {
        wireMock().stubFor(post(OPENAI_UPSTREAM).willReturn(sse(ProviderShapes.TOGETHER_TOOL_CALL_STREAM)));
        wireMock().stubFor(post(ANTHROPIC_UPSTREAM + "/count_tokens").willReturn(okJson("{\"input_tokens\":42}")));
        Tool weather = WeatherTool.anthropic();
        String beta = "interleaved-thinking-2025-05-14,fine-grained-tool-streaming-2025-05-14";

        // count_tokens with no Anthropic upstream: the gateway's own estimate
        MessageCountTokensParams count = MessageCountTokensParams.builder().model("tx-openai-only")
                .addUserMessage("What is the weather in Paris? Use the tool.").addTool(weather)
                .putAdditionalHeader("anthropic-beta", beta).build();
        var counted = anthropic.messages().withRawResponse().countTokens(count);
        assertThat(counted.parse().inputTokens()).isBetween(5L, 60L);
        assertThat(counted.headers().values("x-switchboard-token-count")).containsExactly("estimated");
        // with an Anthropic upstream: asked there, beta header passed
        MessageTokensCount asked = anthropic.messages().countTokens(count.toBuilder().model("tx-anthropic-only").build());
        assertThat(asked.inputTokens()).isEqualTo(42);
        wireMock().verify(postRequestedFor(urlEqualTo(ANTHROPIC_UPSTREAM + "/count_tokens"))
                .withHeader("anthropic-beta", equalTo(beta))
                .withRequestBody(matchingJsonPath("$.model", equalTo("MiniMax-M1"))));

        MessageCreateParams params = MessageCreateParams.builder().model("tx-openai-only").maxTokens(4096)
                .addUserMessage("What is the weather in Paris? Use the tool.").addTool(weather)
                .putAdditionalHeader("anthropic-beta", beta).build();
        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(params)) {
            stream.stream().forEach(accumulator::accumulate);
        }
        ToolUseBlock toolUse = accumulator.message().content().getFirst().toolUse().orElseThrow();
        assertThat(toolUse.name()).isEqualTo("get_weather");
        assertThat(toolUse._input().convert(Map.class)).isEqualTo(Map.of("city", "Paris"));
        assertThat(accumulator.message().stopReason()).contains(StopReason.TOOL_USE);
        // the OpenAI-style upstream gets no Anthropic headers
        wireMock().verify(postRequestedFor(urlEqualTo(OPENAI_UPSTREAM)).withHeader("anthropic-beta", absent()));
    }

    @Test
    void aTranslatedStreamCutHalfwayEndsWithTheAnthropicErrorEventNotMessageStop() {
        String cut = ProviderShapes.AIMLAPI_STREAM.substring(0, ProviderShapes.AIMLAPI_STREAM.indexOf("data:", 400));
        wireMock().stubFor(post(OPENAI_UPSTREAM).willReturn(sse(cut)));
        MessageCreateParams params = MessageCreateParams.builder().model("tx-openai-only").maxTokens(1024).addUserMessage("Hi").build();
        List<RawMessageStreamEvent> seen = new java.util.ArrayList<>();
        assertThatThrownBy(() -> {
            try (StreamResponse<RawMessageStreamEvent> stream = anthropic.messages().createStreaming(params)) {
                stream.stream().forEach(seen::add);
            }
        }).hasMessageContaining("ended before the answer was complete");
        assertThat(seen).isNotEmpty().noneMatch(RawMessageStreamEvent::isMessageStop);
    }

    @Test
    void anAnswerThatCannotBeTranslatedIsAnErrorInTheClientsEnvelope() {
        wireMock().stubFor(post(OPENAI_UPSTREAM).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("<html>gateway of the provider</html>")));
        assertThatThrownBy(() -> anthropic.messages().create(MessageCreateParams.builder().model("tx-openai-only")
                .maxTokens(1024).addUserMessage("Hi").build()))
                .isInstanceOf(com.anthropic.errors.AnthropicServiceException.class)
                .hasMessageContaining("not valid JSON")
                .satisfies(e -> assertThat(((com.anthropic.errors.AnthropicServiceException) e).statusCode()).isEqualTo(502));
    }

    // ---- the OpenAI SDK against an Anthropic-only route ----

    @Test
    void openAiClientGetsContentReasoningAndUsageFromAnAnthropicUpstream() {
        wireMock().stubFor(post(ANTHROPIC_UPSTREAM).willReturn(okJson(ProviderShapes.MINIMAX_MESSAGE)));
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("tx-anthropic-only")
                .addSystemMessage("Be brief.").addUserMessage("Say hello").reasoningEffort(com.openai.models.ReasoningEffort.LOW).build();

        ChatCompletion completion = openai.chat().completions().create(params);
        ChatCompletionMessage message = completion.choices().getFirst().message();
        assertThat(message.content()).contains("Hello from MiniMax!");
        assertThat(message._additionalProperties().get("reasoning_content").convert(String.class)).isEqualTo("The user says hi.");
        assertThat(completion.choices().getFirst().finishReason().asString()).isEqualTo("stop");
        assertThat(completion.usage().orElseThrow().promptTokens()).isEqualTo(15);
        assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(11);
        wireMock().verify(postRequestedFor(urlEqualTo(ANTHROPIC_UPSTREAM))
                .withHeader("x-api-key", equalTo("minimax-upstream-secret"))
                .withHeader("anthropic-version", equalTo("2023-06-01"))
                .withRequestBody(matchingJsonPath("$.system", equalTo("Be brief.")))
                .withRequestBody(matchingJsonPath("$.messages[0].content[0].text", equalTo("Say hello")))
                .withRequestBody(matchingJsonPath("$.thinking.budget_tokens", equalTo("1024")))
                .withRequestBody(matchingJsonPath("$.max_tokens", equalTo("4096"))));
    }

    @Test
    void openAiClientStreamsFromAnAnthropicUpstreamWithTheUsageChunkItAskedFor() {
        wireMock().stubFor(post(ANTHROPIC_UPSTREAM).willReturn(sse(ProviderShapes.MINIMAX_MESSAGE_STREAM)));
        String id = "tx-" + UUID.randomUUID();
        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("tx-anthropic-only")
                .addUserMessage("Say hello").streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build())
                .putAdditionalHeader("x-request-id", id).build();
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        List<ChatCompletionChunk> chunks;
        try (var stream = openai.chat().completions().createStreaming(params)) {
            chunks = stream.stream().peek(accumulator::accumulate).toList();
        }
        ChatCompletion completion = accumulator.chatCompletion();
        assertThat(completion.choices().getFirst().message().content()).contains("Hello there");
        assertThat(completion.choices().getFirst().finishReason().asString()).isEqualTo("stop");
        assertThat(chunks.getLast().choices()).isEmpty();
        assertThat(chunks.getLast().usage().orElseThrow().promptTokens()).isEqualTo(19);
        assertThat(chunks.getLast().usage().orElseThrow().completionTokens()).isEqualTo(12);
        JsonNode record = record(id);
        assertThat(record.path("prompt_tokens").asLong()).isEqualTo(19);
        assertThat(record.path("cached_tokens").asLong()).isEqualTo(4);
        assertThat(record.path("completion_tokens").asLong()).isEqualTo(12);
    }

    @Test
    void openAiClientRunsAToolCallRoundTripThroughAnAnthropicUpstream() {
        wireMock().stubFor(post(ANTHROPIC_UPSTREAM)
                .withRequestBody(matchingJsonPath("$.messages[2]", absent()))
                .willReturn(okJson(ProviderShapes.MINIMAX_TOOL_USE)));
        wireMock().stubFor(post(ANTHROPIC_UPSTREAM)
                .withRequestBody(matchingJsonPath("$.messages[2].content[0].tool_use_id", equalTo("toolu_1")))
                .willReturn(okJson("""
                        {"id":"msg_tx_5","type":"message","role":"assistant","model":"MiniMax-M1",
                         "content":[{"type":"text","text":"It is 18°C in Paris."}],"stop_reason":"end_turn","stop_sequence":null,
                         "usage":{"input_tokens":160,"output_tokens":9}}""")));

        FunctionDefinition weather = WeatherTool.openAi();
        ChatCompletionCreateParams first = ChatCompletionCreateParams.builder().model("tx-anthropic-only")
                .addUserMessage("Weather in Paris?").addFunctionTool(weather).build();
        ChatCompletion firstAnswer = openai.chat().completions().create(first);
        assertThat(firstAnswer.choices().getFirst().finishReason().asString()).isEqualTo("tool_calls");
        ChatCompletionMessage assistant = firstAnswer.choices().getFirst().message();
        assertThat(assistant.content()).contains("Let me check.");
        ChatCompletionMessageFunctionToolCall call = assistant.toolCalls().orElseThrow().getFirst().asFunction();
        assertThat(call.id()).isEqualTo("toolu_1");
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(call.function().arguments()).isEqualTo("{\"city\":\"Paris\"}");

        ChatCompletionCreateParams second = first.toBuilder().addMessage(assistant)
                .addMessage(ChatCompletionToolMessageParam.builder().toolCallId(call.id()).content("18°C, sunny").build())
                .build();
        ChatCompletion answer = openai.chat().completions().create(second);
        assertThat(answer.choices().getFirst().message().content()).contains("It is 18°C in Paris.");
        wireMock().verify(postRequestedFor(urlEqualTo(ANTHROPIC_UPSTREAM))
                .withRequestBody(matchingJsonPath("$.tools[0].name", equalTo("get_weather")))
                .withRequestBody(matchingJsonPath("$.tools[0].input_schema.properties.city.type", equalTo("string")))
                .withRequestBody(matchingJsonPath("$.messages[1].content[1].type", equalTo("tool_use")))
                .withRequestBody(matchingJsonPath("$.messages[1].content[1].input.city", equalTo("Paris")))
                .withRequestBody(matchingJsonPath("$.messages[2].role", equalTo("user")))
                .withRequestBody(matchingJsonPath("$.messages[2].content[0].content", equalTo("18°C, sunny"))));
    }

    @Test
    void anAnthropicUpstreamsRejectionReachesTheOpenAiClientInItsEnvelope() {
        wireMock().stubFor(post(ANTHROPIC_UPSTREAM).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json").withBody(ProviderShapes.ANTHROPIC_BAD_REQUEST)));
        assertThatThrownBy(() -> openai.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("tx-anthropic-only").addUserMessage("Say hello").build()))
                .isInstanceOf(com.openai.errors.BadRequestException.class)
                .hasMessageContaining("rejected the request (HTTP 400)");
    }

    @Test
    void aRouteThatForbidsTranslationServesOnlyItsOwnProtocol() {
        assertThatThrownBy(() -> openai.chat().completions().create(ChatCompletionCreateParams.builder()
                .model("tx-forbidden").addUserMessage("Say hello").build()))
                .isInstanceOf(com.openai.errors.InternalServerException.class)
                .hasMessageContaining("translate: false");
    }

    private JsonNode record(String requestId) {
        return usageRecord(requestId);
    }
}
