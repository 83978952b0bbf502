package dev.switchboard.api;

import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.github.tomakehurst.wiremock.WireMockServer;

import dev.switchboard.config.ConfigLoader;
import dev.switchboard.config.RouteTable;
import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.usage.Outcome;
import dev.switchboard.usage.UsageRecord;
import dev.switchboard.usage.UsageSource;
import reactor.netty.DisposableServer;

/**
 * The benchmark's features' floor does the work it is measured for: the paired rounds compare Switchboard with
 * it on the premise that it routes, rewrites, authenticates upstream and records as the gateway does. Its record
 * is the gateway's, from the answer's own usage and the route's price.
 */
class FeatureFloorTest {
    private static final String ANSWER = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"up-model\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":250,\"completion_tokens\":12,\"total_tokens\":262}}";

    private WireMockServer upstream;
    private DisposableServer floor;
    private final CompletableFuture<UsageRecord> recorded = new CompletableFuture<>();

    @BeforeEach
    void start() {
        upstream = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort());
        upstream.start();
        RouteTable table = new ConfigLoader(name -> null).parse("test", """
                upstreams:
                  up:
                    protocol: openai
                    base-url: http://127.0.0.1:%d/v1
                    api-key: upstream-key
                routes:
                  bench:
                    targets:
                      - {upstream: up, model: up-model, price: {input: 0.40, output: 2.20}}
                keys:
                  - name: team-a
                    key: client-key
                """.formatted(upstream.port()));
        floor = FeatureFloor.start(0, table, recorded::complete);
    }

    @AfterEach
    void stop() {
        floor.disposeNow(Duration.ofSeconds(5));
        upstream.stop();
    }

    @Test
    void aChatCompletionGoesToTheTargetsModelWithItsKeyAndIsRecordedFromItsUsage() throws Exception {
        upstream.stubFor(post("/v1/chat/completions").willReturn(okJson(ANSWER)));
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + floor.port() + "/v1/chat/completions"))
                .header("Authorization", "Bearer client-key").header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"bench\",\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body()).isEqualTo(ANSWER);
        String requestId = answer.headers().firstValue("x-request-id").orElseThrow();
        upstream.verify(postRequestedFor(urlEqualTo("/v1/chat/completions"))
                .withHeader("Authorization", equalTo("Bearer upstream-key"))
                .withHeader("x-request-id", equalTo(requestId))
                .withRequestBody(matchingJsonPath("$.model", equalTo("up-model"))));

        UsageRecord record = recorded.get(10, TimeUnit.SECONDS);
        assertThat(record.requestId()).isEqualTo(requestId);
        assertThat(record.key()).isEqualTo("team-a");
        assertThat(record.endpoint()).isEqualTo(ApiEndpoint.CHAT_COMPLETIONS);
        assertThat(record.alias()).isEqualTo("bench");
        assertThat(record.upstream()).isEqualTo("up");
        assertThat(record.upstreamModel()).isEqualTo("up-model");
        assertThat(record.status()).isEqualTo(200);
        assertThat(record.outcome()).isEqualTo(Outcome.OK);
        assertThat(record.promptTokens()).isEqualTo(250);
        assertThat(record.completionTokens()).isEqualTo(12);
        assertThat(record.usageSource()).isEqualTo(UsageSource.UPSTREAM);
        // 250 × $0.40 and 12 × $2.20 a million tokens; a million credits a dollar, rounded up
        assertThat(record.costUsd()).isEqualByComparingTo(new BigDecimal("0.0001264"));
        assertThat(record.credits()).isEqualTo(127);
    }
}
