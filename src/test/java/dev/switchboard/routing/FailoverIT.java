package dev.switchboard.routing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.http.Fault;

import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.RawHttp;
import tools.jackson.databind.JsonNode;

/**
 * Cheapest healthy routing and failover against WireMock targets with faults. Route "failover" has three
 * targets, written dearest first: cheap (0.1/0.5), mid (1/5), dear (3/15).
 */
@ExtendWith(OutputCaptureExtension.class)
class FailoverIT extends GatewayIT {
    private static final String CHEAP = "/cheap/v1/chat/completions";
    private static final String MID = "/mid/v1/chat/completions";
    private static final String DEAR = "/dear/v1/chat/completions";
    private RawHttp raw;

    @BeforeEach
    void raw() {
        raw = new RawHttp(gatewayUrl());
    }

    private static String completion(String who) {
        return "{\"id\":\"" + who + "\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"" + who + "\","
                + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"from " + who + "\"},\"finish_reason\":\"stop\"}],"
                + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}";
    }

    private void healthy(String path, String who) {
        wireMock().stubFor(post(path).willReturn(okJson(completion(who))));
    }

    private HttpResponse<byte[]> chat(String alias) {
        return raw.post("/v1/chat/completions", "{\"model\":\"" + alias + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "Authorization", "Bearer " + KEY);
    }

    private static String header(HttpResponse<?> response, String name) {
        return response.headers().firstValue(name).orElse(null);
    }

    private int calls(String path) {
        return wireMock().findAll(postRequestedFor(urlEqualTo(path))).size();
    }

    private JsonNode adminTarget(String id) {
        HttpResponse<byte[]> response = raw.send(raw.request("/admin/upstreams").header("Authorization", "Bearer it-admin-key").GET().build());
        assertThat(response.statusCode()).isEqualTo(200);
        for (JsonNode t : RawHttp.json(response).get("targets")) {
            if (t.get("id").asString().equals(id)) return t;
        }
        throw new AssertionError("no target " + id + " in the admin view");
    }

    @Test
    void theCheapestHealthyTargetServes() {
        healthy(CHEAP, "cheap");
        healthy(MID, "mid");
        healthy(DEAR, "dear");
        HttpResponse<byte[]> response = chat("failover");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(header(response, "x-switchboard-upstream")).isEqualTo("cheap");
        assertThat(header(response, "x-switchboard-attempts")).isEqualTo("1");
        assertThat(calls(MID) + calls(DEAR)).isZero();
    }

    @Test
    void theEstimateWeighsMaxTokensAgainstAFlatFee() {
        healthy(MID, "mid");
        healthy(DEAR, "dear");
        assertThat(header(chat("flat-fee"), "x-switchboard-upstream")).isEqualTo("mid");
        HttpResponse<byte[]> large = raw.post("/v1/chat/completions",
                "{\"model\":\"flat-fee\",\"max_tokens\":20000,\"messages\":[]}", "Authorization", "Bearer " + KEY);
        assertThat(header(large, "x-switchboard-upstream")).as("20000 output tokens at $1/M cost more than the $0.01 fee").isEqualTo("dear");
    }

    static Stream<Arguments> failures() {
        return Stream.of(
                Arguments.of("connection reset", aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)),
                Arguments.of("empty response", aResponse().withFault(Fault.EMPTY_RESPONSE)),
                Arguments.of("500", aResponse().withStatus(500).withBody("{\"error\":\"boom\"}")),
                Arguments.of("503", aResponse().withStatus(503)),
                Arguments.of("529 overloaded", aResponse().withStatus(529).withBody("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}")),
                Arguments.of("slow first byte", okJson(completion("late")).withFixedDelay(3_000)),
                Arguments.of("MiniMax error under 200", okJson("{\"base_resp\":{\"status_code\":1000,\"status_msg\":\"unknown error\"}}")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("failures")
    void aFailingTargetFailsOverToTheNextCheapest(String fault, ResponseDefinitionBuilder failing) {
        wireMock().stubFor(post(CHEAP).willReturn(failing));
        healthy(MID, "mid");
        HttpResponse<byte[]> response = chat("failover");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).contains("from mid");
        assertThat(header(response, "x-switchboard-upstream")).isEqualTo("mid");
        assertThat(header(response, "x-switchboard-attempts")).isEqualTo("2");
        assertThat(adminTarget("cheap/c").get("last_error").asString()).isNotBlank();
    }

    @Test
    void aClientErrorIsPassedBackAndNotRetried() {
        String body = "{\"error\":{\"message\":\"bad temperature\",\"type\":\"invalid_request_error\",\"param\":\"temperature\",\"code\":null}}";
        wireMock().stubFor(post(CHEAP).willReturn(aResponse().withStatus(400).withHeader("Content-Type", "application/json").withBody(body)));
        healthy(MID, "mid");
        HttpResponse<byte[]> response = chat("failover");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(body);
        assertThat(header(response, "x-switchboard-attempts")).isEqualTo("1");
        assertThat(calls(MID)).isZero();
        assertThat(adminTarget("cheap/c").get("circuit").asString()).isEqualTo("CLOSED");
    }

    @Test
    void aMiniMaxClientErrorUnder200BecomesA400() {
        wireMock().stubFor(post(CHEAP).willReturn(okJson("{\"id\":\"\",\"choices\":null,\"base_resp\":{\"status_code\":2013,\"status_msg\":\"invalid params, tools\"}}")));
        healthy(MID, "mid");
        HttpResponse<byte[]> response = chat("failover");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RawHttp.json(response).get("error").get("message").asString()).contains("2013").contains("invalid params");
        assertThat(calls(MID)).isZero();
    }

    @Test
    void retryAfterIsHonoured() {
        wireMock().stubFor(post(CHEAP).willReturn(aResponse().withStatus(429).withHeader("Retry-After", "2")));
        healthy(MID, "mid");
        assertThat(header(chat("failover"), "x-switchboard-upstream")).isEqualTo("mid");
        JsonNode cheap = adminTarget("cheap/c");
        assertThat(cheap.get("cooldown").asString()).isEqualTo("RATE_LIMITED");
        assertThat(cheap.get("cooldown_until").asString()).isNotBlank();

        // inside the cooldown the cheap target is not even tried
        assertThat(header(chat("failover"), "x-switchboard-attempts")).isEqualTo("1");
        assertThat(calls(CHEAP)).isEqualTo(1);

        healthy(CHEAP, "cheap");
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> "cheap".equals(header(chat("failover"), "x-switchboard-upstream")));
    }

    @Test
    void whenEveryTargetIsRateLimitedTheClientGets429WithTheSoonestRetryAfter() {
        wireMock().stubFor(post("/cheap-anthropic/v1/messages").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "7")));
        wireMock().stubFor(post("/dear-anthropic/v1/messages").willReturn(aResponse().withStatus(429).withHeader("Retry-After", "3")));
        String request = "{\"model\":\"failover-anthropic\",\"max_tokens\":10,\"messages\":[]}";
        HttpResponse<byte[]> first = raw.post("/v1/messages", request, "x-api-key", KEY);
        assertThat(first.statusCode()).isEqualTo(429);
        assertThat(header(first, "retry-after")).isEqualTo("3");
        assertThat(RawHttp.json(first).get("error").get("type").asString()).isEqualTo("rate_limit_error");

        HttpResponse<byte[]> second = raw.post("/v1/messages", request, "x-api-key", KEY);
        assertThat(second.statusCode()).isEqualTo(429);
        assertThat(Integer.parseInt(header(second, "retry-after"))).isBetween(1, 3);
        assertThat(calls("/cheap-anthropic/v1/messages") + calls("/dear-anthropic/v1/messages")).as("no upstream called in cooldown").isEqualTo(2);
    }

    @Test
    void refusedCredentialsTakeTheTargetOutAndAreLoggedOnce(CapturedOutput output) {
        wireMock().stubFor(post(CHEAP).willReturn(aResponse().withStatus(401)
                .withBody("{\"error\":{\"message\":\"Incorrect API key provided: che***ret\"}}")));
        healthy(MID, "mid");
        assertThat(header(chat("failover"), "x-switchboard-upstream")).isEqualTo("mid");
        assertThat(header(chat("failover"), "x-switchboard-attempts")).isEqualTo("1");
        assertThat(calls(CHEAP)).isEqualTo(1);
        assertThat(adminTarget("cheap/c").get("cooldown").asString()).isEqualTo("CREDENTIALS_REFUSED");
        String log = output.getAll();
        assertThat(log.split("refused the gateway's credentials", -1)).as("one ERROR line").hasSize(2);
        assertThat(log).doesNotContain("che***ret");
    }

    @Test
    void aFailingTargetIsSkippedUntilItsBreakerLetsAProbeThroughThenComesBack() {
        wireMock().stubFor(post(CHEAP).willReturn(aResponse().withStatus(500)));
        healthy(MID, "mid");
        // window 4, at least 2 calls, 50%: two failures open the circuit
        chat("failover");
        chat("failover");
        assertThat(adminTarget("cheap/c").get("circuit").asString()).isEqualTo("OPEN");
        HttpResponse<byte[]> skipped = chat("failover");
        assertThat(header(skipped, "x-switchboard-upstream")).isEqualTo("mid");
        assertThat(header(skipped, "x-switchboard-attempts")).isEqualTo("1");
        assertThat(calls(CHEAP)).isEqualTo(2);

        healthy(CHEAP, "cheap");
        await().atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> adminTarget("cheap/c").get("circuit").asString().equals("HALF_OPEN"));
        assertThat(header(chat("failover"), "x-switchboard-upstream")).isEqualTo("cheap");
        assertThat(adminTarget("cheap/c").get("circuit").asString()).isEqualTo("CLOSED");
        assertThat(header(chat("failover"), "x-switchboard-upstream")).isEqualTo("cheap");
    }

    @Test
    void maxAttemptsBoundsTheFailover() {
        wireMock().stubFor(post(CHEAP).willReturn(aResponse().withStatus(503)));
        wireMock().stubFor(post(MID).willReturn(aResponse().withStatus(503)));
        healthy(DEAR, "dear");
        HttpResponse<byte[]> response = chat("failover-two-attempts");
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(header(response, "x-switchboard-attempts")).isEqualTo("2");
        assertThat(RawHttp.json(response).get("error").get("message").asString()).contains("All 2 attempts failed")
                .contains("cheap/c: HTTP 503").contains("mid/m: HTTP 503");
        assertThat(calls(DEAR)).isZero();

        assertThat(header(chat("failover"), "x-switchboard-upstream")).as("three attempts reach dear").isEqualTo("dear");
    }

    @Test
    void whenEveryCircuitIsOpenOneProbeIsTriedThen503() {
        wireMock().stubFor(post("/cheap-anthropic/v1/messages").willReturn(aResponse().withStatus(500)));
        wireMock().stubFor(post("/dear-anthropic/v1/messages").willReturn(aResponse().withStatus(500)));
        String request = "{\"model\":\"failover-anthropic\",\"max_tokens\":10,\"messages\":[]}";
        for (int i = 0; i < 2; i++) {
            assertThat(raw.post("/v1/messages", request, "x-api-key", KEY).statusCode()).isEqualTo(502);
        }
        int before = calls("/cheap-anthropic/v1/messages") + calls("/dear-anthropic/v1/messages");
        HttpResponse<byte[]> probed = raw.post("/v1/messages", request, "x-api-key", KEY);
        assertThat(probed.statusCode()).isEqualTo(503);
        assertThat(RawHttp.json(probed).get("error").get("message").asString()).contains("probe failed");
        assertThat(calls("/cheap-anthropic/v1/messages") + calls("/dear-anthropic/v1/messages") - before)
                .as("exactly one probe").isEqualTo(1);
    }

    @Test
    void metricsCountRequestsAttemptsFailoversAndCircuitState() {
        wireMock().stubFor(post(CHEAP).willReturn(aResponse().withStatus(503)));
        healthy(MID, "mid");
        chat("failover");
        String metrics = new String(raw.send(raw.request("/actuator/prometheus").GET().build()).body(), StandardCharsets.UTF_8);
        assertThat(metrics)
                .containsPattern("switchboard_requests_seconds_count\\{alias=\"failover\",outcome=\"ok\",status=\"200\",upstream=\"mid\"}")
                .containsPattern("switchboard_attempts_total\\{alias=\"failover\",outcome=\"failed\",upstream=\"cheap\"}")
                .containsPattern("switchboard_failovers_total\\{alias=\"failover\",upstream=\"cheap\"}")
                .containsPattern("switchboard_upstream_first_byte_seconds_count\\{alias=\"failover\",upstream=\"mid\"}")
                .containsPattern("resilience4j_circuitbreaker_state\\{[^}]*name=\"cheap/c\"");
    }

    @Test
    void theAdminViewNeedsTheAdminKey() {
        assertThat(raw.send(raw.request("/admin/upstreams").GET().build()).statusCode()).isEqualTo(401);
        assertThat(raw.send(raw.request("/admin/upstreams").header("Authorization", "Bearer " + KEY).GET().build()).statusCode())
                .isEqualTo(401);
        healthy(CHEAP, "cheap");
        chat("failover");
        JsonNode cheap = adminTarget("cheap/c");
        assertThat(cheap.get("routes").get(0).asString()).isEqualTo("failover");
        assertThat(cheap.get("latency_ms").asDouble()).isPositive();
        assertThat(cheap.get("circuit").asString()).isEqualTo("CLOSED");
    }
}
