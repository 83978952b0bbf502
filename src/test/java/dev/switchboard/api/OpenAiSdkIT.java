package dev.switchboard.api;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.http.HttpResponseFor;
import com.openai.core.http.StreamResponse;
import com.openai.errors.BadRequestException;
import com.openai.errors.NotFoundException;
import com.openai.errors.UnauthorizedException;
import com.openai.errors.UnprocessableEntityException;
import com.openai.models.FunctionDefinition;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessage;
import com.openai.models.chat.completions.ChatCompletionMessageFunctionToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolMessageParam;

import dev.switchboard.support.WeatherTool;
import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.ProviderShapes;

/** The official OpenAI Java SDK pointed at the gateway, against each OpenAI-style provider shape. */
class OpenAiSdkIT extends GatewayIT {
    private OpenAIClient client;

    @BeforeEach
    void client() {
        client = sdk(KEY);
    }

    @AfterEach
    void close() {
        client.close();
    }

    private OpenAIClient sdk(String key) {
        return OpenAIOkHttpClient.builder().baseUrl(gatewayUrl() + "/v1").apiKey(key).maxRetries(0).build();
    }

    private static ChatCompletionCreateParams params(String alias) {
        return ChatCompletionCreateParams.builder().model(alias).addUserMessage("Say hello").build();
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder sse(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream").withBody(body);
    }

    @Test
    void plainCompletionPassesThroughWithTheUpstreamsCredentialOnly() {
        wireMock().stubFor(post("/aimlapi/v1/chat/completions").willReturn(okJson(ProviderShapes.AIMLAPI_COMPLETION)));

        HttpResponseFor<ChatCompletion> raw = client.chat().completions().withRawResponse().create(params("m1-aimlapi"));
        ChatCompletion completion = raw.parse();

        assertThat(completion.choices().getFirst().message().content()).contains("<think>The user greets me.</think>Hello from AI/ML API!");
        assertThat(completion.usage().orElseThrow().promptTokens()).isEqualTo(12);
        assertThat(completion.usage().orElseThrow().completionTokens()).isEqualTo(9);
        assertThat(completion._additionalProperties()).containsKey("meta");
        assertThat(raw.headers().values("x-switchboard-upstream")).containsExactly("aimlapi");
        assertThat(raw.headers().values("x-request-id")).singleElement().asString().startsWith("req_");

        wireMock().verify(postRequestedFor(urlEqualTo("/aimlapi/v1/chat/completions"))
                .withHeader("Authorization", equalTo("Bearer aimlapi-upstream-secret"))
                .withHeader("x-api-key", absent())
                .withRequestBody(equalToJson("{\"model\":\"minimax/m1\",\"messages\":[{\"role\":\"user\",\"content\":\"Say hello\"}]}")));
        LoggedRequest sent = wireMock().findAll(postRequestedFor(urlEqualTo("/aimlapi/v1/chat/completions"))).getFirst();
        assertThat(sent.getHeaders().all().toString()).doesNotContain(KEY);
    }

    @Test
    void streamsThroughOpenRouterWithItsKeepAliveComments() {
        wireMock().stubFor(post("/openrouter/api/v1/chat/completions").willReturn(sse(ProviderShapes.OPENROUTER_STREAM)));

        ChatCompletionCreateParams params = ChatCompletionCreateParams.builder().model("m1-openrouter").addUserMessage("Hi")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        List<ChatCompletionChunk> chunks;
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            chunks = stream.stream().toList();
        }
        String text = chunks.stream().flatMap(c -> c.choices().stream())
                .map(choice -> choice.delta().content().orElse("")).collect(Collectors.joining());
        assertThat(text).isEqualTo("Routed via OpenRouter");
        assertThat(chunks.getLast().usage().orElseThrow().totalTokens()).isEqualTo(14);

        wireMock().verify(postRequestedFor(urlEqualTo("/openrouter/api/v1/chat/completions"))
                .withHeader("X-Title", equalTo("switchboard"))
                .withHeader("Authorization", equalTo("Bearer openrouter-upstream-secret"))
                .withRequestBody(matchingJsonPath("$.stream", equalTo("true")))
                .withRequestBody(matchingJsonPath("$.model", equalTo("minimax/minimax-m1"))));
    }

