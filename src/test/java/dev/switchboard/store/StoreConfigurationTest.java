package dev.switchboard.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.InputStream;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Publisher;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** Which database the ledger gets for which settings, and how each is opened. */
class StoreConfigurationTest {

    private static R2dbcProperties properties(String url) {
        R2dbcProperties properties = new R2dbcProperties();
        properties.setUrl(url);
        properties.getPool().setInitialSize(1);
        properties.getPool().setMaxSize(4);
        properties.getPool().setMaxAcquireTime(Duration.ofSeconds(5));
        return properties;
    }

    private static StoreConfiguration.LedgerProperties ledger(Path dir, SqliteDatabase.Synchronous synchronous) {
        return new StoreConfiguration.LedgerProperties(dir.resolve("switchboard.db"), synchronous, null);
    }

    @Test
    void theShippedSettingsGiveTheEmbeddedSqliteFileInWalModeSyncedAtCheckpoints(@TempDir Path dir) throws Exception {
        JsonNode yaml;
        try (InputStream in = getClass().getResourceAsStream("/application.yaml")) {
            yaml = new YAMLMapper().readTree(in);
        }
        assertThat(yaml.path("spring").path("r2dbc").path("url").asString()).isEqualTo("${SWITCHBOARD_DB_URL:}");
        R2dbcProperties unset = properties(null);
        try (LedgerDatabase db = new StoreConfiguration().ledgerDatabase(unset, ledger(dir, SqliteDatabase.Synchronous.NORMAL))) {
            assertThat(db).isInstanceOf(SqliteDatabase.class);
            assertThat(pragma((SqliteDatabase) db, "journal_mode")).isEqualTo("wal");
            assertThat(pragma((SqliteDatabase) db, "synchronous")).isEqualTo("1"); // NORMAL
        }
    }

    @Test
    void fullSynchronousSyncsEveryCommit(@TempDir Path dir) throws Exception {
        try (SqliteDatabase db = (SqliteDatabase) new StoreConfiguration().ledgerDatabase(properties(""), ledger(dir, SqliteDatabase.Synchronous.FULL))) {
            assertThat(pragma(db, "synchronous")).isEqualTo("2"); // FULL
        }
    }

    private static String pragma(SqliteDatabase db, String name) throws Exception {
        try (Connection c = db.openWriter(); Statement s = c.createStatement(); ResultSet r = s.executeQuery("PRAGMA " + name)) {
            r.next();
            return r.getString(1);
        }
    }

    @Test
    void aPostgresUrlGivesAPoolOfTheConfiguredSizeAndAJdbcUrlForMigrations(@TempDir Path dir) {
        // nothing listens on port 1: a pool makes no connection before one is asked for
        try (LedgerDatabase db = new StoreConfiguration().ledgerDatabase(properties("r2dbc:postgresql://ledger@127.0.0.1:1/db?schema=billing"),
                ledger(dir, SqliteDatabase.Synchronous.NORMAL))) {
            PostgresDatabase postgres = (PostgresDatabase) db;
            assertThat(postgres.pool()).isInstanceOf(ConnectionPool.class);
            PoolMetrics metrics = ((ConnectionPool) postgres.pool()).getMetrics().orElseThrow();
            assertThat(metrics.getMaxAllocatedSize()).isEqualTo(4);
            assertThat(metrics.allocatedSize()).isZero();
            assertThat(postgres.writerConnections()).isNotInstanceOf(ConnectionPool.class);
        }
        assertThat(dir.resolve("switchboard.db")).doesNotExist();
        assertThat(PostgresDatabase.jdbcUrl("r2dbc:postgresql://ledger:pw@db.internal:6432/gateway?schema=billing&sslMode=VERIFY_FULL"))
                .isEqualTo("jdbc:postgresql://db.internal:6432/gateway?currentSchema=billing&sslmode=verify-full");
    }

    @Test
    void aPostgresUrlIsReachedDirectlyWhenPoolingIsTurnedOff(@TempDir Path dir) {
        R2dbcProperties properties = properties("r2dbc:postgresql://ledger@127.0.0.1:1/db");
        properties.getPool().setEnabled(false);
        try (LedgerDatabase db = new StoreConfiguration().ledgerDatabase(properties, ledger(dir, SqliteDatabase.Synchronous.NORMAL))) {
            ConnectionFactory pool = ((PostgresDatabase) db).pool();
            assertThat(pool).isNotInstanceOf(ConnectionPool.class);
            assertThat(pool.getMetadata().getName()).isEqualTo("PostgreSQL");
        }
    }

    @Test
    void anyOtherUrlIsRefusedNamingBothChoicesAndHidingThePassword(@TempDir Path dir) {
        assertThatThrownBy(() -> new StoreConfiguration().ledgerDatabase(properties("r2dbc:mysql://root:hunter2@db/ledger"),
                ledger(dir, SqliteDatabase.Synchronous.NORMAL)))
                .hasMessageContaining("r2dbc:postgresql://").hasMessageContaining("switchboard.ledger.file").hasMessageNotContaining("hunter2");
    }

    @Test
    void thePoolMakesConnectionsOffReactorsNonBlockingThreads() {
        AtomicReference<Thread> maker = new AtomicReference<>();
        ConnectionFactory recording = new ConnectionFactory() {
            @Override
            public Publisher<? extends io.r2dbc.spi.Connection> create() {
                return Mono.fromCallable(() -> {
                    maker.set(Thread.currentThread());
                    throw new IllegalStateException("no database here");
                });
            }

            @Override
            public ConnectionFactoryMetadata getMetadata() {
                return () -> "recording";
            }
        };
        ConnectionPool pool = StoreConfiguration.pool(recording, properties("r2dbc:postgresql://unused/db").getPool());
        try {
            assertThatThrownBy(() -> Mono.from(pool.create()).block(Duration.ofSeconds(10))).hasMessage("no database here");
            assertThat(maker.get()).isNotNull();
            assertThat(Schedulers.isNonBlockingThread(maker.get())).as("made on " + maker.get().getName()).isFalse();
        } finally {
            pool.dispose();
        }
    }

    @Test
    void theH2LedgerToImportIsTheNamedFileElseTheOneAnOldUrlNamesElseTheOneBesideTheSqliteFile(@TempDir Path dir) {
        StoreConfiguration.LedgerProperties beside = ledger(dir, SqliteDatabase.Synchronous.NORMAL);
        assertThat(beside.h2File(null)).isEqualTo(dir.resolve("switchboard.mv.db"));
        assertThat(beside.h2File("r2dbc:h2:file:////data/old/switchboard;MODE=PostgreSQL;DB_CLOSE_DELAY=-1"))
                .isEqualTo(Path.of("/data/old/switchboard.mv.db"));
        StoreConfiguration.LedgerProperties named = new StoreConfiguration.LedgerProperties(dir.resolve("switchboard.db"),
                SqliteDatabase.Synchronous.NORMAL, Path.of("/backups/ledger.mv.db"));
        assertThat(named.h2File("r2dbc:h2:file:////data/old/switchboard")).isEqualTo(Path.of("/backups/ledger.mv.db"));
    }

    @Test
    void anOldH2UrlStillGivesTheEmbeddedSqliteFile(@TempDir Path dir) {
        try (LedgerDatabase db = new StoreConfiguration().ledgerDatabase(properties("r2dbc:h2:file:///" + dir.resolve("old") + ";MODE=PostgreSQL"),
                ledger(dir, SqliteDatabase.Synchronous.NORMAL))) {
            assertThat(db).isInstanceOf(SqliteDatabase.class);
        }
    }
}
