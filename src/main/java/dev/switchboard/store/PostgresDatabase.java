package dev.switchboard.store;

import java.util.concurrent.atomic.AtomicBoolean;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The ledger in PostgreSQL: a pool for reads, grants and stored responses; unpooled connections for the
 * ledger's writer, which holds one of its own; and the same database over JDBC for Flyway alone.
 */
public final class PostgresDatabase implements LedgerDatabase {
    private final ConnectionFactory pool;
    private final ConnectionFactory writerConnections;
    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final AtomicBoolean migrated = new AtomicBoolean();

    public PostgresDatabase(ConnectionFactory pool, ConnectionFactory writerConnections, String jdbcUrl, String user, String password) {
        this.pool = pool;
        this.writerConnections = writerConnections;
        this.jdbcUrl = jdbcUrl;
        this.user = user;
        this.password = password;
    }

    public ConnectionFactory pool() {
        return pool;
    }

    public ConnectionFactory writerConnections() {
        return writerConnections;
    }

    /**
     * The schema at its current version: migrated on the first call that finds the database, then at once. A
     * database away at start is migrated when it is back.
     */
    public Mono<Void> migrated() {
        if (migrated.get()) return Mono.empty();
        return Mono.fromRunnable(() -> {
            synchronized (this) {
                if (migrated.get()) return;
                Migrations.postgres(jdbcUrl, user, password);
                migrated.set(true);
            }
        }).subscribeOn(Schedulers.boundedElastic()).then();
    }

    /**
     * The JDBC URL for an {@code r2dbc:postgresql://} one: its host, port and database, its schema as the
     * current schema, and its SSL mode.
     */
    public static String jdbcUrl(String r2dbcUrl) {
        ConnectionFactoryOptions o = ConnectionFactoryOptions.parse(r2dbcUrl.replace("r2dbc:pool:", "r2dbc:"));
        StringBuilder url = new StringBuilder("jdbc:postgresql://").append(o.getValue(ConnectionFactoryOptions.HOST));
        Object port = o.getValue(ConnectionFactoryOptions.PORT);
        if (port != null) url.append(':').append(port);
        url.append('/').append(o.getValue(ConnectionFactoryOptions.DATABASE) == null ? "" : o.getValue(ConnectionFactoryOptions.DATABASE));
        StringBuilder query = new StringBuilder();
        Object schema = o.getValue(io.r2dbc.spi.Option.valueOf("schema"));
        if (schema != null) query.append("&currentSchema=").append(schema);
        Object ssl = o.getValue(io.r2dbc.spi.Option.valueOf("sslMode"));
        if (ssl != null) query.append("&sslmode=").append(ssl.toString().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        if (!query.isEmpty()) url.append('?').append(query.substring(1));
        return url.toString();
    }

    @Override
    public void close() {
        if (pool instanceof ConnectionPool p) p.dispose();
    }
}
