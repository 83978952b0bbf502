package dev.switchboard.support;

import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;

import com.github.tomakehurst.wiremock.WireMockServer;

import dev.switchboard.health.HealthRegistry;
import tools.jackson.databind.JsonNode;

/**
 * What every integration test of the running gateway shares: the fake upstreams, this JVM's own ledger
 * database, the client keys, and a clean slate (stubs, health) before each test. A concrete base registers
 * the properties with {@link #properties} and its own routes file; see {@link GatewayIT}.
 */
public abstract class GatewayTestBase {
    /** Client keys of switchboard-it.yaml: team-a by raw key, team-b by its SHA-256. */
    public static final String KEY = "sk-team-a";
    public static final String KEY_B = "sk-team-b";

    protected static final TestUpstreams UPSTREAMS = TestUpstreams.get();

    /** This test JVM's own ledger database and journal, under target/. */
    protected static final Path DATA = Path.of("target", "it-data", UUID.randomUUID().toString()).toAbsolutePath();

    @LocalServerPort
    protected int port;

    @Autowired
    protected HealthRegistry health;

    protected static void properties(DynamicPropertyRegistry registry, Path routesFile) {
        registry.add("switchboard.config", routesFile::toString);
        registry.add("switchboard.ledger.file", () -> DATA.resolve("switchboard.db").toString());
        // each context its own: a cached context keeps its ledger, and with it the record log's lock, open
        registry.add("switchboard.usage.record-log", () -> DATA.resolve("usage-log-" + UUID.randomUUID()).toString());
        registry.add("switchboard.usage.journal", () -> DATA.resolve("usage-journal.jsonl").toString());
        registry.add("switchboard.max-body-size", () -> "64KB");
        registry.add("it.wiremock", UPSTREAMS::wireMockUrl);
        registry.add("it.scripted", UPSTREAMS.scripted()::url);
        registry.add("it.closed-port", UPSTREAMS::closedPort);
        registry.add("server.address", () -> "127.0.0.1");
    }

    @BeforeEach
    void resetUpstreams() {
        UPSTREAMS.wireMock().resetAll();
        UPSTREAMS.scripted().clear();
        health.reset();
    }

    protected WireMockServer wireMock() {
        return UPSTREAMS.wireMock();
    }

    protected String gatewayUrl() {
        return "http://127.0.0.1:" + port;
    }

    /** The stored usage record of a request, as the admin API shows it, waiting for the ledger's writer. */
    protected JsonNode usageRecord(String requestId) {
        RawHttp raw = new RawHttp(gatewayUrl());
        JsonNode[] found = new JsonNode[1];
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> {
            HttpResponse<byte[]> r = raw.send(raw.request("/admin/usage/" + requestId).header("Authorization", "Bearer it-admin-key").GET().build());
            if (r.statusCode() != 200) return false;
            found[0] = RawHttp.json(r).get("records").get(0);
            return true;
        });
        return found[0];
    }
}
