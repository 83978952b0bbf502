package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import org.springframework.r2dbc.core.DatabaseClient;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.postgresql.PostgreSQLContainer;

import dev.switchboard.support.TcpProxy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import dev.switchboard.protocol.ApiEndpoint;

/**
 * The ledger against a real PostgreSQL, reached through a {@link TcpProxy} so the test can take the store
 * away: the machine's server when {@code SWITCHBOARD_TEST_POSTGRES_URL} is set (.ci/run sets it), else
 * Testcontainers' PostgreSQL module; skipped, saying so, when neither is there.
 */
class UsageLedgerPostgresIT {
    private static PostgreSQLContainer container;
    private static ConnectionFactoryOptions direct;
    private static TcpProxy proxy;

    @TempDir
    Path dir;
    private String key;
    private UsageLedger ledger;
    private UsageStore store;
    private dev.switchboard.store.PostgresDatabase database;
    private ConnectionPool pool;
    private ConnectionFactory viaProxy;
    private SimpleMeterRegistry meters;
    /** The ledger's in-memory queue bound in these tests, small enough for a black hole to test it. */
    private static final int QUEUE_BOUND = 300;

    @BeforeAll
    static void postgres() throws Exception {
        String url = System.getenv("SWITCHBOARD_TEST_POSTGRES_URL");
        if (url != null && !url.isBlank()) {
            direct = ConnectionFactoryOptions.parse(url);
        } else {
            Assumptions.assumeTrue(DockerClientFactory.instance().isDockerAvailable(),
                    "No PostgreSQL for this test: set SWITCHBOARD_TEST_POSTGRES_URL or make Docker available");
            container = new PostgreSQLContainer("postgres:16-alpine");
            container.start();
            direct = ConnectionFactoryOptions.builder().option(ConnectionFactoryOptions.DRIVER, "postgresql")
                    .option(ConnectionFactoryOptions.HOST, container.getHost())
                    .option(ConnectionFactoryOptions.PORT, container.getMappedPort(5432))
                    .option(ConnectionFactoryOptions.USER, container.getUsername())
                    .option(ConnectionFactoryOptions.PASSWORD, container.getPassword())
                    .option(ConnectionFactoryOptions.DATABASE, container.getDatabaseName()).build();
        }
        proxy = new TcpProxy((String) direct.getRequiredValue(ConnectionFactoryOptions.HOST),
                (Integer) direct.getRequiredValue(ConnectionFactoryOptions.PORT)).start();
    }

    @AfterAll
    static void stopPostgres() throws Exception {
        if (proxy != null) proxy.close();
        if (container != null) container.stop();
    }

    @BeforeEach
    void ledger() throws Exception {
        proxy.stop();
        proxy.start();
        // with the deadlines the application sets on every PostgreSQL connection
        ConnectionFactoryOptions.Builder options = direct.mutate()
                .option(ConnectionFactoryOptions.HOST, "127.0.0.1").option(ConnectionFactoryOptions.PORT, proxy.port());
        dev.switchboard.store.StoreConfiguration.deadlines(options, direct, Map.of());
        viaProxy = ConnectionFactories.get(options.build());
        // pooled as the application pools PostgreSQL (spring.r2dbc.pool in application.yaml)
        R2dbcProperties.Pool settings = new R2dbcProperties.Pool();
        settings.setInitialSize(1);
        settings.setMaxSize(4);
        settings.setMaxAcquireTime(Duration.ofSeconds(5));
        settings.setMaxCreateConnectionTime(Duration.ofSeconds(5));
        pool = dev.switchboard.store.StoreConfiguration.pool(viaProxy, settings);
        // as the application wires it: the writer's own connection outside the pool; migrations over JDBC
        database = new dev.switchboard.store.PostgresDatabase(pool, viaProxy, jdbcUrl(), (String) direct.getValue(ConnectionFactoryOptions.USER),
                direct.getValue(ConnectionFactoryOptions.PASSWORD) == null ? null : direct.getValue(ConnectionFactoryOptions.PASSWORD).toString());
        store = new PostgresUsageStore(database);
        key = "pg-test-" + UUID.randomUUID();
        // the ledger migrates on its writer thread; on a database the tests never touched, the first count
        // below would otherwise race the CREATE TABLE (seen on a fresh machine: relation does not exist)
        store.migrate().block(Duration.ofSeconds(30));
        meters = new SimpleMeterRegistry();
        ledger = TestStores.ledger(store, dir, meters, QUEUE_BOUND);
        ledger.start();
    }

