package dev.switchboard.keys;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.switchboard.store.PostgresDatabase;
import dev.switchboard.support.GatewayProcess;
import dev.switchboard.support.RawHttp;
import dev.switchboard.support.TestUpstreams;
import io.r2dbc.spi.ConnectionFactoryOptions;

/**
 * Two gateway replicas on one PostgreSQL ledger (this machine's, in a schema of the test's own): a virtual key
 * made on one works on the other, and once revoked on one is refused by the other within two seconds.
 */
class VirtualKeysReplicasIT {
    private static final String ROUTES = "src/test/resources/switchboard-replicas.yaml";
    private static final String ANSWER = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"plain-model\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";
    private final List<GatewayProcess> replicas = new ArrayList<>();
    private String url;
    private String schema;

    @BeforeEach
    void start() throws Exception {
        url = System.getenv("SWITCHBOARD_TEST_POSTGRES_URL");
        Assumptions.assumeTrue(url != null && !url.isBlank(), "no PostgreSQL: set SWITCHBOARD_TEST_POSTGRES_URL (.ci/run does)");
        schema = "replicas_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = jdbc(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        TestUpstreams.get().wireMock().stubFor(post("/replicas/v1/chat/completions")
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(ANSWER)));
        for (int i = 0; i < 2; i++) {
            replicas.add(GatewayProcess.start(ROUTES, "--spring.r2dbc.url=" + url + (url.contains("?") ? "&" : "?") + "schema=" + schema));
        }
    }

    private Connection jdbc() throws Exception {
        ConnectionFactoryOptions o = ConnectionFactoryOptions.parse(url);
        Object password = o.getValue(ConnectionFactoryOptions.PASSWORD);
        return DriverManager.getConnection(PostgresDatabase.jdbcUrl(url), (String) o.getValue(ConnectionFactoryOptions.USER),
                password == null ? null : password.toString());
    }

    @AfterEach
    void stop() throws Exception {
        replicas.forEach(GatewayProcess::close);
        if (schema != null && url != null) {
            try (Connection c = jdbc(); Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    private static HttpResponse<byte[]> admin(GatewayProcess replica, String path, String body) {
        RawHttp raw = replica.http();
        return raw.send(raw.request(path).header("Authorization", "Bearer it-admin-key")
                .POST(body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static int chat(GatewayProcess replica, String secret) {
        return replica.http().post("/v1/chat/completions", "{\"model\":\"m1-plain\",\"messages\":[]}", "Authorization", "Bearer " + secret)
                .statusCode();
    }

    @Test
    void aKeyRevokedOnOneReplicaIsRefusedByTheOtherWithinTwoSeconds() throws Exception {
        GatewayProcess one = replicas.get(0), other = replicas.get(1);
        HttpResponse<byte[]> made = admin(one, "/admin/keys", "{\"name\":\"shared-bot\"}");
        assertThat(made.statusCode()).as(new String(made.body())).isEqualTo(201);
        String secret = RawHttp.json(made).get("key").asString();
        assertThat(chat(one, secret)).isEqualTo(200);
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (chat(other, secret) != 200 && System.nanoTime() < deadline) Thread.sleep(20);
        assertThat(chat(other, secret)).as("made on one replica, known to the other").isEqualTo(200);

        assertThat(admin(one, "/admin/keys/shared-bot/revoke", null).statusCode()).isEqualTo(200);
        long revoked = System.nanoTime();
        assertThat(chat(one, secret)).as("refused at once where it was revoked").isEqualTo(401);
        int status = 200;
        // bounded: two seconds, then the last answer is the verdict
        while (System.nanoTime() - revoked < Duration.ofSeconds(2).toNanos() && (status = chat(other, secret)) == 200) {
            Thread.sleep(20);
        }
        assertThat(status).as("refused by the other replica within two seconds").isEqualTo(401);
    }
}
