package dev.switchboard.usage;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.RawHttp;
import tools.jackson.databind.JsonNode;

/** Keys with a credit budget: refused with 402 once it is used, before any upstream is called; grants reopen them. */
class BudgetIT extends GatewayIT {
    /** 1000 prompt (600 cached, 100 cache-write), 300 completion at m1-cached-openai's prices: 1088 credits a request. */
    private static final String ANSWER = """
            {"id":"c","object":"chat.completion","created":1,"model":"cached-model",
             "choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":1000,"completion_tokens":300,"total_tokens":1300,
                      "prompt_tokens_details":{"cached_tokens":600,"cache_write_tokens":100}}}""";
    private static final String PATH = "/together/v1/chat/completions";
    private RawHttp raw;

    @BeforeEach
    void setUp() {
        raw = new RawHttp(gatewayUrl());
        wireMock().stubFor(post(PATH).willReturn(okJson(ANSWER)));
    }

    private HttpResponse<byte[]> chat(String key) {
        return raw.post("/v1/chat/completions", "{\"model\":\"m1-cached-openai\",\"messages\":[]}", "Authorization", "Bearer " + key);
    }

    private JsonNode keyStatus(String name) {
        HttpResponse<byte[]> r = raw.send(raw.request("/admin/keys").header("Authorization", "Bearer it-admin-key").GET().build());
        for (JsonNode k : RawHttp.json(r).get("keys")) {
            if (k.get("name").asString().equals(name)) return k;
        }
        throw new AssertionError("no key " + name);
    }

    @Test
    void aSpentKeyIsRefusedBeforeAnyUpstreamCallUntilGrantedMore() {
        assertThat(chat("sk-small-budget").statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> chat("sk-small-budget").statusCode() == 402);
        int calls = wireMock().findAll(postRequestedFor(urlEqualTo(PATH))).size();

        HttpResponse<byte[]> refused = chat("sk-small-budget");
        assertThat(refused.statusCode()).isEqualTo(402);
        assertThat(RawHttp.json(refused).get("error").get("code").asString()).isEqualTo("insufficient_quota");
        HttpResponse<byte[]> anthropic = raw.post("/v1/messages", "{\"model\":\"m1-minimax\",\"max_tokens\":5,\"messages\":[]}",
                "x-api-key", "sk-small-budget");
        assertThat(anthropic.statusCode()).isEqualTo(402);
        assertThat(RawHttp.json(anthropic).get("error").get("type").asString()).isEqualTo("billing_error");
        assertThat(wireMock().findAll(postRequestedFor(urlEqualTo(PATH)))).as("no upstream call once refused").hasSize(calls);

        JsonNode status = keyStatus("small-budget");
        assertThat(status.get("budget").asLong()).isEqualTo(600);
        assertThat(status.get("used").asLong()).isEqualTo(1088);
        assertThat(status.get("remaining").asLong()).isZero();

        HttpResponse<byte[]> granted = raw.send(raw.request("/admin/keys/small-budget/credits")
                .header("Authorization", "Bearer it-admin-key")
                .POST(HttpRequest.BodyPublishers.ofString("{\"add\": 2000}")).build());
        assertThat(granted.statusCode()).isEqualTo(200);
        assertThat(keyStatus("small-budget").get("remaining").asLong()).isEqualTo(2600 - 1088);
        assertThat(chat("sk-small-budget").statusCode()).isEqualTo(200);

        assertThat(raw.send(raw.request("/admin/keys/nobody/credits").header("Authorization", "Bearer it-admin-key")
                .POST(HttpRequest.BodyPublishers.ofString("{\"add\": 1}")).build()).statusCode()).isEqualTo(404);
        assertThat(raw.send(raw.request("/admin/keys/small-budget/credits").header("Authorization", "Bearer it-admin-key")
                .POST(HttpRequest.BodyPublishers.ofString("{\"add\": -5}")).build()).statusCode()).isEqualTo(400);
    }

    @Test
    void aGrantTooLargeToAddIsA400NamingTheFieldNotA500() {
        for (String add : new String[] {"9223372036854775807", "99999999999999999999999", "1.5", "\"10\""}) {
            HttpResponse<byte[]> refused = raw.send(raw.request("/admin/keys/burst-budget/credits")
                    .header("Authorization", "Bearer it-admin-key")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"add\": " + add + "}")).build());
            assertThat(refused.statusCode()).as("add: %s", add).isEqualTo(400);
            String message = RawHttp.json(refused).get("error").get("message").asString();
            assertThat(message).startsWith("add:").doesNotContain("Exception");
        }
        assertThat(keyStatus("burst-budget").get("budget").asLong()).as("nothing was added").isEqualTo(5000);
    }

    @Test
    void underConcurrentRequestsEveryDebitCountsAndTheKeyEndsRefused() throws Exception {
        int burst = 16;
        List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
            responses.add(raw.client().sendAsync(raw.request("/v1/chat/completions").header("Authorization", "Bearer sk-burst-budget")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m1-cached-openai\",\"messages\":[]}")).build(),
                    HttpResponse.BodyHandlers.ofByteArray()));
        }
        long served = 0;
        for (CompletableFuture<HttpResponse<byte[]>> r : responses) {
            int status = r.get(20, TimeUnit.SECONDS).statusCode();
            assertThat(status).isIn(200, 402);
            if (status == 200) served++;
        }
        long expectedUsed = served * 1088;
        // each reserves its worst case at admission (526 credits: its prompt's size and the route's expected answer)
        // and costs 1088: the first nine fit in 5000, and later ones only while spend and holds leave room
        assertThat(served).isBetween(5L, 9L);
        await().atMost(Duration.ofSeconds(10)).until(() -> keyStatus("burst-budget").get("used").asLong() == expectedUsed);
        assertThat(chat("sk-burst-budget").statusCode()).isEqualTo(402);
        assertThat(keyStatus("burst-budget").get("remaining").asLong()).isZero();
    }
}
