package dev.switchboard.api;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.helpers.MessageAccumulator;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;

import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.RawHttp;
import dev.switchboard.support.ScriptedUpstream;
import dev.switchboard.support.TcpProxy;
import tools.jackson.databind.JsonNode;

/**
 * A stream whose upstream goes quiet mid-answer, as a reasoning model does while it thinks, reached through a
 * proxy that closes connections idle for {@value #IDLE_CUT_MS} ms, as load balancers do. With the gateway's
 * keepalive at {@value #KEEPALIVE_MS} ms the stream outlives a pause of {@value #PAUSE_MS} ms: SSE comments
 * fill the silence between whole events, the official SDKs read through them, and without them the bytes are
 * the upstream's exactly. An upstream that says nothing before its head, not even the head, gets the same:
 * the client's head goes out early, the failover goes on behind it, and a failure arrives as an error event.
 */
class StreamKeepaliveIT extends GatewayIT {
    private static final long KEEPALIVE_MS = 250;
    private static final long IDLE_CUT_MS = 1_000;
    private static final long PAUSE_MS = 2_500;
    private static final String FIRST = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hello\"},\"finish_reason\":null}]}\n\n";
    private static final String SECOND = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"delta\":{\"content\":\" world\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
    private TcpProxy loadBalancer;

    @DynamicPropertySource
    static void keepalive(DynamicPropertyRegistry registry) {
        registry.add("switchboard.stream-keepalive", () -> KEEPALIVE_MS + "ms");
    }

    @BeforeEach
    void startLoadBalancer() throws IOException {
        loadBalancer = new TcpProxy("127.0.0.1", port).closeIdleAfter(Duration.ofMillis(IDLE_CUT_MS)).start();
    }

    @AfterEach
    void stopLoadBalancer() throws IOException {
        loadBalancer.close();
    }

    private String viaLoadBalancer() {
        return "http://127.0.0.1:" + loadBalancer.port();
    }

    /** The upstream's answer: a first event at once, a pause, then the rest. */
    private void answerWithAPause(String first, String rest) throws Exception {
        ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
        upstream.requestBody.get(10, TimeUnit.SECONDS);
        upstream.send(first);
        Thread.sleep(PAUSE_MS);
        upstream.send(rest);
        upstream.finish();
    }

