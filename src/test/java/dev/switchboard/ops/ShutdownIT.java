package dev.switchboard.ops;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.switchboard.support.GatewayProcess;
import dev.switchboard.support.KeepAliveClient;
import dev.switchboard.support.ScriptedUpstream;
import dev.switchboard.support.StreamDuringStop;
import dev.switchboard.support.TestUpstreams;
import dev.switchboard.usage.UsageRecord;
import dev.switchboard.support.LedgerFiles;
import dev.switchboard.usage.Outcome;

/**
 * The packaged gateway as a real process, stopped with SIGTERM: in the middle of a stream, the stream
 * finishes and keeps its usage record; under keep-alive load, every request the gateway took is answered,
 * no new connection is taken, and each request's record says what really happened. The process exits 0.
 */
class ShutdownIT {
    private static final String PLAIN_ANSWER = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"plain-model\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";
    private GatewayProcess gateway;

    @AfterEach
    void kill() {
        if (gateway != null) gateway.close();
    }

    @Test
    void sigtermLetsTheStreamFinishKeepsItsRecordAndExitsZero() throws Exception {
        ScriptedUpstream scripted = TestUpstreams.get().scripted();
        scripted.clear();
        gateway = GatewayProcess.start("src/test/resources/switchboard-shutdown.yaml", "--spring.lifecycle.timeout-per-shutdown-phase=20s");

        String requestId = "shutdown-" + UUID.randomUUID();
        String received = StreamDuringStop.run(gateway.http(), scripted, requestId, gateway::terminate);
        assertThat(received).isEqualTo(StreamDuringStop.FIRST + StreamDuringStop.REST);
        assertThat(gateway.waitFor(Duration.ofSeconds(60))).as("the process ended").isTrue();
        assertThat(gateway.process().exitValue()).isZero();
        // a store call failing on the way down (a pooled connection closed under the writer, say) logs a warning
        // and sends the record to the journal: the record below would be missing, and this says why
        assertThat(gateway.log().lines()).as("lines logged at WARN or ERROR")
                .noneMatch(line -> line.matches("^\\S+ +(WARN|ERROR) .*"));

        List<UsageRecord> kept = LedgerFiles.byRequestId(gateway.ledgerFile(), requestId);
        assertThat(kept).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.OK);
            assertThat(r.promptTokens()).isEqualTo(4);
            assertThat(r.completionTokens()).isEqualTo(2);
            assertThat(r.credits()).isEqualTo(8);
        });
    }

    @Test
    void aStreamStillOpenWhenTheGracePeriodEndsIsCutAndRecordedAsSuch() throws Exception {
        ScriptedUpstream scripted = TestUpstreams.get().scripted();
        scripted.clear();
        gateway = GatewayProcess.start("src/test/resources/switchboard-shutdown.yaml", "--spring.lifecycle.timeout-per-shutdown-phase=2s");
        String requestId = "cut-" + UUID.randomUUID();
        var stream = gateway.http().client().sendAsync(gateway.http().request("/v1/chat/completions")
                        .header("Authorization", "Bearer sk-team-a").header("x-request-id", requestId)
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\":\"m1-scripted\",\"stream\":true,\"messages\":[]}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofLines());
        ScriptedUpstream.Exchange upstream = scripted.nextExchange();
        upstream.send(StreamDuringStop.FIRST);
        assertThat(stream.get(10, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);

        gateway.terminate(); // the upstream never ends the stream
        assertThat(gateway.waitFor(Duration.ofSeconds(60))).as("the process ended").isTrue();
        assertThat(gateway.process().exitValue()).isZero();
        upstream.connectionClosed.get(10, java.util.concurrent.TimeUnit.SECONDS); // and the upstream was let go
        List<UsageRecord> kept = LedgerFiles.byRequestId(gateway.ledgerFile(), requestId);
        assertThat(kept).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo(Outcome.GATEWAY_STOPPED));
    }

    @Test
    void sigtermUnderKeepAliveLoadAnswersEveryRequestTakenAndRecordsEachAsItWent() throws Exception {
        TestUpstreams.get().wireMock().stubFor(post("/plain/v1/chat/completions").willReturn(aResponse()
                .withHeader("Content-Type", "application/json").withBody(PLAIN_ANSWER).withFixedDelay(20)));
        gateway = GatewayProcess.start("src/test/resources/switchboard-shutdown.yaml", "--spring.lifecycle.timeout-per-shutdown-phase=20s");
        String body = "{\"model\":\"m1-plain\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
        String request = "POST /v1/chat/completions HTTP/1.1\r\nHost: gateway\r\nAuthorization: Bearer sk-team-a\r\nx-request-id: {id}\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body;

        AtomicBoolean stop = new AtomicBoolean();
        List<KeepAliveClient> clients = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            KeepAliveClient client = new KeepAliveClient(gateway.port(), request, stop);
            clients.add(client);
            Thread t = new Thread(client, "keep-alive-client-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
        await().atMost(Duration.ofSeconds(30)).until(() -> clients.stream().allMatch(c -> c.outcomes().size() >= 20));

        gateway.terminate();
        // the clients go on until the gateway refuses them; bounded in time whatever happens
        await().atMost(Duration.ofSeconds(30)).until(() -> clients.stream().allMatch(KeepAliveClient::refused));
        stop.set(true);
        for (Thread t : threads) t.join(Duration.ofSeconds(40).toMillis());
        assertThat(gateway.waitFor(Duration.ofSeconds(60))).as("the process ended").isTrue();
        assertThat(gateway.process().exitValue()).isZero();

        List<KeepAliveClient.Outcome> outcomes = clients.stream().flatMap(c -> c.outcomes().stream()).toList();
        assertThat(outcomes.stream().filter(KeepAliveClient.Outcome::lost).toList()).as("requests sent and never answered").isEmpty();
        assertThat(outcomes).allSatisfy(o -> assertThat(o.status()).as(o.requestId()).isEqualTo(200));

        Map<String, Long> recorded = LedgerFiles.all(gateway.ledgerFile()).stream().filter(r -> r.requestId().startsWith("keepalive-"))
                .collect(Collectors.groupingBy(r -> r.outcome().wireName(), Collectors.counting()));
        assertThat(recorded).as("records of the keep-alive requests, by outcome").containsExactly(Map.entry(Outcome.OK.wireName(), (long) outcomes.size()));
    }
}
