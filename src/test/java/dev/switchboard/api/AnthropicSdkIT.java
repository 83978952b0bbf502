package dev.switchboard.api;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.HttpResponseFor;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.errors.BadRequestException;
import com.anthropic.errors.NotFoundException;
import com.anthropic.errors.UnauthorizedException;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.ContentBlock;
import com.anthropic.models.messages.ContentBlockParam;
import com.anthropic.models.messages.Message;
import com.anthropic.models.messages.MessageCountTokensParams;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.anthropic.models.messages.Tool;
import com.anthropic.models.messages.ToolResultBlockParam;
import com.anthropic.models.messages.ToolUseBlock;

import dev.switchboard.support.WeatherTool;
import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.ProviderShapes;

/** The official Anthropic Java SDK pointed at the gateway, as Claude Code and Anthropic clients use it. */
class AnthropicSdkIT extends GatewayIT {
    private static final String MESSAGES = "/minimax/anthropic/v1/messages";
    private AnthropicClient client;

    @BeforeEach
    void client() {
        client = sdk(KEY);
    }

    @AfterEach
    void close() {
        client.close();
    }

    private AnthropicClient sdk(String key) {
        return AnthropicOkHttpClient.builder().baseUrl(gatewayUrl()).apiKey(key).maxRetries(0).build();
    }

    private static MessageCreateParams params(String alias) {
        return MessageCreateParams.builder().model(alias).maxTokens(1024).addUserMessage("Hi").build();
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder sse(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream; charset=utf-8").withBody(body);
    }

    @Test
    void plainMessageWithThinkingPassesThrough() {
        wireMock().stubFor(post(MESSAGES).willReturn(okJson(ProviderShapes.MINIMAX_MESSAGE)));

        HttpResponseFor<Message> raw = client.messages().withRawResponse().create(params("m1-minimax"));
        Message message = raw.parse();

        assertThat(message.content()).hasSize(2);
        assertThat(message.content().get(0).thinking().orElseThrow().thinking()).isEqualTo("The user says hi.");
        assertThat(message.content().get(1).text().orElseThrow().text()).isEqualTo("Hello from MiniMax!");
        assertThat(message.usage().inputTokens()).isEqualTo(15);
        assertThat(message.usage().outputTokens()).isEqualTo(11);
        assertThat(raw.headers().values("x-switchboard-upstream")).containsExactly("minimax");

        wireMock().verify(postRequestedFor(urlEqualTo(MESSAGES))
                .withHeader("x-api-key", equalTo("minimax-upstream-secret"))
                .withHeader("Authorization", absent())
                // the SDK's own version passes through (a raw client without one gets 2023-06-01: RawHttpIT)
                .withHeader("anthropic-version", matching("\\d{4}-\\d{2}-\\d{2}"))
                .withRequestBody(equalToJson("{\"model\":\"MiniMax-M1\",\"max_tokens\":1024,\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}]}")));
    }

    @Test
    void streamsEveryEventIncludingPingAndThinking() {
        wireMock().stubFor(post(MESSAGES).willReturn(sse(ProviderShapes.MINIMAX_MESSAGE_STREAM)));

        MessageAccumulator accumulator = MessageAccumulator.create();
        List<RawMessageStreamEvent> events;
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(params("m1-minimax"))) {
            events = stream.stream().peek(accumulator::accumulate).toList();
        }
        Message message = accumulator.message();
        assertThat(message.content().get(0).thinking().orElseThrow().thinking()).isEqualTo("Greeting back.");
        assertThat(message.content().get(0).thinking().orElseThrow().signature()).isEqualTo("sig-2");
        assertThat(message.content().get(1).text().orElseThrow().text()).isEqualTo("Hello there");
        assertThat(message.usage().outputTokens()).isEqualTo(12);
        assertThat(events.getLast().isMessageStop()).isTrue();
        wireMock().verify(postRequestedFor(urlEqualTo(MESSAGES)).withRequestBody(matchingJsonPath("$.stream", equalTo("true"))));
    }

