package dev.switchboard.usage;

import java.nio.file.Path;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.r2dbc.ConnectionFactoryBuilder;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.micrometer.core.instrument.MeterRegistry;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;
import reactor.core.scheduler.Schedulers;

/**
 * The ledger's parts. The store is whatever {@code spring.r2dbc.url} names: by default an H2 file under
 * {@code ./data/}; {@code r2dbc:postgresql://...} for several replicas sharing balances.
 */
@Configuration(proxyBeanMethods = false)
class UsageConfiguration {

    /** @param journal where records wait while the store is away */
    @ConfigurationProperties("switchboard.usage")
    record UsageProperties(@DefaultValue("data/usage-journal.jsonl") Path journal) {}

    /**
     * The ledger's connections, as Spring Boot makes them from {@code spring.r2dbc.url}, {@code .username},
     * {@code .password} and {@code .properties}; pooled per {@code spring.r2dbc.pool} unless the database is
     * embedded H2 (or {@code spring.r2dbc.pool.enabled} is false). Unpooled, every batch and every balance read
     * opened a connection: with PostgreSQL a TCP connection and a login twenty times a second. An embedded H2 connection is a session in this JVM,
     * cheap to open; kept open in a pool, its batches' garbage lived long enough to be promoted, and the old
     * generation grew by about a megabyte a second under load until a full collection (README, Benchmark).
     */
    @Bean
    ConnectionFactory connectionFactory(R2dbcProperties r2dbc) {
        PropertyMapper map = PropertyMapper.get();
        ConnectionFactoryBuilder driver = ConnectionFactoryBuilder.withUrl(r2dbc.getUrl());
        map.from(r2dbc.getUsername()).to(driver::username);
        map.from(r2dbc.getPassword()).to(driver::password);
        driver.configure(options -> {
            r2dbc.getProperties().forEach((name, value) -> options.option(Option.valueOf(name), value));
            if (postgres(r2dbc.getUrl())) deadlines(options, ConnectionFactoryOptions.parse(r2dbc.getUrl()), r2dbc.getProperties());
        });
        boolean pooled = r2dbc.getPool().isEnabled() && !embedded(r2dbc.getUrl());
        return pooled ? pool(driver.build(), r2dbc.getPool()) : driver.build();
    }

    static boolean postgres(String url) {
        return url.startsWith("r2dbc:postgresql:") || url.startsWith("r2dbc:pool:postgresql:");
    }

    /**
     * Deadlines on every PostgreSQL connection, each unless the URL or {@code spring.r2dbc.properties} sets it:
     * the client gives up opening a connection after 5 s, and the server ends a statement after 10 s, a wait
     * for a lock after 5 s and a session left inside a transaction for 15 s (its client gone, or its COMMIT
     * lost), so a batch the network swallowed cannot hold locks the next batches wait on. TCP keep-alive lets
     * the kernel find a peer that vanished (on its own timers). The application name marks the gateway's
     * sessions in {@code pg_stat_activity}.
     */
    static void deadlines(ConnectionFactoryOptions.Builder options, ConnectionFactoryOptions given, java.util.Map<String, String> properties) {
        java.util.function.BiConsumer<Option<Object>, Object> unlessSet = (option, value) -> {
            if (!given.hasOption(option) && !properties.containsKey(option.name())) options.option(option, value);
        };
        unlessSet.accept(cast(ConnectionFactoryOptions.CONNECT_TIMEOUT), java.time.Duration.ofSeconds(5));
        unlessSet.accept(cast(PostgresqlConnectionFactoryProvider.STATEMENT_TIMEOUT), java.time.Duration.ofSeconds(10));
        unlessSet.accept(cast(PostgresqlConnectionFactoryProvider.LOCK_WAIT_TIMEOUT), java.time.Duration.ofSeconds(5));
        unlessSet.accept(cast(PostgresqlConnectionFactoryProvider.TCP_KEEPALIVE), true);
        unlessSet.accept(cast(PostgresqlConnectionFactoryProvider.APPLICATION_NAME), "switchboard");
        unlessSet.accept(cast(PostgresqlConnectionFactoryProvider.OPTIONS), java.util.Map.of("idle_in_transaction_session_timeout", "15s"));
    }

    @SuppressWarnings("unchecked")
    private static Option<Object> cast(Option<?> option) {
        return (Option<Object>) option;
    }

    /** The pool, if there is one, and the embedded writes' session, closed once everything that writes through them has stopped. */
    @Bean
    DisposableBean ledgerConnectionsClosed(ConnectionFactory connections, UsageStore store) {
        return () -> {
            store.close();
            if (connections instanceof ConnectionPool pool) pool.dispose();
        };
    }

    static boolean embedded(String url) {
        return url.startsWith("r2dbc:h2:file:") || url.startsWith("r2dbc:h2:mem:");
    }

    /**
     * Spring Boot's pool settings, with one change: connections are made on the bounded-elastic scheduler, not
     * on r2dbc-pool's default, Reactor's single non-blocking thread, as a driver may block while making one.
     */
    static ConnectionPool pool(ConnectionFactory driver, R2dbcProperties.Pool settings) {
        PropertyMapper map = PropertyMapper.get();
        ConnectionPoolConfiguration.Builder pool = ConnectionPoolConfiguration.builder(driver)
                .allocatorSubscribeOn(Schedulers.boundedElastic());
        map.from(settings.getInitialSize()).to(pool::initialSize);
        map.from(settings.getMaxSize()).to(pool::maxSize);
        map.from(settings.getMinIdle()).to(pool::minIdle);
        map.from(settings.getMaxIdleTime()).to(pool::maxIdleTime);
        map.from(settings.getMaxLifeTime()).to(pool::maxLifeTime);
        map.from(settings.getMaxAcquireTime()).to(pool::maxAcquireTime);
        map.from(settings.getAcquireRetry()).to(pool::acquireRetry);
        map.from(settings.getMaxCreateConnectionTime()).to(pool::maxCreateConnectionTime);
        map.from(settings.getMaxValidationTime()).to(pool::maxValidationTime);
        map.from(settings.getValidationQuery()).whenHasText().to(pool::validationQuery);
        map.from(settings.getValidationDepth()).to(pool::validationDepth);
        return new ConnectionPool(pool.build());
    }

    /** A database server's writes go on a connection of the writer's own, outside the pool (see {@link ServerLedgerWrites}). */
    @Bean
    UsageStore usageStore(ConnectionFactory connections, R2dbcProperties r2dbc) {
        if (!embedded(r2dbc.getUrl())) {
            return new UsageStore(connections, connections instanceof ConnectionPool pool ? pool.unwrap() : connections);
        }
        return new UsageStore(connections, EmbeddedLedgerWrites.forUrl(r2dbc.getUrl(), r2dbc.getUsername(), r2dbc.getPassword(),
                r2dbc.getProperties()));
    }

    @Bean
    UsageLedger usageLedger(UsageStore store, UsageProperties properties, MeterRegistry meters) {
        // at start-up, not in the first request that needs an estimate: an event loop must not read a jar
        TokenEstimator.load();
        return new UsageLedger(store, new UsageJournal(properties.journal()), meters);
    }
}
