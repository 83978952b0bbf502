package dev.switchboard.api;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;

import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.ProviderShapes;
import dev.switchboard.support.RawHttp;
import dev.switchboard.support.ResponseWrites;
import dev.switchboard.support.ScriptedUpstream;
import tools.jackson.databind.JsonNode;

/**
 * Streams arrive byte for byte, each chunk flushed as it comes, and a departing client stops the upstream; a
 * plain answer leaves in one write.
 */
class StreamingIT extends GatewayIT {
    private static final String UNICODE_STREAM = """
            data: {"id":"u","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"héllo wörld 🌍 — 你好"},"finish_reason":null}]}

            data: {"id":"u","object":"chat.completion.chunk","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}

            data: [DONE]

            """;

    static Stream<Arguments> providerStreams() {
        return Stream.of(
                Arguments.of("AI/ML API", "/v1/chat/completions", "m1-aimlapi", "/aimlapi/v1/chat/completions", ProviderShapes.AIMLAPI_STREAM),
                Arguments.of("OpenRouter comments", "/v1/chat/completions", "m1-openrouter", "/openrouter/api/v1/chat/completions", ProviderShapes.OPENROUTER_STREAM),
                Arguments.of("Together tool call", "/v1/chat/completions", "m1-together", "/together/v1/chat/completions", ProviderShapes.TOGETHER_TOOL_CALL_STREAM),
                Arguments.of("MiniMax OpenAI, no [DONE]", "/v1/chat/completions", "m1-minimax-openai", "/minimax/v1/chat/completions", ProviderShapes.MINIMAX_OPENAI_STREAM),
                Arguments.of("multi-byte characters", "/v1/chat/completions", "m1-together", "/together/v1/chat/completions", UNICODE_STREAM),
                Arguments.of("MiniMax Anthropic", "/v1/messages", "m1-minimax", "/minimax/anthropic/v1/messages", ProviderShapes.MINIMAX_MESSAGE_STREAM),
                Arguments.of("MiniMax Anthropic tool use", "/v1/messages", "m1-minimax", "/minimax/anthropic/v1/messages", ProviderShapes.MINIMAX_TOOL_USE_STREAM));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("providerStreams")
    void theClientReceivesExactlyTheBytesTheUpstreamSent(String shape, String endpoint, String alias, String upstreamPath, String stream) {
        byte[] sent = stream.getBytes(StandardCharsets.UTF_8);
        // 23 pieces with pauses: frames and multi-byte characters are cut across separate TCP reads
        wireMock().stubFor(post(upstreamPath).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream; charset=utf-8")
                .withBody(sent).withChunkedDribbleDelay(23, 460)));

        // a client that asks for usage gets every byte, the usage chunk included
        HttpResponse<byte[]> response = new RawHttp(gatewayUrl()).post(endpoint,
                "{\"model\":\"" + alias + "\",\"max_tokens\":64,\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "Authorization", "Bearer " + KEY);

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).contains("text/event-stream; charset=utf-8");
        assertThat(response.body()).isEqualTo(sent);
    }

    @Test
    void aClientThatDidNotAskForUsageNeverSeesTheUsageChunk() {
        wireMock().stubFor(post("/openrouter/api/v1/chat/completions").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(ProviderShapes.OPENROUTER_STREAM)));
        HttpResponse<byte[]> response = new RawHttp(gatewayUrl()).post("/v1/chat/completions",
                "{\"model\":\"m1-openrouter\",\"stream\":true,\"messages\":[]}", "Authorization", "Bearer " + KEY);

