package dev.switchboard.support;

import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import com.github.tomakehurst.wiremock.WireMockServer;

import dev.switchboard.health.HealthRegistry;

/**
 * Base of the integration tests: the real gateway on a random loopback port, routed by
 * src/test/resources/switchboard-it.yaml to the {@link TestUpstreams}. All subclasses share one application
 * context (same properties), so the gateway starts once per suite.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
public abstract class GatewayIT {
    /** Client keys of switchboard-it.yaml: team-a by raw key, team-b by its SHA-256. */
    public static final String KEY = "sk-team-a";
    public static final String KEY_B = "sk-team-b";

    protected static final TestUpstreams UPSTREAMS = TestUpstreams.get();

    @LocalServerPort
    protected int port;

    @Autowired
    protected HealthRegistry health;

    /** This test JVM's own ledger database and journal, under target/. */
    protected static final java.nio.file.Path DATA = java.nio.file.Path.of("target", "it-data", java.util.UUID.randomUUID().toString()).toAbsolutePath();

    @DynamicPropertySource
    static void gatewayProperties(DynamicPropertyRegistry registry) {
        registry.add("spring.r2dbc.url", () -> "r2dbc:h2:file:///" + DATA.resolve("switchboard") + ";MODE=PostgreSQL;DB_CLOSE_DELAY=-1");
        registry.add("switchboard.usage.journal", () -> DATA.resolve("usage-journal.jsonl").toString());
        registry.add("switchboard.config", () -> "src/test/resources/switchboard-it.yaml");
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
}
