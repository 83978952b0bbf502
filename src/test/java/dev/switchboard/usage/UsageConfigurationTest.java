package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.PoolMetrics;
import io.r2dbc.spi.ConnectionFactory;

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
    void embeddedH2IsNotPooled(@TempDir Path dir) {
        ConnectionFactory connections = new UsageConfiguration().connectionFactory(
                properties("r2dbc:h2:file:///" + dir.resolve("ledger") + ";MODE=PostgreSQL"));
        assertThat(connections).isNotInstanceOf(ConnectionPool.class);
        assertThat(connections.getMetadata().getName()).isEqualTo("H2");
        assertThat(UsageConfiguration.embedded("r2dbc:h2:mem:///ledger")).isTrue();
        assertThat(UsageConfiguration.embedded("r2dbc:postgresql://db/ledger")).isFalse();
    }
}