        String usageChunk = ProviderShapes.OPENROUTER_STREAM.lines().filter(l -> l.contains("\"choices\":[]")).findFirst().orElseThrow() + "\n\n";
        assertThat(new String(response.body(), StandardCharsets.UTF_8))
                .isEqualTo(ProviderShapes.OPENROUTER_STREAM.replace(usageChunk, ""));
        // the gateway asked for the usage on the client's behalf, to bill the stream
        wireMock().verify(postRequestedFor(urlEqualTo("/openrouter/api/v1/chat/completions"))
                .withRequestBody(matchingJsonPath("$.stream_options.include_usage", equalTo("true"))));
    }

    @Test
    void aLastChunkWithChoicesAndUsageIsNeverWithheld() {
        wireMock().stubFor(post("/aimlapi/v1/chat/completions").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(ProviderShapes.AIMLAPI_STREAM)));
        HttpResponse<byte[]> response = new RawHttp(gatewayUrl()).post("/v1/chat/completions",
                "{\"model\":\"m1-aimlapi\",\"stream\":true,\"messages\":[]}", "Authorization", "Bearer " + KEY);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(ProviderShapes.AIMLAPI_STREAM);
    }

    @Test
    void aPlainAnswerLeavesAsOneResponseInOneWrite() {
        String answer = "{\"id\":\"c\",\"object\":\"chat.completion\",\"choices\":[{\"index\":0,\"message\":"
                + "{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";
        wireMock().stubFor(post("/together/v1/chat/completions").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(answer)));
        HttpResponse<byte[]> response = new RawHttp(gatewayUrl()).post("/v1/chat/completions",
                "{\"model\":\"m1-together\",\"messages\":[]}", "Authorization", "Bearer " + KEY);

        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(answer);
        String id = response.headers().firstValue("x-request-id").orElseThrow();
        // status line, headers and body as one message and one flush: one send to the client, not two
        assertThat(ResponseWrites.of(id)).containsExactly(ResponseWrites.FULL, ResponseWrites.FLUSH);
        JsonNode record = usageRecord(id);
        assertThat(record.get("outcome").asString()).isEqualTo("ok");
        assertThat(record.get("completion_tokens").asLong()).isEqualTo(1);
    }

    private HttpRequest streamRequest(String alias) {
        return new RawHttp(gatewayUrl()).request("/v1/chat/completions")
                .header("Authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + alias + "\",\"stream\":true,\"messages\":[]}"))
                .build();
    }

    /** The scripted upstream spoken to in HTTP/1.1, and the same in HTTP/2 (upstream scripted-h2). */
    static Stream<Arguments> upstreamVersions() {
        return Stream.of(Arguments.of("m1-scripted", "HTTP/1.1"), Arguments.of("m1-scripted-h2", "HTTP/2.0"));
    }

    /**
     * Each chunk is passed on as it comes, whichever HTTP version the upstream speaks, and the usage chunk the
     * gateway asked for is read into the request's record and withheld from a client that did not ask for it.
     */
    @ParameterizedTest(name = "{1}")
    @MethodSource("upstreamVersions")
    void eachChunkReachesTheClientBeforeTheUpstreamSendsTheNext(String alias, String upstreamVersion) throws Exception {
        RawHttp raw = new RawHttp(gatewayUrl());
        CompletableFuture<HttpResponse<InputStream>> pending =
                raw.client().sendAsync(streamRequest(alias), HttpResponse.BodyHandlers.ofInputStream());
        ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
        assertThat(upstream.protocol).isEqualTo(upstreamVersion);
        assertThat(upstream.requestBody.get(10, TimeUnit.SECONDS)).contains("\"model\":\"scripted-model\"");

        String first = "data: {\"n\":1}\n\n";
        upstream.send(first);
        HttpResponse<InputStream> response = pending.get(10, TimeUnit.SECONDS);
        InputStream body = response.body();
        // the upstream holds back everything else until the client has read the first frame
        byte[] received = CompletableFuture.supplyAsync(() -> readN(body, first.length())).get(10, TimeUnit.SECONDS);
        assertThat(new String(received, StandardCharsets.UTF_8)).isEqualTo(first);

        String second = "data: {\"n\":2}\n\n";
        upstream.send(second);
        received = CompletableFuture.supplyAsync(() -> readN(body, second.length())).get(10, TimeUnit.SECONDS);
        assertThat(new String(received, StandardCharsets.UTF_8)).isEqualTo(second);

        upstream.send("data: {\"choices\":[],\"usage\":{\"prompt_tokens\":21,\"completion_tokens\":8,\"total_tokens\":29}}\n\n");
        upstream.send("data: [DONE]\n\n");
        upstream.finish();
        assertThat(new String(body.readAllBytes(), StandardCharsets.UTF_8)).isEqualTo("data: [DONE]\n\n");
        assertThat(response.headers().firstValue("x-switchboard-upstream")).contains(alias.substring("m1-".length()));
        JsonNode record = usageRecord(response.headers().firstValue("x-request-id").orElseThrow());
        assertThat(record.get("prompt_tokens").asLong()).isEqualTo(21);
        assertThat(record.get("completion_tokens").asLong()).isEqualTo(8);
        assertThat(record.get("usage_source").asString()).isEqualTo("upstream");
    }

    /** Over HTTP/2 what the upstream sees closed is the request's stream. */
    @ParameterizedTest(name = "{1}")
    @MethodSource("upstreamVersions")
    void aClientThatLeavesMidStreamClosesTheUpstreamRequest(String alias, String upstreamVersion) throws Exception {
        try (Socket client = openStream(alias)) {
            ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
            assertThat(upstream.protocol).isEqualTo(upstreamVersion);
            upstream.send("data: {\"n\":1}\n\n");
            InputStream in = client.getInputStream();
            String seen = CompletableFuture.supplyAsync(() -> readUntil(in, "{\"n\":1}")).get(10, TimeUnit.SECONDS);
            assertThat(seen).startsWith("HTTP/1.1 200");
            client.close();
            upstream.connectionClosed.get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Events the gateway still holds when the client drops the connection are released, not leaked: the leak
     * guard checks after the class. Repeated, as what is in flight at that moment varies.
     */
    @RepeatedTest(20)
    void eventsInFlightWhenTheClientDropsTheConnectionAreReleased() throws Exception {
        try (Socket client = openStream("m1-scripted")) {
            ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
            upstream.send("data: {\"n\":0}\n\n");
            InputStream in = client.getInputStream();
            CompletableFuture.supplyAsync(() -> readUntil(in, "{\"n\":0}")).get(10, TimeUnit.SECONDS);
            client.setSoLinger(true, 0); // a reset: the gateway's next write fails with events still queued
            client.close();
            for (int i = 1; i <= 300 && !upstream.connectionClosed.isDone(); i++) {
                upstream.offer("data: {\"n\":" + i + ",\"pad\":\"" + "x".repeat(i % 7 * 50) + "\"}\n\n");
            }
            upstream.connectionClosed.get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Repeated: cancelling before the headers once left about 1 exchange in 30 open on a pooled connection; and
     * the client's leaving, seen on its event loop, races the upstream's answer, seen on another.
     */
    @RepeatedTest(100)
    void aClientThatLeavesBeforeTheUpstreamAnsweredClosesTheUpstreamRequest() throws Exception {
        Socket client = openStream("m1-scripted");
        ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
        upstream.requestBody.get(10, TimeUnit.SECONDS);
        client.close();
        upstream.connectionClosed.get(10, TimeUnit.SECONDS);
    }

    @Test
    void aStalledStreamEndsAtTheIdleTimeoutAndNeverLooksComplete() throws Exception {
        RawHttp raw = new RawHttp(gatewayUrl());
        CompletableFuture<HttpResponse<byte[]>> pending =
                raw.client().sendAsync(streamRequest("m1-stalling"), HttpResponse.BodyHandlers.ofByteArray());
        ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
        upstream.send("data: {\"n\":1}\n\n");
        // nothing more: the upstream's idle limit (500 ms) ends the exchange
        upstream.connectionClosed.get(10, TimeUnit.SECONDS);
        String body = new String(pending.get(10, TimeUnit.SECONDS).body(), StandardCharsets.UTF_8);
        assertThat(body).startsWith("data: {\"n\":1}\n\n")
                .as("a cut stream ends with an error event, never like a complete one")
                .endsWith("\n\n").doesNotContain("[DONE]");
        assertThat(lastEvent(body)).startsWith("data: {\"error\":{").contains("\"code\":\"upstream_timeout\"");
    }

    @Test
    void aStreamThatNeverStallsStillEndsAtTheTotalLimit() throws Exception {
        RawHttp raw = new RawHttp(gatewayUrl());
        CompletableFuture<HttpResponse<byte[]>> pending =
                raw.client().sendAsync(streamRequest("m1-trickling"), HttpResponse.BodyHandlers.ofByteArray());
        ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
        // a chunk every 100 ms keeps the 5 s idle limit away; the 1 s total limit must end it (bounded: 100 chunks)
        for (int i = 0; i < 100 && !upstream.connectionClosed.isDone(); i++) {
            upstream.send("data: {\"n\":" + i + "}\n\n");
            Thread.sleep(100);
        }
        assertThat(upstream.connectionClosed).as("the total limit closed the upstream connection").isDone();
        String body = new String(pending.get(10, TimeUnit.SECONDS).body(), StandardCharsets.UTF_8);
        assertThat(lastEvent(body)).startsWith("data: {\"error\":{").contains("took longer than 1s");
    }

    static String lastEvent(String body) {
        String trimmed = body.substring(0, body.length() - 2);
        return trimmed.substring(trimmed.lastIndexOf("\n\n") + 2);
    }

    private Socket openStream(String alias) throws Exception {
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), port);
        socket.setSoTimeout(10_000);
        String body = "{\"model\":\"" + alias + "\",\"stream\":true,\"messages\":[]}";
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    private static byte[] readN(InputStream in, int n) {
        try {
            return in.readNBytes(n);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String readUntil(InputStream in, String marker) {
        StringBuilder seen = new StringBuilder();
        try {
            int b;
            while ((b = in.read()) >= 0) {
                seen.append((char) b);
                if (seen.indexOf(marker) >= 0) return seen.toString();
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        throw new AssertionError("stream ended before " + marker + ": " + seen);
    }
}
