package dev.switchboard.api;

import static org.assertj.core.api.Assertions.assertThat;

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

/**
 * A stream whose upstream goes quiet mid-answer, as a reasoning model does while it thinks, reached through a
 * proxy that closes connections idle for {@value #IDLE_CUT_MS} ms, as load balancers do. With the gateway's
 * keepalive at {@value #KEEPALIVE_MS} ms the stream outlives a pause of {@value #PAUSE_MS} ms: SSE comments
 * fill the silence between whole events, the official SDKs read through them, and without them the bytes are
 * the upstream's exactly.
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
}
