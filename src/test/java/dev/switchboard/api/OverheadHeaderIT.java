package dev.switchboard.api;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.RawHttp;

/**
 * {@code x-switchboard-overhead-ms}: on every answer, the gateway's own time, which leaves out the waits on
 * upstreams. Checked by accounting, not by a clock: the upstreams are made to take at least a known time, the
 * client measures the whole exchange, so the gateway's own part can be at most the difference.
 */
class OverheadHeaderIT extends GatewayIT {
    private static final String ANSWER = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"m\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}";
    private static final int DELAY_MS = 400;
    private RawHttp raw;

    @BeforeEach
    void setUp() {
        raw = new RawHttp(gatewayUrl());
    }

    private record Timed(HttpResponse<byte[]> response, double clientMillis) {
        BigDecimal overhead() {
            String header = response.headers().firstValue("x-switchboard-overhead-ms").orElseThrow();
            assertThat(header).matches("\\d+\\.\\d{3}");
            return new BigDecimal(header);
        }
    }

    private Timed chat(String key, String alias, boolean stream) {
        long start = System.nanoTime();
        HttpResponse<byte[]> r = raw.send(raw.request("/v1/chat/completions").header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"" + alias + "\",\"stream\":" + stream + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}")).build());
        return new Timed(r, (System.nanoTime() - start) / 1e6);
    }

    @Test
    void anAnswerCarriesTheGatewaysOwnTimeWithoutTheUpstreamsWait() {
        wireMock().stubFor(post("/together/v1/chat/completions").willReturn(okJson(ANSWER).withFixedDelay(DELAY_MS)));
        Timed timed = chat(KEY, "m1-cached-openai", false);
        assertThat(timed.response().statusCode()).isEqualTo(200);
        assertThat(timed.overhead().doubleValue()).as("the upstream's %d ms are not the gateway's", DELAY_MS)
                .isLessThanOrEqualTo(timed.clientMillis() - DELAY_MS);
    }

    @Test
    void aFailoverLeavesOutEveryAttemptsWait() {
        wireMock().stubFor(post("/cheap/v1/chat/completions").willReturn(aResponse().withStatus(500).withFixedDelay(DELAY_MS)));
        wireMock().stubFor(post("/mid/v1/chat/completions").willReturn(okJson(ANSWER).withFixedDelay(DELAY_MS)));
        Timed timed = chat(KEY, "failover", false);
        assertThat(timed.response().headers().firstValue("x-switchboard-attempts")).hasValue("2");
        assertThat(timed.overhead().doubleValue()).isLessThanOrEqualTo(timed.clientMillis() - 2 * DELAY_MS);
    }

    @Test
    void aStreamCarriesItWithItsHead() {
        String events = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,"
                + "\"delta\":{\"content\":\"ok\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n";
        wireMock().stubFor(post("/together/v1/chat/completions").willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/event-stream").withBody(events).withFixedDelay(DELAY_MS)));
        Timed timed = chat(KEY, "m1-cached-openai", true);
        assertThat(timed.response().statusCode()).isEqualTo(200);
        assertThat(timed.overhead().doubleValue()).isLessThanOrEqualTo(timed.clientMillis() - DELAY_MS);
    }

    @Test
    void theGatewaysOwnAnswersCarryItToo() {
        Timed refused = chat("sk-not-a-key", "m1-cached-openai", false);
        assertThat(refused.response().statusCode()).isEqualTo(401);
        assertThat(refused.overhead().doubleValue()).isLessThanOrEqualTo(refused.clientMillis());
        HttpResponse<byte[]> models = raw.send(raw.request("/v1/models").header("Authorization", "Bearer " + KEY).GET().build());
        assertThat(models.headers().firstValue("x-switchboard-overhead-ms")).get().asString().matches("\\d+\\.\\d{3}");
    }
}