    @AfterEach
    void stop() {
        proxy.restore();
        ledger.stop();
        store.close();
        pool.dispose();
    }

    static String jdbcUrl() {
        return "jdbc:postgresql://" + direct.getValue(ConnectionFactoryOptions.HOST) + ":" + direct.getValue(ConnectionFactoryOptions.PORT)
                + "/" + direct.getValue(ConnectionFactoryOptions.DATABASE);
    }

    private UsageRecord record(int credits) {
        return new UsageRecord(UUID.randomUUID().toString(), "req-" + UUID.randomUUID(), Instant.now(), key, ApiEndpoint.CHAT_COMPLETIONS,
                "m1", "up", "model", false, 200, Outcome.OK, 1, 10, 5, 0, 0, 0, UsageSource.UPSTREAM,
                new BigDecimal("0.000007"), credits, null, null, 12, 3L);
    }

    private long stored() {
        Long n = DatabaseClient.create(ConnectionFactories.get(direct))
                .sql("SELECT COUNT(DISTINCT id) AS n, COUNT(*) AS rows FROM usage_records WHERE key_name = :key").bind("key", key)
                .map(row -> {
                    long distinct = row.get("n", Number.class).longValue();
                    assertThat(row.get("rows", Number.class).longValue()).as("each record exactly once").isEqualTo(distinct);
                    return distinct;
                }).one().block(Duration.ofSeconds(10));
        return n == null ? 0 : n;
    }

    private long used() {
        return store.balances().block(Duration.ofSeconds(10)).getOrDefault(key, new UsageStore.Balance(0, 0)).used();
    }

    @Test
    void recordsSurviveTheStoreGoingAwayAndAreStoredExactlyOnce() throws Exception {
        for (int i = 0; i < 20; i++) ledger.record(record(7));
        await().atMost(Duration.ofSeconds(10)).until(() -> stored() == 20);

        proxy.stop(); // the port closes and open connections drop
        for (int i = 0; i < 20; i++) ledger.record(record(7));
        Path journal = dir.resolve("journal.jsonl");
        await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(journal) && Files.readAllLines(journal).size() == 20);
        assertThat(ledger.used(key)).as("journaled debits still count against the budget").isEqualTo(280);

