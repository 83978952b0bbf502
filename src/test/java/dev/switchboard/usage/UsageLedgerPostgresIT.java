package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
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
    private ConnectionPool pool;

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
        ConnectionFactory viaProxy = ConnectionFactories.get(direct.mutate()
                .option(ConnectionFactoryOptions.HOST, "127.0.0.1").option(ConnectionFactoryOptions.PORT, proxy.port()).build());
        // pooled as the application pools PostgreSQL (spring.r2dbc.pool in application.yaml)
        R2dbcProperties.Pool settings = new R2dbcProperties.Pool();
        settings.setInitialSize(1);
        settings.setMaxSize(4);
        settings.setMaxAcquireTime(Duration.ofSeconds(5));
        settings.setMaxCreateConnectionTime(Duration.ofSeconds(5));
        pool = UsageConfiguration.pool(viaProxy, settings);
        store = new UsageStore(pool);
        key = "pg-test-" + UUID.randomUUID();
        // the ledger migrates on its writer thread; on a database the tests never touched, the first count
        // below would otherwise race the CREATE TABLE (seen on a fresh machine: relation does not exist)
        store.migrate().block(Duration.ofSeconds(30));
        ledger = new UsageLedger(store, new UsageJournal(dir.resolve("journal.jsonl")), new SimpleMeterRegistry());
        ledger.start();
    }

    @AfterEach
    void stop() {
        ledger.stop();
        pool.dispose();
    }

    private UsageRecord record(int credits) {
        return new UsageRecord(UUID.randomUUID().toString(), "req-" + UUID.randomUUID(), Instant.now(), key, "CHAT_COMPLETIONS",
                "m1", "up", "model", false, 200, UsageRecord.OK, 1, 10, 5, 0, 0, 0, "upstream",
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
        UsageLedger otherReplica = new UsageLedger(store, new UsageJournal(dir.resolve("other.jsonl")), new SimpleMeterRegistry());
        ledger.grant(new dev.switchboard.config.ClientKey(key, 100L), 500).block(Duration.ofSeconds(10));
        otherReplica.start();
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> otherReplica.budget(new dev.switchboard.config.ClientKey(key, 100L)) == 600);
        } finally {
            otherReplica.stop();
        }
    }
}