    @Test
    void theLoadBalancerCutsAConnectionThatSaysNothing() throws IOException {
        try (Socket idle = new Socket("127.0.0.1", loadBalancer.port())) {
            idle.setSoTimeout((int) (5 * IDLE_CUT_MS));
            long start = System.nanoTime();
            assertThat(idle.getInputStream().read()).as("closed by the proxy").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(IDLE_CUT_MS / 2));
        }
    }

    @Test
    void aQuietStreamGetsCommentsBetweenWholeEventsAndOutlivesTheIdleCut() throws Exception {
        RawHttp raw = new RawHttp(viaLoadBalancer());
        CompletableFuture<HttpResponse<InputStream>> pending = raw.client().sendAsync(raw.request("/v1/chat/completions")
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m1-scripted\",\"stream\":true,"
                        + "\"stream_options\":{\"include_usage\":true},\"messages\":[]}")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        answerWithAPause(FIRST, SECOND);
        HttpResponse<InputStream> response = pending.get(10, TimeUnit.SECONDS);
        String body = new String(response.body().readAllBytes(), StandardCharsets.UTF_8);

        String comment = new String(StreamKeepalive.COMMENT, StandardCharsets.US_ASCII);
        int comments = body.split(comment, -1).length - 1;
        assertThat(comments).as("about one a keepalive through the pause").isBetween(2, (int) (PAUSE_MS / KEEPALIVE_MS) + 2);
        assertThat(body).startsWith(FIRST).endsWith(SECOND);
        assertThat(body.replace(comment, "")).as("otherwise the upstream's bytes").isEqualTo(FIRST + SECOND);
    }

    @Test
    void theOpenAiSdkReadsThroughTheComments() throws Exception {
        var client = OpenAIOkHttpClient.builder().baseUrl(viaLoadBalancer() + "/v1").apiKey(KEY).maxRetries(0).build();
        CompletableFuture<String> text = CompletableFuture.supplyAsync(() -> {
            try (var stream = client.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                    .model("m1-scripted").addUserMessage("Think first").build())) {
                List<ChatCompletionChunk> chunks = stream.stream().toList();
                return chunks.stream().flatMap(c -> c.choices().stream()).map(c -> c.delta().content().orElse(""))
                        .collect(Collectors.joining());
            }
        });
        answerWithAPause(FIRST, SECOND);
        assertThat(text.get(15, TimeUnit.SECONDS)).isEqualTo("Hello world");
    }

    @Test
    void theAnthropicSdkReadsThroughTheComments() throws Exception {
        var client = AnthropicOkHttpClient.builder().baseUrl(viaLoadBalancer()).apiKey(KEY).maxRetries(0).build();
        CompletableFuture<String> text = CompletableFuture.supplyAsync(() -> {
            MessageAccumulator accumulator = MessageAccumulator.create();
            try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(MessageCreateParams.builder()
                    .model("m1-scripted-anthropic").maxTokens(64).addUserMessage("Think first").build())) {
                stream.stream().forEach(accumulator::accumulate);
            }
            return accumulator.message().content().get(0).text().orElseThrow().text();
        });
        answerWithAPause("""
                event: message_start
                data: {"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"scripted-model","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}

                event: content_block_start
                data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

                event: content_block_delta
                data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}

                """, """
                event: content_block_delta
                data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":" world"}}

                event: content_block_stop
                data: {"type":"content_block_stop","index":0}

                event: message_delta
                data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}

                event: message_stop
                data: {"type":"message_stop"}

                """);
        assertThat(text.get(15, TimeUnit.SECONDS)).isEqualTo("Hello world");
    }

    // ---- the wait for the first byte: the head goes out early, and the failover goes on behind it

    private static final String THINKING = "/thinking/v1/chat/completions";
    private static final String THINKING_SPARE = "/thinking-spare/v1/chat/completions";

    /** A stream whose upstream says nothing at all, not even its head, for {@value #PAUSE_MS} ms. */
    private void thinksBeforeItsHead(String path) {
        wireMock().stubFor(post(path).willReturn(aResponse().withHeader("Content-Type", "text/event-stream")
                .withBody(FIRST + SECOND).withFixedDelay((int) PAUSE_MS)));
    }

    private HttpResponse<String> streamRequest(String alias) throws Exception {
        RawHttp raw = new RawHttp(viaLoadBalancer());
        return raw.client().send(raw.request("/v1/chat/completions")
                .header("Authorization", "Bearer " + KEY).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + alias + "\",\"stream\":true,"
                        + "\"stream_options\":{\"include_usage\":true},\"messages\":[]}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String withoutComments(String body) {
        return body.replace(new String(StreamKeepalive.COMMENT, StandardCharsets.US_ASCII), "");
    }

    @Test
    void aStreamWaitingForItsHeadIsCommittedEarlyAndOutlivesTheIdleCut() throws Exception {
        thinksBeforeItsHead(THINKING);
        HttpResponse<String> response = streamRequest("thinking");

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/event-stream"));
        assertThat(response.headers().firstValue(AnswerRelay.UPSTREAM_HEADER)).as("not known when the head went").isEmpty();
        assertThat(response.headers().firstValue(AnswerRelay.OVERHEAD_HEADER)).isPresent();
        String comment = new String(StreamKeepalive.COMMENT, StandardCharsets.US_ASCII);
        assertThat(response.body()).startsWith(comment + comment);
        assertThat(withoutComments(response.body())).as("otherwise the upstream's bytes").isEqualTo(FIRST + SECOND);

        JsonNode record = usageRecord(response.headers().firstValue(RequestIdFilter.HEADER).orElseThrow());
        assertThat(record.get("outcome").asString()).isEqualTo("ok");
        assertThat(record.get("upstream").asString()).isEqualTo("thinking");
        assertThat(record.get("ttft_ms").asLong()).as("the first event, not the first comment").isGreaterThanOrEqualTo(PAUSE_MS);
    }

    @Test
    void theFailoverGoesOnBehindAnEarlyHead() throws Exception {
        wireMock().stubFor(post(THINKING).willReturn(aResponse().withStatus(500).withBody("overloaded").withFixedDelay((int) PAUSE_MS)));
        thinksBeforeItsHead(THINKING_SPARE);
        var client = OpenAIOkHttpClient.builder().baseUrl(viaLoadBalancer() + "/v1").apiKey(KEY).maxRetries(0).build();
        try (var stream = client.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                .model("thinking-failover").addUserMessage("Think first").build())) {
            String text = stream.stream().flatMap(c -> c.choices().stream()).map(c -> c.delta().content().orElse(""))
                    .collect(Collectors.joining());
            assertThat(text).isEqualTo("Hello world");
        }
        wireMock().verify(1, postRequestedFor(urlEqualTo(THINKING)));
        wireMock().verify(1, postRequestedFor(urlEqualTo(THINKING_SPARE)));
    }

    @Test
    void anAnthropicClientOnAThinkingOpenAiUpstreamReadsTheTranslatedStream() {
        thinksBeforeItsHead(THINKING);
        var client = AnthropicOkHttpClient.builder().baseUrl(viaLoadBalancer()).apiKey(KEY).maxRetries(0).build();
        MessageAccumulator accumulator = MessageAccumulator.create();
        try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(MessageCreateParams.builder()
                .model("thinking").maxTokens(64).addUserMessage("Think first").build())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        assertThat(accumulator.message().content().get(0).text().orElseThrow().text()).isEqualTo("Hello world");
    }

    @Test
    void whenEveryTargetFailsAfterAnEarlyHeadTheErrorIsAnEventInTheClientsEnvelope() throws Exception {
        wireMock().stubFor(post(THINKING).willReturn(aResponse().withStatus(500).withBody("overloaded").withFixedDelay((int) PAUSE_MS)));
        HttpResponse<String> response = streamRequest("thinking");
        assertThat(response.statusCode()).as("the head went before the failure").isEqualTo(200);
        String events = withoutComments(response.body());
        assertThat(events).startsWith("data: {\"error\":").endsWith("\n\n").contains("upstream_unreachable", "HTTP 500");
        JsonNode record = usageRecord(response.headers().firstValue(RequestIdFilter.HEADER).orElseThrow());
        assertThat(record.get("outcome").asString()).isEqualTo("upstream_error");
        assertThat(record.get("status").asInt()).isEqualTo(502);

        wireMock().resetAll();
        health.reset();
        wireMock().stubFor(post(THINKING).willReturn(aResponse().withStatus(500).withBody("overloaded").withFixedDelay((int) PAUSE_MS)));
        var client = OpenAIOkHttpClient.builder().baseUrl(viaLoadBalancer() + "/v1").apiKey(KEY).maxRetries(0).build();
        assertThatThrownBy(() -> {
            try (var stream = client.chat().completions().createStreaming(ChatCompletionCreateParams.builder()
                    .model("thinking").addUserMessage("Think first").build())) {
                stream.stream().forEach(chunk -> {});
            }
        }).as("the SDK raises the error event").isInstanceOf(com.openai.errors.OpenAIException.class).hasMessageContaining("HTTP 500");
    }

    @Test
    void anUpstreamsRefusalAfterAnEarlyHeadIsAnErrorEventWithItsMessage() {
        wireMock().stubFor(post(THINKING).willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"message\":\"context length exceeded\",\"type\":\"invalid_request_error\"}}")
                .withFixedDelay((int) PAUSE_MS)));
        var client = AnthropicOkHttpClient.builder().baseUrl(viaLoadBalancer()).apiKey(KEY).maxRetries(0).build();
        assertThatThrownBy(() -> {
            try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(MessageCreateParams.builder()
                    .model("thinking").maxTokens(64).addUserMessage("Think first").build())) {
                stream.stream().forEach(event -> {});
            }
        }).isInstanceOf(com.anthropic.errors.AnthropicException.class).hasMessageContaining("context length exceeded");
        wireMock().verify(1, postRequestedFor(urlEqualTo(THINKING)));
    }

    @Test
    void aClientThatLeavesDuringTheWaitClosesTheUpstreamAttempt() throws Exception {
        ScriptedUpstream.Exchange upstream;
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            String body = "{\"model\":\"thinking-held\",\"stream\":true,\"messages\":[]}";
            socket.getOutputStream().write(("POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer " + KEY
                    + "\r\nContent-Type: application/json\r\nx-request-id: left-during-wait\r\nContent-Length: " + body.length()
                    + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII));
            upstream = UPSTREAMS.scripted().nextExchange();
            upstream.requestBody.get(10, TimeUnit.SECONDS);
            String head = readUntil(socket.getInputStream(), new String(StreamKeepalive.COMMENT, StandardCharsets.US_ASCII));
            assertThat(head).startsWith("HTTP/1.1 200").contains("text/event-stream");
            assertThat(upstream.connectionClosed).as("still waiting on the upstream").isNotDone();
        }
        // the attempt the client left is cancelled: the gateway closes the upstream connection it was waiting on
        upstream.connectionClosed.get(10, TimeUnit.SECONDS);
        JsonNode record = usageRecord("left-during-wait");
        assertThat(record.get("outcome").asString()).isEqualTo("client_cancelled");
    }

    /** What the socket gives until {@code end} has come, at most 64 KiB. */
    private static String readUntil(InputStream in, String end) throws IOException {
        StringBuilder read = new StringBuilder();
        while (read.indexOf(end) < 0 && read.length() < 65_536) {
            int b = in.read();
            if (b < 0) break;
            read.append((char) b);
        }
        return read.toString();
    }
}
