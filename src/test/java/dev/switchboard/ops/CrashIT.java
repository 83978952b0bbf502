package dev.switchboard.ops;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.switchboard.support.GatewayProcess;
import dev.switchboard.support.LedgerFiles;
import dev.switchboard.support.ProviderShapes;
import dev.switchboard.support.TestUpstreams;
import dev.switchboard.usage.UsageRecord;
import dev.switchboard.usage.UsageStore;

/**
 * The ledger's promise through a crash: under steady mixed load (plain answers and streams), the gateway is
 * killed with SIGKILL at a random moment, started again on the same data, and every request its client saw
 * answered has exactly one record, and each key's used credits are exactly the sum of its records' (each
 * debited once). Three kills in a row, each at a different moment; the records queued at each kill come
 * back from the memory-mapped record log (without it, this test finds answered requests with no record).
 */
class CrashIT {
    private static final String ROUTES = "src/test/resources/switchboard-shutdown.yaml";
    private static final String PLAIN_ANSWER = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"model\":\"plain-model\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";
    private static final Pattern RECOVERED = Pattern.compile("Recovered (\\d+) usage records");
    private static final int CLIENTS = 8;
    private static final int KILLS = 3;
    /** Answers each round has before its kill: enough load for the kills to land among records in flight. */
    private static final int ANSWERS_A_ROUND = 110;

    private final List<GatewayProcess> gateways = new ArrayList<>();

    @AfterEach
    void close() {
        gateways.forEach(GatewayProcess::close);
    }

    @Test
    void everyAnsweredRequestKeepsItsRecordThroughKillNineDebitedOnce() throws Exception {
        TestUpstreams upstreams = TestUpstreams.get();
        upstreams.wireMock().resetAll();
        upstreams.wireMock().stubFor(post("/plain/v1/chat/completions").withRequestBody(containing("\"stream\":true"))
                .willReturn(aResponse().withHeader("Content-Type", "text/event-stream").withBody(ProviderShapes.OPENROUTER_STREAM)
                        .withChunkedDribbleDelay(3, 6)));
        upstreams.wireMock().stubFor(post("/plain/v1/chat/completions").withRequestBody(containing("\"stream\":false"))
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(PLAIN_ANSWER).withFixedDelay(2)));

        Path data = Path.of("target", "it-data", "crash-" + UUID.randomUUID()).toAbsolutePath();
        Set<String> answered = new HashSet<>();
        int recovered = 0;
        for (int round = 0; round < KILLS; round++) {
            GatewayProcess gateway = GatewayProcess.start(ROUTES, data);
            gateways.add(gateway);
            recovered += recoveredIn(gateway.log());
            Load load = Load.start(gateway);
            // counted in answers rather than seconds, so that a slow machine's rounds carry as much load as a fast
            // one's; then a random moment after that
            load.awaitAnswers(ANSWERS_A_ROUND, Duration.ofSeconds(20));
            Thread.sleep(ThreadLocalRandom.current().nextInt(2_000));
            // the kill comes while the clients are still sending: only answers had before it count
            answered.addAll(load.answeredSoFar());
            gateway.kill();
            load.stop();
        }
        GatewayProcess last = GatewayProcess.start(ROUTES, data);
        gateways.add(last);
        recovered += recoveredIn(last.log());
        last.terminate();
        assertThat(last.waitFor(Duration.ofSeconds(60))).isTrue();

        List<UsageRecord> records = LedgerFiles.all(data.resolve("switchboard.db"));
        Map<String, Long> perRequest = records.stream().collect(Collectors.groupingBy(UsageRecord::requestId, Collectors.counting()));
        assertThat(answered).as("requests answered before the kills").hasSizeGreaterThanOrEqualTo(KILLS * ANSWERS_A_ROUND);
        assertThat(answered.stream().filter(id -> !perRequest.containsKey(id)).toList()).as("answered requests without a record").isEmpty();
        assertThat(perRequest.entrySet().stream().filter(e -> e.getValue() > 1).toList()).as("requests recorded twice").isEmpty();
        long credits = records.stream().filter(r -> r.key().equals("team-a")).mapToLong(UsageRecord::credits).sum();
        assertThat(LedgerFiles.balances(data.resolve("switchboard.db")).get("team-a"))
                .as("team-a's used credits: each record debited once").isEqualTo(new UsageStore.Balance(0, credits));
        // the log gives back every record of its current segments, stored or not: the store skips those it has by id
        assertThat(recovered).as("records the record log gave back after the kills").isPositive();
        System.out.printf("CrashIT: %d kills under load; %d requests answered before them, each with one record; %d records in all; "
                + "%d given back by the record log after the kills%n", KILLS, answered.size(), records.size(), recovered);
    }

    private static int recoveredIn(String log) {
        int n = 0;
        Matcher m = RECOVERED.matcher(log);
        while (m.find()) n += Integer.parseInt(m.group(1));
        return n;
    }

    /** Steady load from {@link #CLIENTS} clients, half of them streaming, until the gateway goes away or it is stopped. */
    private record Load(List<Thread> clients, AtomicBoolean stopped, ConcurrentLinkedQueue<String> answered) {
        static Load start(GatewayProcess gateway) {
            Load load = new Load(new ArrayList<>(), new AtomicBoolean(), new ConcurrentLinkedQueue<>());
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            for (int c = 0; c < CLIENTS; c++) {
                boolean streams = c % 2 == 0;
                load.clients.add(Thread.ofPlatform().daemon().start(() -> load.send(http, gateway, streams)));
            }
            return load;
        }

        private void send(HttpClient http, GatewayProcess gateway, boolean streams) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!stopped.get() && System.nanoTime() < deadline) {
                String id = "crash-" + UUID.randomUUID();
                String body = "{\"model\":\"m1-plain\",\"stream\":" + streams
                        + (streams ? ",\"stream_options\":{\"include_usage\":true}" : "") + ",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
                HttpRequest request = HttpRequest.newBuilder(URI.create(gateway.url() + "/v1/chat/completions"))
                        .timeout(Duration.ofSeconds(10)).header("Authorization", "Bearer sk-team-a").header("x-request-id", id)
                        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build();
                try {
                    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                    // whole: a stream's body read to its end, the terminal chunk included
                    if (response.statusCode() == 200 && (!streams || response.body().contains("[DONE]"))) answered.add(id);
                } catch (Exception e) {
                    return; // the gateway is gone
                }
            }
        }

        /** Waits until the clients have had {@code count} answers, or {@code atMost} has passed. */
        void awaitAnswers(int count, Duration atMost) throws InterruptedException {
            long deadline = System.nanoTime() + atMost.toNanos();
            while (answered.size() < count && System.nanoTime() < deadline) Thread.sleep(50);
        }

        Set<String> answeredSoFar() {
            return new HashSet<>(answered);
        }

        void stop() throws InterruptedException {
            stopped.set(true);
            for (Thread t : clients) t.join(Duration.ofSeconds(15).toMillis());
        }
    }
}