        proxy.start();
        await().atMost(Duration.ofSeconds(30)).until(() -> stored() == 40);
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(journal));
        assertThat(used()).isEqualTo(280);
        assertThat(ledger.used(key)).isEqualTo(280);
    }

    @Test
    void batchesShareTheirConnections() {
        int opened = proxy.accepted();
        for (int batch = 1; batch <= 5; batch++) {
            for (int i = 0; i < 3; i++) ledger.record(record(1));
            long expected = batch * 3L;
            await().atMost(Duration.ofSeconds(10)).until(() -> stored() == expected);
        }
        // unpooled, each batch logged in twice (its write, then the balance read): ten connections
        assertThat(proxy.accepted() - opened).as("connections opened for five batches").isLessThanOrEqualTo(4);
        assertThat(used()).isEqualTo(15);
    }

    @Test
    void aGracefulStopWritesEverythingQueued() {
        for (int i = 0; i < 300; i++) ledger.record(record(1));
        ledger.stop();
        assertThat(stored()).isEqualTo(300);
        assertThat(used()).isEqualTo(300);
    }

    @Test
    void grantsAreSharedThroughTheStore() {
        UsageLedger otherReplica = TestStores.ledger(store, dir.resolve("other"), new SimpleMeterRegistry());
        ledger.grant(new dev.switchboard.config.ClientKey(key, 100L), 500).block(Duration.ofSeconds(10));
        otherReplica.start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> otherReplica.budget(new dev.switchboard.config.ClientKey(key, 100L)) == 600);
        } finally {
            otherReplica.stop();
        }
    }

    @Test
    void aDatabaseThatGoesSilentIsLeftWithinADeadlineAndEveryRecordIsStoredOnceWhenItAnswersAgain() throws Exception {
        int total = 0;
        for (; total < 100; total++) ledger.record(record(3));
        await().atMost(Duration.ofSeconds(10)).until(() -> stored() == 100);

        // packets dropped, nothing reset: the writer's batch hangs mid-transaction, as does every new connection
        proxy.blackHole();
        long silentUntil = System.nanoTime() + Duration.ofSeconds(12).toNanos();
        long mostQueued = 0;
        for (int i = 0; i < 12_000 && System.nanoTime() < silentUntil; i++) {
            ledger.record(record(3));
            total++;
            if (i % 100 == 0) {
                Thread.sleep(10);
                mostQueued = Math.max(mostQueued, queued());
            }
        }
        // the writer is stuck in a store call for its whole deadline; the queue stays near its bound regardless
        assertThat(mostQueued).as("records queued in memory while the store did not answer").isLessThanOrEqualTo(QUEUE_BOUND + 600);
        await().atMost(Duration.ofSeconds(10)).until(() -> queued() <= QUEUE_BOUND);

        proxy.restore();
        int expected = total;
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).until(() -> stored() == expected);
        await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(dir.resolve("journal.jsonl")));
        assertThat(used()).as("each record debited once").isEqualTo(3L * expected);
        assertThat(ledger.used(key)).isEqualTo(3L * expected);
        // and the ledger writes on: the next batch lands promptly
        for (int i = 0; i < 10; i++) ledger.record(record(3));
        await().atMost(Duration.ofSeconds(10)).until(() -> stored() == expected + 10);
        await().atMost(Duration.ofSeconds(30)).until(() -> sessionsInsideATransaction() == 0);
    }

    @Test
    void everyConnectionCarriesTheServerSideDeadlinesAndPlansForItsValues() {
        Map<String, String> settings = DatabaseClient.create(viaProxy)
                .sql("SELECT current_setting('statement_timeout') AS st, current_setting('lock_timeout') AS lt, "
                        + "current_setting('idle_in_transaction_session_timeout') AS it, current_setting('application_name') AS app, "
                        + "current_setting('plan_cache_mode') AS plans")
                .map(row -> Map.of("st", row.get("st", String.class), "lt", row.get("lt", String.class),
                        "it", row.get("it", String.class), "app", row.get("app", String.class), "plans", row.get("plans", String.class)))
                .one().block(Duration.ofSeconds(10));
        assertThat(settings).containsEntry("st", "10s").containsEntry("lt", "5s").containsEntry("it", "15s").containsEntry("app", "switchboard")
                .containsEntry("plans", "force_custom_plan");
    }

    private long queued() {
        return (long) meters.get("switchboard.usage.queued").gauge().value();
    }

    /** The gateway's sessions (by application name) that sit inside a transaction, as a lost COMMIT leaves one. */
    private long sessionsInsideATransaction() {
        Long n = DatabaseClient.create(ConnectionFactories.get(direct))
                .sql("SELECT COUNT(*) AS n FROM pg_stat_activity WHERE application_name = 'switchboard' AND state LIKE 'idle in transaction%' "
                        + "AND state_change < now() - interval '2 seconds'")
                .map(row -> row.get("n", Number.class).longValue()).one().block(Duration.ofSeconds(10));
        return n == null ? 0 : n;
    }

    @Test
    void storedResponsesKeepAConversationOnPostgres() {
        dev.switchboard.responses.StoredResponses stored = new dev.switchboard.responses.StoredResponses(
                new dev.switchboard.responses.PostgresResponseTable(pool), Duration.ofDays(1));
        String first = "resp_" + UUID.randomUUID(), second = "resp_" + UUID.randomUUID();
        tools.jackson.databind.node.ArrayNode input = dev.switchboard.protocol.Json.MAPPER.createArrayNode();
        input.addObject().put("type", "message").put("role", "user").put("content", "hello");
        tools.jackson.databind.JsonNode answer = dev.switchboard.protocol.Json.MAPPER.readTree(
                "{\"id\":\"x\",\"status\":\"completed\",\"output\":[{\"type\":\"message\",\"role\":\"assistant\",\"content\":\"hi\"}]}");
        stored.save(key, new dev.switchboard.responses.StoredResponses.Turn(first, null, input, answer)).block(Duration.ofSeconds(10));
        stored.save(key, new dev.switchboard.responses.StoredResponses.Turn(second, first, input, answer)).block(Duration.ofSeconds(10));
        assertThat(stored.conversation(key, second).block(Duration.ofSeconds(10))).hasSize(4);
        assertThat(stored.conversation("someone-else", second).block(Duration.ofSeconds(10))).isNull();
        assertThat(stored.delete(key, first).block(Duration.ofSeconds(10))).isTrue();
        assertThat(stored.purge().block(Duration.ofSeconds(10))).isNotNegative();
    }

    @ParameterizedTest(name = "through COPY: {0}")
    @ValueSource(booleans = {true, false})
    void bothWritePathsStoreDebitAndRollUpOnlyWhatIsNewExactly(boolean copy) {
        ledger.stop(); // the store alone: the writer's connection is not shared
        ((PostgresUsageStore) store).writeThroughCopy(copy);
        Instant hour = Instant.parse("2026-11-23T10:00:00Z");
        UsageRecord a = record(5, hour.plusSeconds(60), new BigDecimal("1234.000000000000001"));
        // text COPY escapes: tab, newline, carriage return and backslash in what clients and configs name
        UsageRecord b = new UsageRecord(UUID.randomUUID().toString(), "req\ttab\nline\\slash\r-" + UUID.randomUUID(), hour.plusSeconds(120),
                key, ApiEndpoint.MESSAGES, "m1", "up", "model\twith\\odd", true, 200, Outcome.OK, 2, 10, 5, 1, 2, 3,
                UsageSource.ESTIMATED, new BigDecimal("0.000000000000003"), 7, new BigDecimal("0.5"), new BigDecimal("12.345678"), 40, null);
        UsageRecord c = record(11, hour.plusSeconds(3_700), new BigDecimal("0.1"));
        store.write(List.of(a, b)).block(Duration.ofSeconds(10));
        store.write(List.of(b, c)).block(Duration.ofSeconds(10));
        store.write(List.of(a, b, c)).block(Duration.ofSeconds(10));

        assertThat(store.find(key, null, null, null, null, 100).collectList().block(Duration.ofSeconds(10)))
                .extracting(UsageRecord::id).containsExactlyInAnyOrder(a.id(), b.id(), c.id());
        assertThat(store.byRequestId(b.requestId()).blockFirst(Duration.ofSeconds(10))).usingRecursiveComparison()
                .withComparatorForType(BigDecimal::compareTo, BigDecimal.class).isEqualTo(b);
        assertThat(used()).isEqualTo(5 + 7 + 11);
        UsageStore.Summary all = store.summary(UsageStore.Grouping.KEY, hour, hour.plusSeconds(3_600))
                .filter(s -> s.group().equals(key)).blockFirst(Duration.ofSeconds(10));
        assertThat(all.requests()).isEqualTo(3);
        assertThat(all.credits()).isEqualTo(23);
        assertThat(all.costUsd()).isEqualByComparingTo("1234.100000000000004");
        UsageStore.Summary firstHour = store.summary(UsageStore.Grouping.KEY, hour, hour)
                .filter(s -> s.group().equals(key)).blockFirst(Duration.ofSeconds(10));
        assertThat(firstHour.requests()).isEqualTo(2);
        assertThat(firstHour.promptTokens()).isEqualTo(20);
        assertThat(firstHour.cacheWriteTokens()).isEqualTo(3);
    }

    private UsageRecord record(int credits, Instant time, BigDecimal cost) {
        return new UsageRecord(UUID.randomUUID().toString(), "req-" + UUID.randomUUID(), time, key, ApiEndpoint.CHAT_COMPLETIONS,
                "m1", "up", "model", false, 200, Outcome.OK, 1, 10, 5, 0, 0, 0, UsageSource.UPSTREAM, cost, credits, null, null, 12, 3L);
    }

    /** The schema as the release before versioned migrations made it, statement by statement. */
    private static final List<String> PREVIOUS_SCHEMA = List.of(
            "CREATE TABLE IF NOT EXISTS usage_records (id VARCHAR(64) PRIMARY KEY, request_id VARCHAR(128) NOT NULL, "
                    + "time TIMESTAMP WITH TIME ZONE NOT NULL, key_name VARCHAR(200) NOT NULL, endpoint VARCHAR(40) NOT NULL, "
                    + "alias VARCHAR(200) NOT NULL, upstream VARCHAR(200) NOT NULL, upstream_model VARCHAR(300), "
                    + "stream BOOLEAN NOT NULL, status INT NOT NULL, outcome VARCHAR(30) NOT NULL, attempts INT NOT NULL, "
                    + "prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT NULL, reasoning_tokens BIGINT NOT NULL, "
                    + "cached_tokens BIGINT NOT NULL, cache_write_tokens BIGINT NOT NULL, usage_source VARCHAR(20) NOT NULL, "
                    + "cost_usd DECIMAL(30,15) NOT NULL, credits BIGINT NOT NULL, upstream_cost_usd DECIMAL(30,15), "
                    + "upstream_credits DECIMAL(30,6), latency_ms BIGINT NOT NULL, ttft_ms BIGINT)",
            "CREATE INDEX IF NOT EXISTS usage_records_time ON usage_records (time)",
            "CREATE INDEX IF NOT EXISTS usage_records_request ON usage_records (request_id)",
            "CREATE TABLE IF NOT EXISTS key_credits (key_name VARCHAR(200) PRIMARY KEY, "
                    + "granted BIGINT NOT NULL DEFAULT 0, used BIGINT NOT NULL DEFAULT 0)",
            "CREATE TABLE IF NOT EXISTS stored_responses (id VARCHAR(100) PRIMARY KEY, key_name VARCHAR(200) NOT NULL, "
                    + "previous_response_id VARCHAR(100), created_at TIMESTAMP WITH TIME ZONE NOT NULL, "
                    + "expires_at TIMESTAMP WITH TIME ZONE NOT NULL, input_items VARCHAR NOT NULL, response VARCHAR NOT NULL)",
            "CREATE INDEX IF NOT EXISTS stored_responses_expiry ON stored_responses (expires_at)");

    /**
     * A ledger the previous release made (its tables, no migration history) is baselined, keeps its rows, gets
     * its hourly rollups filled from them, and goes on taking records through the new store.
     */
    @Test
    void aDatabaseThePreviousReleaseMadeIsMigratedKeepingEveryRow() throws Exception {
        String schema = "previous_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
        String user = (String) direct.getValue(ConnectionFactoryOptions.USER);
        String password = direct.getValue(ConnectionFactoryOptions.PASSWORD) == null ? null : direct.getValue(ConnectionFactoryOptions.PASSWORD).toString();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl(), user, password); java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
            s.execute("SET search_path TO " + schema);
            for (String ddl : PREVIOUS_SCHEMA) s.execute(ddl);
            s.execute("INSERT INTO usage_records (" + UsageStore.COLUMNS + ") VALUES "
                    + "('old-1', 'req-old-1', '2026-11-01T10:05:00Z', 'old-key', 'chat_completions', 'm1', 'up', 'x', false, 200, 'ok', 1, "
                    + "100, 20, 0, 0, 0, 'upstream', 0.000000000000001, 4, NULL, NULL, 10, NULL), "
                    + "('old-2', 'req-old-2', '2026-11-01T10:55:00Z', 'old-key', 'chat_completions', 'm1', 'up', 'x', false, 200, 'ok', 1, "
                    + "50, 5, 0, 0, 0, 'upstream', 2.5, 6, NULL, NULL, 10, NULL), "
                    + "('old-3', 'req-old-3', '2026-11-01T11:05:00Z', 'old-key', 'chat_completions', 'm1', 'up', 'x', false, 200, 'ok', 1, "
                    + "1, 1, 0, 0, 0, 'upstream', 1, 1, NULL, NULL, 10, NULL)");
            s.execute("INSERT INTO key_credits (key_name, granted, used) VALUES ('old-key', 1000, 11)");
        }
        ConnectionFactory schemaConnections = ConnectionFactories.get(direct.mutate().option(io.r2dbc.spi.Option.valueOf("schema"), schema).build());
        String schemaJdbc = jdbcUrl() + "?currentSchema=" + schema;
        try {
            dev.switchboard.store.PostgresDatabase migrated = new dev.switchboard.store.PostgresDatabase(schemaConnections, schemaConnections,
                    schemaJdbc, user, password);
            PostgresUsageStore upgraded = new PostgresUsageStore(migrated);
            upgraded.migrate().block(Duration.ofSeconds(30));
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(schemaJdbc, user, password); java.sql.Statement s = c.createStatement();
                 java.sql.ResultSet history = s.executeQuery("SELECT version, type, success FROM flyway_schema_history ORDER BY installed_rank")) {
                List<String> applied = new java.util.ArrayList<>();
                while (history.next()) applied.add(history.getString(1) + " " + history.getString(2) + " " + history.getBoolean(3));
                assertThat(applied).containsExactly("0 BASELINE true", "1 SQL true", "2 SQL true", "3 SQL true", "4 SQL true");
            }
            assertThat(upgraded.byRequestId("req-old-2").blockFirst(Duration.ofSeconds(10)).costUsd()).isEqualByComparingTo("2.5");
            assertThat(upgraded.balances().block(Duration.ofSeconds(10))).containsEntry("old-key", new UsageStore.Balance(1000, 11));
            Instant ten = Instant.parse("2026-11-01T10:00:00Z");
            UsageStore.Summary tenOClock = upgraded.summary(UsageStore.Grouping.KEY, ten, ten).blockFirst(Duration.ofSeconds(10));
            assertThat(tenOClock.requests()).isEqualTo(2);
            assertThat(tenOClock.costUsd()).isEqualByComparingTo("2.500000000000001");
            assertThat(tenOClock.credits()).isEqualTo(10);

            upgraded.write(List.of(new UsageRecord("new-1", "req-new-1", Instant.parse("2026-11-01T10:30:00Z"), "old-key",
                    ApiEndpoint.CHAT_COMPLETIONS, "m1", "up", "x", false, 200, Outcome.OK, 1, 1, 1, 0, 0, 0, UsageSource.UPSTREAM,
                    BigDecimal.ONE, 9, null, null, 10, null))).block(Duration.ofSeconds(10));
            assertThat(upgraded.summary(UsageStore.Grouping.KEY, ten, ten).blockFirst(Duration.ofSeconds(10)).requests()).isEqualTo(3);
            assertThat(upgraded.balances().block(Duration.ofSeconds(10))).containsEntry("old-key", new UsageStore.Balance(1000, 20));
            upgraded.close();
        } finally {
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl(), user, password); java.sql.Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA " + schema + " CASCADE");
            }
        }
    }
}