    @Test
    void streamsTheAimlapiShapeWithReasoningInContent() {
        wireMock().stubFor(post("/aimlapi/v1/chat/completions").willReturn(sse(ProviderShapes.AIMLAPI_STREAM)));
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params("m1-aimlapi"))) {
            String text = stream.stream().flatMap(c -> c.choices().stream())
                    .map(choice -> choice.delta().content().orElse("")).collect(Collectors.joining());
            assertThat(text).isEqualTo("<think>hmm</think>Hello world");
        }
    }

    @Test
    void modelslabGetsItsKeyAndModelIdInTheBody() {
        wireMock().stubFor(post("/modelslab/api/v7/llm/chat/completions").willReturn(okJson(ProviderShapes.MODELSLAB_COMPLETION)));

        ChatCompletion completion = client.chat().completions().create(params("m1-modelslab"));

        assertThat(completion.choices().getFirst().message().content()).contains("Hi from ModelsLab");
        wireMock().verify(postRequestedFor(urlEqualTo("/modelslab/api/v7/llm/chat/completions"))
                .withHeader("Authorization", absent())
                .withRequestBody(equalToJson("""
                        {"key":"modelslab-upstream-secret","model_id":"minimax-minimax-m1",
                         "messages":[{"role":"user","content":"Say hello"}]}""")));
    }

    @Test
    void multiTurnToolCallRoundTrips() {
        wireMock().stubFor(post("/together/v1/chat/completions")
                .withRequestBody(matchingJsonPath("$.messages[?(@.role == 'tool')]", absent()))
                .willReturn(okJson(ProviderShapes.TOGETHER_TOOL_CALL)));
        wireMock().stubFor(post("/together/v1/chat/completions")
                .withRequestBody(matchingJsonPath("$.messages[2].tool_call_id", equalTo("call_weather_1")))
                .willReturn(okJson("""
                        {"id":"tg-3","object":"chat.completion","created":1,"model":"MiniMaxAI/MiniMax-M1-40k",
                         "choices":[{"index":0,"message":{"role":"assistant","content":"It is 18°C in Paris."},"finish_reason":"stop"}],
                         "usage":{"prompt_tokens":120,"completion_tokens":9,"total_tokens":129}}""")));

        FunctionDefinition weather = WeatherTool.openAi();
        ChatCompletionCreateParams first = ChatCompletionCreateParams.builder().model("m1-together")
                .addUserMessage("Weather in Paris?").addFunctionTool(weather).build();
        ChatCompletionMessage assistant = client.chat().completions().create(first).choices().getFirst().message();
        ChatCompletionMessageFunctionToolCall call = assistant.toolCalls().orElseThrow().getFirst().asFunction();
        assertThat(call.function().name()).isEqualTo("get_weather");
        assertThat(call.function().arguments()).isEqualTo("{\"city\":\"Paris\"}");

        ChatCompletionCreateParams second = first.toBuilder()
                .addMessage(assistant)
                .addMessage(ChatCompletionToolMessageParam.builder().toolCallId(call.id()).content("18°C, sunny").build())
                .build();
        ChatCompletion answer = client.chat().completions().create(second);
        assertThat(answer.choices().getFirst().message().content()).contains("It is 18°C in Paris.");
        wireMock().verify(postRequestedFor(urlEqualTo("/together/v1/chat/completions"))
                .withRequestBody(matchingJsonPath("$.tools[0].function.name", equalTo("get_weather")))
                .withRequestBody(matchingJsonPath("$.messages[2].content", equalTo("18°C, sunny"))));
    }

    @Test
    void streamsToolCallArgumentFragments() {
        wireMock().stubFor(post("/together/v1/chat/completions").willReturn(sse(ProviderShapes.TOGETHER_TOOL_CALL_STREAM)));
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params("m1-together"))) {
            List<ChatCompletionChunk> chunks = stream.stream().toList();
            String arguments = chunks.stream().flatMap(c -> c.choices().stream())
                    .flatMap(choice -> choice.delta().toolCalls().orElse(List.of()).stream())
                    .map(tc -> tc.function().flatMap(f -> f.arguments()).orElse(""))
                    .collect(Collectors.joining());
            assertThat(arguments).isEqualTo("{\"city\":\"Paris\"}");
            assertThat(chunks.getLast().choices().getFirst().finishReason().orElseThrow().asString()).isEqualTo("tool_calls");
        }
    }

    @Test
    void anAnthropicTargetWrittenFirstIsSkippedByTheOpenAiEndpoint() {
        wireMock().stubFor(post("/aimlapi/v1/chat/completions").willReturn(okJson(ProviderShapes.AIMLAPI_COMPLETION)));
        HttpResponseFor<ChatCompletion> raw = client.chat().completions().withRawResponse().create(params("m1-both"));
        assertThat(raw.headers().values("x-switchboard-upstream")).containsExactly("aimlapi");
    }

    @Test
    void aDisabledUpstreamIsSkipped() {
        wireMock().stubFor(post("/together/v1/chat/completions").willReturn(okJson(ProviderShapes.MODELSLAB_COMPLETION)));
        HttpResponseFor<ChatCompletion> raw = client.chat().completions().withRawResponse().create(params("m1-keyless-first"));
        assertThat(raw.headers().values("x-switchboard-upstream")).containsExactly("together");
    }

    @Test
    void sdkErrorClassesForGatewayAndUpstreamErrors() {
        OpenAIClient wrongKey = sdk("sk-not-a-key");
        try {
            assertThatThrownBy(() -> wrongKey.chat().completions().create(params("m1-aimlapi")))
                    .isInstanceOfSatisfying(UnauthorizedException.class, e -> assertThat(e.code()).contains("invalid_api_key"));
        } finally {
            wrongKey.close();
        }
        assertThatThrownBy(() -> client.chat().completions().create(params("no-such-alias")))
                .isInstanceOfSatisfying(NotFoundException.class, e -> {
                    assertThat(e.code()).contains("model_not_found");
                    assertThat(e.getMessage()).contains("no-such-alias");
                });

        wireMock().stubFor(post("/together/v1/chat/completions")
                .willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json").withBody(ProviderShapes.OPENAI_BAD_REQUEST)));
        assertThatThrownBy(() -> client.chat().completions().create(params("m1-together")))
                .isInstanceOfSatisfying(BadRequestException.class, e -> {
                    assertThat(e.param()).contains("temperature");
                    assertThat(e.getMessage()).contains("must be <= 2");
                });

        wireMock().stubFor(post("/aimlapi/v1/chat/completions")
                .willReturn(aResponse().withStatus(422).withHeader("Content-Type", "application/json").withBody(ProviderShapes.AIMLAPI_UNPROCESSABLE)));
        assertThatThrownBy(() -> client.chat().completions().create(params("m1-aimlapi")))
                .isInstanceOf(UnprocessableEntityException.class);
    }

    @Test
    void listsTheAliases(@org.springframework.beans.factory.annotation.Autowired dev.switchboard.config.CurrentRouteTable routes) {
        List<String> ids = client.models().list().data().stream().map(m -> m.id()).toList();
        assertThat(ids).contains("m1-aimlapi", "m1-minimax", "m1-both")
                .as("the routes, and no other name a route serves").containsExactlyElementsOf(routes.get().routes().keySet());
    }
}
