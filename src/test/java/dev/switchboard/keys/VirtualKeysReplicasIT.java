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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.switchboard.store.PostgresDatabase;
import dev.switchboard.support.GatewayProcess;
import dev.switchboard.support.RawHttp;
import dev.switchboard.support.TcpProxy;
import dev.switchboard.support.TestUpstreams;
import dev.switchboard.support.LocalRedis;
import io.r2dbc.spi.ConnectionFactoryOptions;
import tools.jackson.databind.JsonNode;

/**
 * Two gateway replicas on one PostgreSQL ledger (this machine's, in a schema of the test's own) and one Redis
 * (this machine's, through a TCP proxy the test controls): a virtual key made on one works on the other, and
 * once revoked on one is refused by the other within two seconds; a team's budget, used by keys on both at
 * once, holds across them; Redis going away fails no request.
 */
class VirtualKeysReplicasIT {
    private static final String ROUTES = "src/test/resources/switchboard-replicas.yaml";
    private static final String ANSWER = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"plain-model\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":1,\"total_tokens\":4}}";
    /** What a request of BODY holds at admission at m1-plain's prices: its prompt (bytes over four) and its whole answer. */
    private static final String BODY = "{\"model\":\"m1-plain\",\"max_tokens\":100,\"messages\":[]}";
    private static final long PROMPT_ESTIMATE = (BODY.length() + 3) / 4;
    private static final long RESERVED = PROMPT_ESTIMATE + 2 * 100;
    /** An answer that costs exactly what its request held. */
    private static final String EXACT = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"plain-model\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"length\"}],"
            + "\"usage\":{\"prompt_tokens\":" + PROMPT_ESTIMATE + ",\"completion_tokens\":100,\"total_tokens\":" + (PROMPT_ESTIMATE + 100) + "}}";
    private final List<GatewayProcess> replicas = new ArrayList<>();
    private String url;
    private String schema;
    private TcpProxy redis;

    @BeforeEach
    void start() throws Exception {
        url = System.getenv("SWITCHBOARD_TEST_POSTGRES_URL");
        Assumptions.assumeTrue(url != null && !url.isBlank(), "no PostgreSQL: set SWITCHBOARD_TEST_POSTGRES_URL (.ci/run does)");
        LocalRedis.assumeAvailable();
        schema = "replicas_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        try (Connection c = jdbc(); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        TestUpstreams.get().wireMock().stubFor(post("/replicas/v1/chat/completions")
                .willReturn(aResponse().withHeader("Content-Type", "application/json").withBody(ANSWER)));
        redis = new TcpProxy("127.0.0.1", 6379).start();
        String prefix = "--switchboard.redis.prefix=it-" + UUID.randomUUID() + ":";
        for (int i = 0; i < 2; i++) {
            replicas.add(GatewayProcess.start(ROUTES, "--spring.r2dbc.url=" + url + (url.contains("?") ? "&" : "?") + "schema=" + schema,
                    "--switchboard.redis.url=redis://127.0.0.1:" + redis.port(), prefix));
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
        if (redis != null) redis.close();
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

    private static JsonNode made(GatewayProcess replica, String path, String body) {
        HttpResponse<byte[]> r = admin(replica, path, body);
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        return RawHttp.json(r);
    }

    private static CompletableFuture<HttpResponse<byte[]>> send(GatewayProcess replica, String secret) {
        RawHttp raw = replica.http();
        return raw.client().sendAsync(raw.request("/v1/chat/completions").header("Authorization", "Bearer " + secret)
                .POST(HttpRequest.BodyPublishers.ofString(BODY)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void aTeamBudgetUsedByKeysOnBothReplicasAtOnceHoldsAcrossThemAndRedisGoingAwayFailsNoRequest() throws Exception {
        TestUpstreams.get().wireMock().stubFor(post("/replicas/v1/chat/completions").willReturn(aResponse()
                .withHeader("Content-Type", "application/json").withBody(EXACT).withFixedDelay(300)));
        GatewayProcess one = replicas.get(0), other = replicas.get(1);
        made(one, "/admin/teams", "{\"name\":\"shared-team\",\"credits\":" + 10 * RESERVED + ",\"period\":\"monthly\"}");
        String alice = made(one, "/admin/keys", "{\"name\":\"alice\",\"team\":\"shared-team\"}").get("key").asString();
        String bob = made(one, "/admin/keys", "{\"name\":\"bob\",\"team\":\"shared-team\"}").get("key").asString();
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (other.http().send(other.http().request("/admin/keys/bob").header("Authorization", "Bearer it-admin-key").GET().build())
                .statusCode() != 200 && System.nanoTime() < deadline) Thread.sleep(20);

        // 20 requests at each replica at once: each alone would admit ten
        List<CompletableFuture<HttpResponse<byte[]>>> burst = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            burst.add(send(one, alice));
            burst.add(send(other, bob));
        }
        int served = 0, refused = 0;
        for (CompletableFuture<HttpResponse<byte[]>> r : burst) {
            int status = r.get(30, TimeUnit.SECONDS).statusCode();
            if (status == 200) served++;
            else if (status == 402) refused++;
            else throw new AssertionError("status " + status);
        }
        assertThat(served).as("the team's budget fits ten, across both replicas").isEqualTo(10);
        assertThat(refused).isEqualTo(30);
        deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        long spent = -1;
        while (System.nanoTime() < deadline && (spent = teamSpent(other)) != 10 * RESERVED) Thread.sleep(100);
        assertThat(spent).as("the ledger's debits, exactly").isEqualTo(10 * RESERVED);

        // Redis goes away: a key with room is still served, each replica holding alone, and again once it is back
        String carol = made(one, "/admin/keys", "{\"name\":\"carol\",\"credits\":" + 100 * RESERVED + "}").get("key").asString();
        deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (chat(other, carol) != 200 && System.nanoTime() < deadline) Thread.sleep(20);
        redis.stop();
        for (int i = 0; i < 6; i++) {
            assertThat(send(replicas.get(i % 2), carol).get(30, TimeUnit.SECONDS).statusCode()).as("request %d without Redis", i).isEqualTo(200);
        }
        redis.start();
        for (int i = 0; i < 6; i++) {
            assertThat(send(replicas.get(i % 2), carol).get(30, TimeUnit.SECONDS).statusCode()).as("request %d with Redis back", i).isEqualTo(200);
        }
    }

    private static long teamSpent(GatewayProcess replica) {
        RawHttp raw = replica.http();
        JsonNode team = RawHttp.json(raw.send(raw.request("/admin/teams/shared-team").header("Authorization", "Bearer it-admin-key").GET().build()));
        return team.get("spent").asLong();
    }
}
