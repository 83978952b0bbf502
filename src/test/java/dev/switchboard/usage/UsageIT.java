package dev.switchboard.usage;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.math.BigDecimal;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.switchboard.protocol.MessageText;
import dev.switchboard.protocol.TokenUsage;
import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.ProviderShapes;
import dev.switchboard.support.RawHttp;
import dev.switchboard.support.ScriptedUpstream;
import tools.jackson.databind.JsonNode;

/** Every provider shape, streaming and not: the ledger's record has the exact tokens, cost and credits. */
class UsageIT extends GatewayIT {
    private RawHttp raw;

    @BeforeEach
    void raw() {
        raw = new RawHttp(gatewayUrl());
    }

    private JsonNode record(String requestId) {
        return usageRecord(requestId);
    }

    private String send(String endpoint, String body, String key) {
        String id = "usage-" + UUID.randomUUID();
        raw.post(endpoint, body, "Authorization", "Bearer " + key, "x-request-id", id);
        return id;
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder sse(String body) {
        return aResponse().withStatus(200).withHeader("Content-Type", "text/event-stream").withBody(body);
    }

    private static final String CACHED_OPENAI = """
            {"id":"c","object":"chat.completion","created":1,"model":"cached-model",
             "choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":1000,"completion_tokens":300,"total_tokens":1300,
                      "prompt_tokens_details":{"cached_tokens":600,"cache_write_tokens":100},
                      "completion_tokens_details":{"reasoning_tokens":200}}}""";

    private static final String CACHED_ANTHROPIC_STREAM = """
            event: message_start
            data: {"type":"message_start","message":{"id":"m","type":"message","role":"assistant","model":"cached-model","content":[],"usage":{"input_tokens":10,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":25}}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":50}}

            event: message_stop
            data: {"type":"message_stop"}

            """;

    /**
     * name, endpoint, alias, upstream path, response, streaming, then the expected record: prompt, completion,
     * reasoning, cached, cache-write, cost_usd, credits, upstream cost (USD), upstream credits.
     */
    static Stream<Arguments> shapes() {
        String chat = "/v1/chat/completions";
        String messages = "/v1/messages";
        String responses = "/v1/responses";
        return Stream.of(
                Arguments.of("AI/ML API", chat, "m1-aimlapi", "/aimlapi/v1/chat/completions", ProviderShapes.AIMLAPI_COMPLETION, false,
                        12, 9, 5, 0, 0, "0.00002583", 26, "0.000223", "447"),
                Arguments.of("AI/ML API stream", chat, "m1-aimlapi", "/aimlapi/v1/chat/completions", ProviderShapes.AIMLAPI_STREAM, true,
                        12, 7, 0, 0, 0, "0.00002121", 22, "0.00124", "2480"),
                Arguments.of("OpenRouter stream", chat, "m1-openrouter", "/openrouter/api/v1/chat/completions", ProviderShapes.OPENROUTER_STREAM, true,
                        10, 4, 0, 0, 0, "0.0000128", 13, "0.0000128", null),
                Arguments.of("Together tool call", chat, "m1-together", "/together/v1/chat/completions", ProviderShapes.TOGETHER_TOOL_CALL, false,
                        80, 18, 0, 0, 0, "0.0000716", 72, null, null),
                Arguments.of("Together tool call stream", chat, "m1-together", "/together/v1/chat/completions", ProviderShapes.TOGETHER_TOOL_CALL_STREAM, true,
                        80, 18, 0, 0, 0, "0.0000716", 72, null, null),
                Arguments.of("ModelsLab", chat, "m1-modelslab", "/modelslab/api/v7/llm/chat/completions", ProviderShapes.MODELSLAB_COMPLETION, false,
                        9, 4, 0, 0, 0, "0.0000124", 13, null, null),
                Arguments.of("MiniMax OpenAI stream ending in a chat.completion", chat, "m1-minimax-openai", "/minimax/v1/chat/completions",
                        ProviderShapes.MINIMAX_OPENAI_STREAM, true, 7, 6, 0, 0, 0, "0.000016", 16, null, null),
                Arguments.of("MiniMax Anthropic", messages, "m1-minimax", "/minimax/anthropic/v1/messages", ProviderShapes.MINIMAX_MESSAGE, false,
                        15, 11, 0, 0, 0, "0.0000302", 31, null, null),
                Arguments.of("MiniMax Anthropic stream", messages, "m1-minimax", "/minimax/anthropic/v1/messages", ProviderShapes.MINIMAX_MESSAGE_STREAM, true,
                        19, 12, 0, 4, 0, "0.000034", 34, null, null),
                Arguments.of("every OpenAI token class", chat, "m1-cached-openai", "/together/v1/chat/completions", CACHED_OPENAI, false,
                        1000, 300, 200, 600, 100, "0.001088", 1088, null, null),
                Arguments.of("every Anthropic token class, cumulative output", messages, "m1-cached-anthropic", "/minimax/anthropic/v1/messages",
                        CACHED_ANTHROPIC_STREAM, true, 130, 50, 0, 100, 20, "0.000145", 145, null, null),
                // the Responses API: translated to either protocol, and passed through to a target that speaks it
                Arguments.of("Responses over every OpenAI token class", responses, "m1-cached-openai", "/together/v1/chat/completions",
                        CACHED_OPENAI, false, 1000, 300, 200, 600, 100, "0.001088", 1088, null, null),
                Arguments.of("Responses stream over OpenRouter, its cost kept", responses, "m1-openrouter", "/openrouter/api/v1/chat/completions",
                        ProviderShapes.OPENROUTER_STREAM, true, 10, 4, 0, 0, 0, "0.0000128", 13, "0.0000128", null),
                Arguments.of("Responses stream over every Anthropic token class", responses, "m1-cached-anthropic", "/minimax/anthropic/v1/messages",
                        CACHED_ANTHROPIC_STREAM, true, 130, 50, 0, 100, 20, "0.000145", 145, null, null),
                Arguments.of("Responses passed through, every token class", responses, "resp-native", "/native/v1/responses",
                        NATIVE_RESPONSE, false, 1000, 300, 200, 600, 0, "0.0016", 1600, null, null),
                Arguments.of("Responses stream passed through, usage from response.completed", responses, "resp-native", "/native/v1/responses",
                        NATIVE_RESPONSE_STREAM, true, 1000, 300, 200, 600, 0, "0.0016", 1600, null, null));
    }

    private static final String NATIVE_USAGE = "{\"input_tokens\":1000,\"input_tokens_details\":{\"cached_tokens\":600},"
            + "\"output_tokens\":300,\"output_tokens_details\":{\"reasoning_tokens\":200},\"total_tokens\":1300}";
    private static final String NATIVE_RESPONSE = "{\"id\":\"resp_1\",\"object\":\"response\",\"created_at\":1,\"status\":\"completed\","
            + "\"model\":\"gpt-native\",\"output\":[{\"id\":\"msg_1\",\"type\":\"message\",\"status\":\"completed\",\"role\":\"assistant\","
            + "\"content\":[{\"type\":\"output_text\",\"text\":\"ok\",\"annotations\":[]}]}],\"usage\":" + NATIVE_USAGE + "}";
    private static final String NATIVE_RESPONSE_STREAM = "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,"
            + "\"response\":{\"id\":\"resp_1\",\"object\":\"response\",\"status\":\"in_progress\",\"output\":[],\"usage\":null}}\n\n"
            + "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"item_id\":\"msg_1\","
            + "\"output_index\":0,\"content_index\":0,\"delta\":\"ok\"}\n\n"
            + "event: response.completed\ndata: {\"type\":\"response.completed\",\"sequence_number\":2,\"response\":"
            + NATIVE_RESPONSE + "}\n\n";

    @ParameterizedTest(name = "{0}")
    @MethodSource("shapes")
    void eachShapeIsBilledExactly(String shape, String endpoint, String alias, String path, String response, boolean stream,
                                  long prompt, long completion, long reasoning, long cached, long cacheWrite,
                                  String cost, long credits, String upstreamUsd, String upstreamCredits) {
        wireMock().stubFor(post(path).willReturn(stream ? sse(response) : okJson(response)));
        boolean responses = endpoint.equals("/v1/responses");
        String id = send(endpoint, responses
                ? "{\"model\":\"" + alias + "\",\"max_output_tokens\":100,\"stream\":" + stream + ",\"input\":\"hi\"}"
                : "{\"model\":\"" + alias + "\",\"max_tokens\":100,\"stream\":" + stream
                        + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}", KEY);
        JsonNode r = record(id);
        if (responses) assertThat(r.get("endpoint").asString()).isEqualTo("responses");
        assertThat(r.get("prompt_tokens").asLong()).isEqualTo(prompt);
        assertThat(r.get("completion_tokens").asLong()).isEqualTo(completion);
        assertThat(r.get("reasoning_tokens").asLong()).isEqualTo(reasoning);
        assertThat(r.get("cached_tokens").asLong()).isEqualTo(cached);
        assertThat(r.get("cache_write_tokens").asLong()).isEqualTo(cacheWrite);
        assertThat(r.get("cost_usd").decimalValue()).isEqualByComparingTo(cost);
        assertThat(r.get("credits").asLong()).isEqualTo(credits);
        assertThat(r.get("usage_source").asString()).isEqualTo("upstream");
        if (upstreamUsd == null) assertThat(r.get("upstream_cost_usd").isNull()).isTrue();
        else assertThat(r.get("upstream_cost_usd").decimalValue()).isEqualByComparingTo(upstreamUsd);
        if (upstreamCredits == null) assertThat(r.get("upstream_credits").isNull()).isTrue();
        else assertThat(r.get("upstream_credits").decimalValue()).isEqualByComparingTo(upstreamCredits);
        assertThat(r.get("outcome").asString()).isEqualTo("ok");
        assertThat(r.get("status").asInt()).isEqualTo(200);
        assertThat(r.get("key").asString()).isEqualTo("team-a");
        assertThat(r.get("alias").asString()).isEqualTo(alias);
        assertThat(r.get("stream").asBoolean()).isEqualTo(stream);
        assertThat(r.get("attempts").asInt()).isEqualTo(1);
        assertThat(r.get("latency_ms").asLong()).isNotNegative();
        // the answer's first byte is timed, whole or streamed (a JSON null would read as 0)
        assertThat(r.get("ttft_ms").isNumber()).as("ttft_ms is a number: %s", r.get("ttft_ms")).isTrue();
        assertThat(r.get("ttft_ms").asLong()).isNotNegative();
    }

    @Test
    void recordsAreListedFilteredAndSummedAndMetered() {
        wireMock().stubFor(post("/together/v1/chat/completions").willReturn(okJson(CACHED_OPENAI)));
        String first = send("/v1/chat/completions", "{\"model\":\"m1-cached-openai\",\"messages\":[]}", KEY_B);
        String second = send("/v1/chat/completions", "{\"model\":\"m1-cached-openai\",\"messages\":[]}", KEY_B);
        record(first);
        record(second);

        HttpResponse<byte[]> list = raw.send(raw.request("/admin/usage?key=team-b&alias=m1-cached-openai&limit=2")
                .header("Authorization", "Bearer it-admin-key").GET().build());
        JsonNode records = RawHttp.json(list).get("records");
        assertThat(records).hasSize(2);
        assertThat(records.get(0).get("request_id").asString()).as("newest first").isEqualTo(second);

        HttpResponse<byte[]> summary = raw.send(raw.request("/admin/usage/summary?group_by=key")
                .header("Authorization", "Bearer it-admin-key").GET().build());
        JsonNode teamB = null;
        for (JsonNode g : RawHttp.json(summary).get("groups")) {
            if (g.get("group").asString().equals("team-b")) teamB = g;
        }
        assertThat(teamB).isNotNull();
        assertThat(teamB.get("requests").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(teamB.get("credits").asLong()).isEqualTo(teamB.get("requests").asLong() * 1088);
        assertThat(raw.send(raw.request("/admin/usage/summary?group_by=colour").header("Authorization", "Bearer it-admin-key")
                .GET().build()).statusCode()).isEqualTo(400);
        assertThat(raw.send(raw.request("/admin/usage").GET().build()).statusCode()).isEqualTo(401);

        String metrics = new String(raw.send(raw.request("/actuator/prometheus").GET().build()).body(), java.nio.charset.StandardCharsets.UTF_8);
        assertThat(metrics)
                .containsPattern("gen_ai_client_token_usage_tokens_sum\\{alias=\"m1-cached-openai\",gen_ai_request_model=\"m1-cached-openai\",gen_ai_token_type=\"cached_input\",key=\"team-b\",upstream=\"together\"}")
                .containsPattern("switchboard_credits_total\\{alias=\"m1-cached-openai\",key=\"team-b\",upstream=\"together\"}")
                .containsPattern("switchboard_cost_usd_total\\{alias=\"m1-cached-openai\",key=\"team-b\",upstream=\"together\"}");
    }

    @Test
    void servedRequestsAreLoggedOnlyWhenTheAccessLogIsOn() {
        wireMock().stubFor(post("/together/v1/chat/completions").willReturn(okJson(CACHED_OPENAI)));
        Logger access = (Logger) LoggerFactory.getLogger("switchboard.access");
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        access.addAppender(lines);
        Level before = access.getLevel();
        try {
            String quiet = send("/v1/chat/completions", "{\"model\":\"m1-cached-openai\",\"messages\":[]}", KEY);
            record(quiet); // stored: the ledger has it whatever the log says
            access.setLevel(Level.INFO);
            String logged = send("/v1/chat/completions", "{\"model\":\"m1-cached-openai\",\"messages\":[]}", KEY);
            record(logged);
            assertThat(lines.list).extracting(ILoggingEvent::getFormattedMessage)
                    .noneMatch(line -> line.contains(quiet))
                    .singleElement().asString()
                    .contains("request id=" + logged, "key=team-a", "alias=m1-cached-openai", "upstream=together", "status=200", "outcome=ok");
        } finally {
            access.setLevel(before);
            access.detachAppender(lines);
        }
    }

    @Test
    void aimlapiCostHeadersAreKeptForPlainResponses() {
        wireMock().stubFor(post("/aimlapi/v1/chat/completions").willReturn(okJson(ProviderShapes.MODELSLAB_COMPLETION)
                .withHeader("x-aimlapi-credits-used", "2480").withHeader("x-aimlapi-usd-spent", "0.00124")));
        JsonNode r = record(send("/v1/chat/completions", "{\"model\":\"m1-aimlapi\",\"messages\":[]}", KEY));
        assertThat(r.get("upstream_cost_usd").decimalValue()).isEqualByComparingTo("0.00124");
        assertThat(r.get("upstream_credits").decimalValue()).isEqualByComparingTo("2480");
    }

    @Test
    void withoutUpstreamUsageTheTokenizerCountsAndSaysSo() {
        wireMock().stubFor(post("/nousage/v1/chat/completions").willReturn(sse("""
                data: {"id":"n","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"The quick brown fox jumps over the lazy dog"}}]}

                data: [DONE]

                """)));
        JsonNode r = record(send("/v1/chat/completions", "{\"model\":\"m1-no-usage\",\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Tell me a pangram\"}]}", KEY));
        assertThat(r.get("usage_source").asString()).isEqualTo("estimated");
        assertThat(r.get("completion_tokens").asLong()).isBetween(8L, 12L);
        assertThat(r.get("prompt_tokens").asLong()).isBetween(3L, 8L);
        assertThat(r.get("credits").asLong()).isPositive();
        wireMock().verify(postRequestedFor(urlEqualTo("/nousage/v1/chat/completions")).withRequestBody(matchingJsonPath("$.stream_options", absent())));
    }

    /** Over 16 KB the record is built on a counting thread, not the event loop: the counts are the same. */
    @Test
    void aLongStreamWithoutUsageIsCountedInFull() {
        StringBuilder stream = new StringBuilder();
        for (int i = 0; i < 200; i++) {
            stream.append("data: {\"id\":\"n\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":"
                    + "{\"content\":\"chunk ").append(i).append(": the quick brown fox jumps over the lazy dog, again.\"}}]}\n\n");
        }
        stream.append("data: [DONE]\n\n");
        wireMock().stubFor(post("/nousage/v1/chat/completions").willReturn(sse(stream.toString())));
        String body = "{\"model\":\"m1-no-usage\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\""
                + "Repeat after me, with numbers. ".repeat(400) + "\"}]}";

        JsonNode r = record(send("/v1/chat/completions", body, KEY));
        TokenUsage expected = TokenEstimator.estimate(body.getBytes(StandardCharsets.UTF_8),
                MessageText.ofStream(stream.toString().getBytes(StandardCharsets.UTF_8)));
        assertThat(r.get("usage_source").asString()).isEqualTo("estimated");
        assertThat(expected.completion()).isGreaterThan(2_000);
        assertThat(r.get("completion_tokens").asLong()).isEqualTo(expected.completion());
        assertThat(r.get("prompt_tokens").asLong()).isEqualTo(expected.prompt());
    }

    @Test
    void aClientThatLeavesMidStreamIsBilledForWhatWasProduced() throws Exception {
        String id = "usage-" + UUID.randomUUID();
        CompletableFuture<HttpResponse<InputStream>> pending = raw.client().sendAsync(raw.request("/v1/chat/completions")
                .header("Authorization", "Bearer " + KEY).header("x-request-id", id)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m1-scripted\",\"stream\":true,\"messages\":[]}")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
        upstream.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"one two three four five six seven eight\"}}]}\n\n");
        InputStream body = pending.get(10, TimeUnit.SECONDS).body();
        body.readNBytes(20);
        body.close();
        upstream.connectionClosed.get(10, TimeUnit.SECONDS);
        JsonNode r = record(id);
        assertThat(r.get("outcome").asString()).isEqualTo("client_cancelled");
        assertThat(r.get("usage_source").asString()).isEqualTo("estimated");
        assertThat(r.get("completion_tokens").asLong()).isPositive();
    }

    /**
     * The upstream had the whole request when the client hung up, and a provider may bill for it: the ledger
     * keeps the request (who, which upstream, how many attempts), at no cost, as nothing came back. Repeated:
     * the upstream's head races the client's hang-up, and in a few runs in a hundred comes as it is cancelled;
     * the body it then reads ends with no error, which is neither an answer nor, translated, a broken stream.
     * A hundred runs catch a regression of that most times, not every time.
     */
    @RepeatedTest(100)
    void aClientThatLeavesBeforeTheUpstreamAnswersIsStillRecorded() throws Exception {
        JsonNode r = leaveBeforeTheAnswer("/v1/chat/completions", "{\"model\":\"m1-scripted\",\"messages\":[]}");
        assertThat(r.get("credits").asLong()).isZero();
    }

    @RepeatedTest(100)
    void aStreamingClientThatLeavesBeforeATranslatedAnswerIsStillRecorded() throws Exception {
        leaveBeforeTheAnswer("/v1/messages", "{\"model\":\"m1-scripted\",\"max_tokens\":16,\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
    }

    private JsonNode leaveBeforeTheAnswer(String path, String json) throws Exception {
        String id = "usage-" + UUID.randomUUID();
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        try (Socket client = new Socket("127.0.0.1", URI.create(gatewayUrl()).getPort())) {
            client.getOutputStream().write(("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + KEY + "\r\nx-request-id: " + id + "\r\nContent-Type: application/json\r\n"
                    + "Content-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            client.getOutputStream().write(body);
            client.getOutputStream().flush();
            ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
            upstream.requestBody.get(10, TimeUnit.SECONDS);
            client.close(); // before the upstream has sent its head
            upstream.connectionClosed.get(10, TimeUnit.SECONDS);
        }
        JsonNode r = record(id);
        assertThat(r.get("outcome").asString()).isEqualTo("client_cancelled");
        assertThat(r.get("upstream").asString()).isEqualTo("scripted");
        assertThat(r.get("attempts").asInt()).isEqualTo(1);
        // the prompt may be billed, estimated, if the upstream's head came: it had started on the answer
        assertThat(r.get("completion_tokens").asLong()).isZero();
        return r;
    }

    /** Counting tokens is free at the provider: the request is kept, with no tokens and nothing billed. */
    @Test
    void countingTokensUpstreamIsRecordedAndNotBilled() {
        wireMock().stubFor(post("/minimax/anthropic/v1/messages/count_tokens").willReturn(okJson("{\"input_tokens\":4242}")));
        JsonNode r = record(send("/v1/messages/count_tokens",
                "{\"model\":\"m1-cached-anthropic\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "count me ".repeat(200) + "\"}]}",
                KEY));
        assertThat(r.get("outcome").asString()).isEqualTo("ok");
        assertThat(r.get("upstream").asString()).isEqualTo("minimax");
        assertThat(r.get("cost_usd").decimalValue()).isEqualByComparingTo(BigDecimal.ZERO);
        assertThat(r.get("credits").asLong()).isZero();
        assertThat(r.get("prompt_tokens").asLong()).isZero();
        assertThat(r.get("completion_tokens").asLong()).isZero();
    }

    @Test
    void tokensCountedByTheGatewayAreRecordedWithNoUpstreamAndNoCost() {
        JsonNode r = record(send("/v1/messages/count_tokens",
                "{\"model\":\"failover\",\"messages\":[{\"role\":\"user\",\"content\":\"count me here\"}]}", KEY));
        assertThat(r.get("outcome").asString()).isEqualTo("ok");
        assertThat(r.get("status").asInt()).isEqualTo(200);
        assertThat(r.get("upstream").asString()).isEqualTo("-");
        assertThat(r.get("credits").asLong()).isZero();
        wireMock().verify(0, postRequestedFor(urlEqualTo("/cheap/v1/messages/count_tokens")));
    }

    @Test
    void aBrokenStreamIsBilledAndMarked() throws Exception {
        String id = "usage-" + UUID.randomUUID();
        CompletableFuture<HttpResponse<byte[]>> pending = raw.client().sendAsync(raw.request("/v1/chat/completions")
                .header("Authorization", "Bearer " + KEY).header("x-request-id", id)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m1-scripted\",\"stream\":true,\"messages\":[]}")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
        upstream.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"half an answer\"}}]}\n\n");
        upstream.abort();
        pending.get(10, TimeUnit.SECONDS);
        JsonNode r = record(id);
        assertThat(r.get("outcome").asString()).isEqualTo("stream_broken");
        assertThat(r.get("completion_tokens").asLong()).isPositive();
    }

    /** A translated Responses stream the upstream breaks ends failed for the client, and is billed and marked. */
    @Test
    void aBrokenResponsesStreamEndsFailedAndIsBilledAndMarked() throws Exception {
        String id = "usage-" + UUID.randomUUID();
        CompletableFuture<HttpResponse<String>> pending = raw.client().sendAsync(raw.request("/v1/responses")
                .header("Authorization", "Bearer " + KEY).header("x-request-id", id)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m1-scripted\",\"stream\":true,\"input\":\"hi\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
        upstream.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"half an answer\"}}]}\n\n");
        upstream.abort();
        String events = pending.get(10, TimeUnit.SECONDS).body();
        assertThat(events).contains("event: response.output_text.delta").contains("event: response.failed")
                .doesNotContain("event: response.completed");
        JsonNode r = record(id);
        assertThat(r.get("endpoint").asString()).isEqualTo("responses");
        assertThat(r.get("outcome").asString()).isEqualTo("stream_broken");
        assertThat(r.get("completion_tokens").asLong()).isPositive();
    }

    @Test
    void aClientThatLeavesAResponsesStreamIsBilledForWhatWasProduced() throws Exception {
        String id = "usage-" + UUID.randomUUID();
        CompletableFuture<HttpResponse<InputStream>> pending = raw.client().sendAsync(raw.request("/v1/responses")
                .header("Authorization", "Bearer " + KEY).header("x-request-id", id)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m1-scripted\",\"stream\":true,\"input\":\"hi\"}")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
        upstream.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"one two three four five six seven eight\"}}]}\n\n");
        InputStream body = pending.get(10, TimeUnit.SECONDS).body();
        body.readNBytes(20);
        body.close();
        upstream.connectionClosed.get(10, TimeUnit.SECONDS);
        JsonNode r = record(id);
        assertThat(r.get("endpoint").asString()).isEqualTo("responses");
        assertThat(r.get("outcome").asString()).isEqualTo("client_cancelled");
        assertThat(r.get("completion_tokens").asLong()).isPositive();
    }

    /**
     * A client that reads the closing event and leaves at once, while the upstream has not yet closed its
     * side (as coding agents do), was served: its record says ok, with the usage the stream reported. Passed
     * through (a chat stream's [DONE]) and translated (a Responses stream's response.completed).
     */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"/v1/chat/completions", "/v1/responses"})
    void aClientThatLeavesRightAfterTheClosingEventWasServed(String path) throws Exception {
        String id = "usage-" + UUID.randomUUID();
        String body = path.equals("/v1/responses") ? "{\"model\":\"m1-scripted\",\"stream\":true,\"input\":\"hi\"}"
                : "{\"model\":\"m1-scripted\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[]}";
        CompletableFuture<HttpResponse<InputStream>> pending = raw.client().sendAsync(raw.request(path)
                .header("Authorization", "Bearer " + KEY).header("x-request-id", id)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
        ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
        upstream.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"all of it\"},\"finish_reason\":\"stop\"}]}\n\n"
                + "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3,\"total_tokens\":10}}\n\n"
                + "data: [DONE]\n\n");
        // the upstream keeps its side open; the client reads up to the closing event and hangs up
        String closing = path.equals("/v1/responses") ? "response.completed" : "[DONE]";
        try (InputStream in = pending.get(10, TimeUnit.SECONDS).body()) {
            StringBuilder read = new StringBuilder();
            byte[] chunk = new byte[256];
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (read.indexOf(closing) < 0 && System.nanoTime() < deadline) {
                int n = in.read(chunk);
                if (n < 0) break;
                read.append(new String(chunk, 0, n, StandardCharsets.UTF_8));
            }
            assertThat(read.toString()).contains(closing);
        }
        upstream.connectionClosed.get(10, TimeUnit.SECONDS);
        JsonNode r = record(id);
        assertThat(r.get("outcome").asString()).isEqualTo("ok");
        assertThat(r.get("prompt_tokens").asLong()).isEqualTo(7);
        assertThat(r.get("completion_tokens").asLong()).isEqualTo(3);
        assertThat(r.get("usage_source").asString()).isEqualTo("upstream");
    }

    @Test
    void refusedAndFailedRequestsOfAKnownClientAreKeptWithoutCost() {
        JsonNode unknown = record(send("/v1/chat/completions", "{\"model\":\"no-such-alias\",\"messages\":[]}", KEY));
        assertThat(unknown.get("outcome").asString()).isEqualTo("rejected");
        assertThat(unknown.get("status").asInt()).isEqualTo(404);
        assertThat(unknown.get("credits").asLong()).isZero();

        wireMock().stubFor(post("/cheap/v1/chat/completions").willReturn(aResponse().withStatus(503)));
        wireMock().stubFor(post("/mid/v1/chat/completions").willReturn(aResponse().withStatus(503)));
        wireMock().stubFor(post("/dear/v1/chat/completions").willReturn(aResponse().withStatus(503)));
        JsonNode failed = record(send("/v1/chat/completions", "{\"model\":\"failover\",\"messages\":[]}", KEY));
        assertThat(failed.get("outcome").asString()).isEqualTo("upstream_error");
        assertThat(failed.get("attempts").asInt()).isEqualTo(3);
        assertThat(failed.get("cost_usd").decimalValue()).isEqualByComparingTo(BigDecimal.ZERO);
    }
}
