package dev.switchboard.limits;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.RawHttp;
import dev.switchboard.support.ScriptedUpstream;
import dev.switchboard.support.TestUpstreams;
import tools.jackson.databind.JsonNode;

/**
 * Keys with rate limits (switchboard-it.yaml): a request past a limit gets 429 in its client's own envelope,
 * with Retry-After when waiting helps, and nothing goes upstream; every answer of a limited key carries
 * OpenAI's x-ratelimit headers.
 */
class RateLimitsIT extends GatewayIT {
    private static final String ANSWER = """
            {"id":"c","object":"chat.completion","created":1,"model":"cached-model",
             "choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":10,"completion_tokens":3,"total_tokens":13}}""";
    private static final String PATH = "/together/v1/chat/completions";
    private RawHttp raw;

    @BeforeEach
    void setUp() {
        raw = new RawHttp(gatewayUrl());
        wireMock().stubFor(post(PATH).willReturn(okJson(ANSWER)));
    }

    private HttpResponse<byte[]> chat(String key, String extra) {
        return raw.post("/v1/chat/completions", "{\"model\":\"m1-cached-openai\"" + extra + ",\"messages\":[]}", "Authorization", "Bearer " + key);
    }

    private int upstreamCalls() {
        return wireMock().findAll(postRequestedFor(urlEqualTo(PATH))).size();
    }

    @Test
    void requestsPastAKeysRequestsAMinuteAreRefusedInEachClientsEnvelopeAndNeverSent() {
        HttpResponse<byte[]> first = chat("sk-limited-rpm", "");
        assertThat(first.statusCode()).isEqualTo(200);
        assertThat(first.headers().firstValue("x-ratelimit-limit-requests")).hasValue("2");
        assertThat(first.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("1");
        assertThat(first.headers().firstValue("x-ratelimit-reset-requests")).hasValue("30s");
        assertThat(first.headers().firstValue("x-ratelimit-limit-tokens")).as("no token limit, no token headers").isEmpty();
        assertThat(chat("sk-limited-rpm", "").headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
        int calls = upstreamCalls();

        HttpResponse<byte[]> openAi = chat("sk-limited-rpm", "");
        assertThat(openAi.statusCode()).isEqualTo(429);
        assertThat(openAi.headers().firstValue("retry-after")).hasValueSatisfying(s -> assertThat(Long.parseLong(s)).isBetween(1L, 30L));
        assertThat(openAi.headers().firstValue("x-ratelimit-remaining-requests")).hasValue("0");
        JsonNode error = RawHttp.json(openAi).get("error");
        assertThat(error.get("type").asString()).isEqualTo("rate_limit_error");
        assertThat(error.get("code").asString()).isEqualTo("rate_limit_exceeded");
        assertThat(error.get("message").asString()).contains("'limited-rpm'").contains("2 requests a minute");

        HttpResponse<byte[]> anthropic = raw.post("/v1/messages", "{\"model\":\"m1-cached-openai\",\"max_tokens\":5,\"messages\":[]}",
                "x-api-key", "sk-limited-rpm");
        assertThat(anthropic.statusCode()).isEqualTo(429);
        assertThat(RawHttp.json(anthropic).get("type").asString()).isEqualTo("error");
        assertThat(RawHttp.json(anthropic).get("error").get("type").asString()).isEqualTo("rate_limit_error");

        HttpResponse<byte[]> responses = raw.post("/v1/responses", "{\"model\":\"m1-cached-openai\",\"input\":\"hi\"}",
                "Authorization", "Bearer sk-limited-rpm");
        assertThat(responses.statusCode()).isEqualTo(429);
        assertThat(RawHttp.json(responses).get("error").get("code").asString()).isEqualTo("rate_limit_exceeded");
        assertThat(upstreamCalls()).as("nothing sent upstream once refused").isEqualTo(calls);
    }

    @Test
    void aKeysRequestsInFlightAreCappedAndItsPlaceIsFreedWhenItsStreamEnds() throws Exception {
        ScriptedUpstream scripted = TestUpstreams.get().scripted();
        CompletableFuture<HttpResponse<InputStream>> held = raw.client().sendAsync(raw.request("/v1/chat/completions")
                .header("Authorization", "Bearer sk-limited-concurrent")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m1-scripted\",\"stream\":true,\"messages\":[]}")).build(),
                HttpResponse.BodyHandlers.ofInputStream());
        ScriptedUpstream.Exchange upstream = scripted.nextExchange();
        upstream.send("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"still going\"}}]}\n\n");
        held.get(10, TimeUnit.SECONDS);

        HttpResponse<byte[]> second = chat("sk-limited-concurrent", "");
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(RawHttp.json(second).get("error").get("message").asString()).contains("1 requests in flight");

        upstream.send("data: [DONE]\n\n");
        upstream.finish();
        try (InputStream body = held.get(10, TimeUnit.SECONDS).body()) {
            body.readAllBytes();
        }
        // the stream's end frees its place as its record is made: shortly after the client has the end
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> chat("sk-limited-concurrent", "").statusCode() == 200);
    }

    @Test
    void aKeysTokensAMinuteTakeWhatARequestAllowsAndRefuseOneLargerThanTheMinute() {
        HttpResponse<byte[]> small = chat("sk-limited-tokens", ",\"max_tokens\":100");
        assertThat(small.statusCode()).isEqualTo(200);
        assertThat(small.headers().firstValue("x-ratelimit-limit-tokens")).hasValue("1000");
        assertThat(Long.parseLong(small.headers().firstValue("x-ratelimit-remaining-tokens").orElseThrow())).isLessThanOrEqualTo(900);

        HttpResponse<byte[]> huge = chat("sk-limited-tokens", ",\"max_tokens\":5000");
        assertThat(huge.statusCode()).isEqualTo(429);
        assertThat(huge.headers().firstValue("retry-after")).as("waiting would not help").isEmpty();
        assertThat(RawHttp.json(huge).get("error").get("message").asString()).contains("more than key 'limited-tokens' may use in a minute");
    }

    @Test
    void aKeyRestrictedToSomeAliasesIsRefusedTheOthersInItsEnvelopeAndNothingGoesUpstream() {
        assertThat(chat("sk-narrow", "").statusCode()).isEqualTo(200);
        int calls = upstreamCalls();
        HttpResponse<byte[]> openAi = raw.post("/v1/chat/completions", "{\"model\":\"m1-together\",\"messages\":[]}",
                "Authorization", "Bearer sk-narrow");
        assertThat(openAi.statusCode()).isEqualTo(403);
        JsonNode error = RawHttp.json(openAi).get("error");
        assertThat(error.get("code").asString()).isEqualTo("permission_denied");
        assertThat(error.get("param").asString()).isEqualTo("model");
        assertThat(error.get("message").asString()).contains("Key 'narrow' may not use model 'm1-together'");
        HttpResponse<byte[]> anthropic = raw.post("/v1/messages", "{\"model\":\"m1-together\",\"max_tokens\":5,\"messages\":[]}",
                "x-api-key", "sk-narrow");
        assertThat(anthropic.statusCode()).isEqualTo(403);
        assertThat(RawHttp.json(anthropic).get("error").get("type").asString()).isEqualTo("permission_error");
        assertThat(upstreamCalls()).isEqualTo(calls);
        // a pattern lets in every alias it matches; an unknown name is still routing's 404
        assertThat(raw.post("/v1/chat/completions", "{\"model\":\"no-such-model\",\"messages\":[]}", "Authorization", "Bearer sk-narrow")
                .statusCode()).isEqualTo(404);
    }
}
