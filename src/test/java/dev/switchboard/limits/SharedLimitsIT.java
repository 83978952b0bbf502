package dev.switchboard.limits;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.switchboard.support.GatewayProcess;
import dev.switchboard.support.RawHttp;
import dev.switchboard.support.TcpProxy;
import dev.switchboard.support.TestUpstreams;
import dev.switchboard.support.LocalRedis;

/**
 * Two gateway replicas sharing their keys' rate limits through this machine's Redis (reached through a TCP
 * proxy the test controls): a key's requests a minute hold across both together, and Redis going away
 * mid-run fails no request (each replica limits alone meanwhile) and is used again once it is back.
 */
class SharedLimitsIT {
    private static final String ROUTES = "src/test/resources/switchboard-replicas.yaml";
    private static final String ANSWER = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"plain-model\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";
    private final List<GatewayProcess> replicas = new ArrayList<>();
    private TcpProxy redis;

    @AfterEach
    void stop() throws Exception {
        replicas.forEach(GatewayProcess::close);
        if (redis != null) redis.close();
    }

    private void start() throws Exception {
        LocalRedis.assumeAvailable();
        redis = new TcpProxy("127.0.0.1", 6379).start();
        TestUpstreams.get().wireMock().stubFor(post("/replicas/v1/chat/completions")
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(ANSWER)));
        String prefix = "--switchboard.redis.prefix=it-" + UUID.randomUUID() + ":";
        for (int i = 0; i < 2; i++) {
            replicas.add(GatewayProcess.start(ROUTES, "--switchboard.redis.url=redis://127.0.0.1:" + redis.port(), prefix));
        }
    }

    private static int chat(GatewayProcess replica, String key) {
        HttpResponse<byte[]> r = replica.http().post("/v1/chat/completions", "{\"model\":\"m1-plain\",\"messages\":[]}",
                "Authorization", "Bearer " + key);
        return r.statusCode();
    }

    @Test
    void aKeysRequestsAMinuteHoldAcrossBothReplicas() throws Exception {
        start();
        long started = System.nanoTime();
        int admitted = 0, refused = 0;
        for (int i = 0; i < 30; i++) {
            int status = chat(replicas.get(i % 2), "sk-shared-rpm");
            if (status == 200) admitted++;
            else if (status == 429) refused++;
            else throw new AssertionError("status " + status);
        }
        // 10 a minute, refilled smoothly: one more for each 6 s the run took
        long refilled = (System.nanoTime() - started) / Duration.ofSeconds(6).toNanos();
        assertThat(admitted).as("admitted across both replicas").isBetween(10, 10 + (int) refilled);
        assertThat(admitted + refused).isEqualTo(30);
    }

    @Test
    void redisGoingAwayMidRunFailsNoRequestAndIsUsedAgainOnceBack() throws Exception {
        start();
        for (int i = 0; i < 10; i++) assertThat(chat(replicas.get(i % 2), "sk-shared-wide")).isEqualTo(200);
        redis.blackHole();
        for (int i = 0; i < 20; i++) assertThat(chat(replicas.get(i % 2), "sk-shared-wide")).as("request %d, Redis away", i).isEqualTo(200);
        assertThat(replicas.getFirst().log()).contains("Redis does not answer");
        redis.restore();
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500)).untilAsserted(() -> {
            assertThat(chat(replicas.get(0), "sk-shared-wide")).isEqualTo(200);
            assertThat(chat(replicas.get(1), "sk-shared-wide")).isEqualTo(200);
            assertThat(replicas.get(0).log()).contains("Redis answers again");
            assertThat(replicas.get(1).log()).contains("Redis answers again");
        });
    }
}
