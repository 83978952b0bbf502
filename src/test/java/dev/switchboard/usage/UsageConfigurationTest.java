package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.reactivestreams.Publisher;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.spi.Connection;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryMetadata;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/** Which ledger databases get a connection pool, and that the pool takes spring.r2dbc.pool's settings. */
class UsageConfigurationTest {

    private static R2dbcProperties properties(String url) {
        R2dbcProperties properties = new R2dbcProperties();
        properties.setUrl(url);
        properties.getPool().setInitialSize(1);
        properties.getPool().setMaxSize(4);
        properties.getPool().setMaxAcquireTime(Duration.ofSeconds(5));
        return properties;
    }

    @Test
    void aDatabaseServerIsReachedThroughAPoolOfTheConfiguredSize() {
        // nothing listens on port 1: a pool makes no connection before one is asked for
        ConnectionFactory connections = new UsageConfiguration().connectionFactory(properties("r2dbc:postgresql://ledger@127.0.0.1:1/db"));
        try {
            assertThat(connections).isInstanceOf(ConnectionPool.class);
            PoolMetrics metrics = ((ConnectionPool) connections).getMetrics().orElseThrow();
            assertThat(metrics.getMaxAllocatedSize()).isEqualTo(4);
            assertThat(metrics.allocatedSize()).isZero();
        } finally {
            if (connections instanceof ConnectionPool pool) pool.dispose();
        }
    }

    @Test
    void aDatabaseServerIsReachedDirectlyWhenPoolingIsTurnedOff() {
        R2dbcProperties properties = properties("r2dbc:postgresql://ledger@127.0.0.1:1/db");
        properties.getPool().setEnabled(false);
        ConnectionFactory connections = new UsageConfiguration().connectionFactory(properties);
        assertThat(connections).isNotInstanceOf(ConnectionPool.class);
        assertThat(connections.getMetadata().getName()).isEqualTo("PostgreSQL");
    }

    @Test
    void thePoolMakesConnectionsOffReactorsNonBlockingThreads() {
        // r2dbc-pool's default is Reactor's single thread, and r2dbc-h2 (in server mode too) blocks while connecting
        AtomicReference<Thread> maker = new AtomicReference<>();
        ConnectionFactory recording = new ConnectionFactory() {
            @Override
            public Publisher<? extends Connection> create() {
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
        ConnectionPool pool = UsageConfiguration.pool(recording, properties("r2dbc:postgresql://unused/db").getPool());
        try {
            assertThatThrownBy(() -> Mono.from(pool.create()).block(Duration.ofSeconds(10))).hasMessage("no database here");
            assertThat(maker.get()).isNotNull();
            assertThat(Schedulers.isNonBlockingThread(maker.get())).as("made on " + maker.get().getName()).isFalse();
        } finally {
            pool.dispose();
        }
    }

    @Test
    void embeddedH2IsNotPooled(@TempDir Path dir) {
        ConnectionFactory connections = new UsageConfiguration().connectionFactory(
                properties("r2dbc:h2:file:///" + dir.resolve("ledger") + ";MODE=PostgreSQL"));
        assertThat(connections).isNotInstanceOf(ConnectionPool.class);
        assertThat(connections.getMetadata().getName()).isEqualTo("H2");
        assertThat(UsageConfiguration.embedded("r2dbc:h2:mem:///ledger")).isTrue();
        assertThat(UsageConfiguration.embedded("r2dbc:postgresql://db/ledger")).isFalse();
    }

    @Test
    void embeddedH2IsWrittenThroughJdbcAndADatabaseServerThroughR2dbc(@TempDir Path dir) {
        UsageConfiguration configuration = new UsageConfiguration();
        R2dbcProperties embedded = properties("r2dbc:h2:file:///" + dir.resolve("ledger") + ";MODE=PostgreSQL");
        UsageStore store = configuration.usageStore(configuration.connectionFactory(embedded), embedded);
        try {
            assertThat(store.writesThroughJdbc()).isTrue();
        } finally {
            store.close();
        }
        R2dbcProperties server = properties("r2dbc:postgresql://ledger@127.0.0.1:1/db");
        ConnectionFactory pool = configuration.connectionFactory(server);
        try {
            assertThat(configuration.usageStore(pool, server).writesThroughJdbc()).isFalse();
        } finally {
            ((ConnectionPool) pool).dispose();
        }
    }
}