    @Test
    void multiTurnToolUseRoundTrips() {
        wireMock().stubFor(post(MESSAGES)
                .withRequestBody(matchingJsonPath("$.messages[2]", absent()))
                .willReturn(okJson(ProviderShapes.MINIMAX_TOOL_USE)));
        wireMock().stubFor(post(MESSAGES)
                .withRequestBody(matchingJsonPath("$.messages[2].content[0].tool_use_id", equalTo("toolu_1")))
                .willReturn(okJson("""
                        {"id":"msg_mm_5","type":"message","role":"assistant","model":"MiniMax-M1",
                         "content":[{"type":"text","text":"It is 18°C in Paris."}],"stop_reason":"end_turn","stop_sequence":null,
                         "usage":{"input_tokens":160,"output_tokens":9}}""")));

        Tool weather = WeatherTool.anthropic();
        MessageCreateParams first = MessageCreateParams.builder().model("m1-minimax").maxTokens(1024)
                .addUserMessage("Weather in Paris?").addTool(weather).build();
        Message assistant = client.messages().create(first);
        ToolUseBlock toolUse = assistant.content().stream().flatMap(b -> b.toolUse().stream()).findFirst().orElseThrow();
        assertThat(toolUse.name()).isEqualTo("get_weather");
        assertThat(toolUse._input().convert(Map.class)).isEqualTo(Map.of("city", "Paris"));

        MessageCreateParams second = first.toBuilder()
                .addMessage(assistant)
                .addUserMessageOfContentBlockParams(List.of(ContentBlockParam.ofToolResult(
                        ToolResultBlockParam.builder().toolUseId(toolUse.id()).content("18°C, sunny").build())))
                .build();
        Message answer = client.messages().create(second);
        assertThat(answer.content().getFirst().text().orElseThrow().text()).isEqualTo("It is 18°C in Paris.");
        wireMock().verify(postRequestedFor(urlEqualTo(MESSAGES))
                .withRequestBody(matchingJsonPath("$.tools[0].name", equalTo("get_weather")))
                .withRequestBody(matchingJsonPath("$.messages[1].content[1].type", equalTo("tool_use"))));
    }

    @Test
    void streamsToolUseInputAsJsonDeltas() {
        wireMock().stubFor(post(MESSAGES).willReturn(sse(ProviderShapes.MINIMAX_TOOL_USE_STREAM)));
        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(params("m1-minimax"))) {
            stream.stream().forEach(accumulator::accumulate);
        }
        ContentBlock block = accumulator.message().content().getFirst();
        assertThat(block.toolUse().orElseThrow()._input().convert(Map.class)).isEqualTo(Map.of("city", "Paris"));
        assertThat(accumulator.message().stopReason().orElseThrow().asString()).isEqualTo("tool_use");
    }

    @Test
    void countTokensIsForwardedToTheAnthropicTarget() {
        wireMock().stubFor(post("/minimax/anthropic/v1/messages/count_tokens").willReturn(okJson("{\"input_tokens\":42}")));
        long tokens = client.messages().countTokens(MessageCountTokensParams.builder()
                .model("m1-minimax").addUserMessage("How many tokens is this?").build()).inputTokens();
        assertThat(tokens).isEqualTo(42);
        wireMock().verify(postRequestedFor(urlEqualTo("/minimax/anthropic/v1/messages/count_tokens"))
                .withHeader("x-api-key", equalTo("minimax-upstream-secret"))
                .withRequestBody(matchingJsonPath("$.model", equalTo("MiniMax-M1"))));
    }

    @Test
    void anthropicBetaHeadersReachTheUpstream() {
        wireMock().stubFor(post(MESSAGES).willReturn(okJson(ProviderShapes.MINIMAX_MESSAGE)));
        client.messages().create(params("m1-minimax").toBuilder()
                .putAdditionalHeader("anthropic-beta", "interleaved-thinking-2025-05-14").build());
        wireMock().verify(postRequestedFor(urlEqualTo(MESSAGES))
                .withHeader("anthropic-beta", equalTo("interleaved-thinking-2025-05-14")));
    }

    @Test
    void theMessagesEndpointTakesTheAnthropicTargetOfAMixedRoute() {
        wireMock().stubFor(post(MESSAGES).willReturn(okJson(ProviderShapes.MINIMAX_MESSAGE)));
        HttpResponseFor<Message> raw = client.messages().withRawResponse().create(params("m1-both"));
        assertThat(raw.headers().values("x-switchboard-upstream")).containsExactly("minimax");
    }

    @Test
    void sdkErrorClassesForGatewayAndUpstreamErrors() {
        AnthropicClient wrongKey = sdk("sk-not-a-key");
        try {
            assertThatThrownBy(() -> wrongKey.messages().create(params("m1-minimax")))
                    .isInstanceOf(UnauthorizedException.class);
        } finally {
            wrongKey.close();
        }
        assertThatThrownBy(() -> client.messages().create(params("no-such-alias")))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.getMessage()).contains("no-such-alias"));

        wireMock().stubFor(post(MESSAGES).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json").withBody(ProviderShapes.ANTHROPIC_BAD_REQUEST)));
        assertThatThrownBy(() -> client.messages().create(params("m1-minimax")))
                .isInstanceOfSatisfying(BadRequestException.class,
                        e -> assertThat(e.getMessage()).contains("at least one message is required"));
    }

    @Test
    void keyBySha256Works() {
        wireMock().stubFor(post(MESSAGES).willReturn(okJson(ProviderShapes.MINIMAX_MESSAGE)));
        AnthropicClient teamB = sdk(KEY_B);
        try {
            assertThat(teamB.messages().create(params("m1-minimax")).id()).isEqualTo("msg_mm_1");
        } finally {
            teamB.close();
        }
    }
}
