package dev.switchboard.store;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.BiConsumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.PropertyMapper;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.boot.r2dbc.ConnectionFactoryBuilder;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.pool.ConnectionPoolConfiguration;
import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import io.r2dbc.spi.ConnectionFactory;
import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;
import reactor.core.scheduler.Schedulers;

/**
 * Which database the ledger uses: PostgreSQL when {@code spring.r2dbc.url} names one, else the embedded
 * SQLite file {@code switchboard.ledger.file}.
 */
@Configuration(proxyBeanMethods = false)
@EnableConfigurationProperties(R2dbcProperties.class)
public class StoreConfiguration {
    private static final Logger log = LoggerFactory.getLogger(StoreConfiguration.class);

    /**
     * @param file        the embedded ledger's SQLite file
     * @param synchronous NORMAL: a commit survives any crash of the process; FULL: a power loss of the host too
     *                    (one fsync per batch)
     * @param importH2    an earlier release's H2 ledger ({@code *.mv.db}) to import on start, if the file is there;
     *                    by default {@code switchboard.mv.db} beside {@link #file}
     */
    @ConfigurationProperties("switchboard.ledger")
    public record LedgerProperties(@DefaultValue("data/switchboard.db") Path file,
                                   @DefaultValue("NORMAL") SqliteDatabase.Synchronous synchronous,
                                   Path importH2) {
        /**
         * The H2 file to import: {@link #importH2}, else the one an {@code r2dbc:h2:file:} URL still set in
         * {@code spring.r2dbc.url} names, else {@code switchboard.mv.db} beside {@link #file}.
         */
        public Path h2File(String r2dbcUrl) {
            if (importH2 != null) return importH2;
            if (r2dbcUrl != null && r2dbcUrl.startsWith("r2dbc:h2:file:")) {
                String database = (String) ConnectionFactoryOptions.parse(r2dbcUrl).getRequiredValue(ConnectionFactoryOptions.DATABASE);
                int settings = database.indexOf(';');
                return Path.of((settings < 0 ? database : database.substring(0, settings)) + ".mv.db");
            }
            Path dir = file.toAbsolutePath().getParent();
            return dir == null ? Path.of("switchboard.mv.db") : dir.resolve("switchboard.mv.db");
        }
    }

    @Bean(destroyMethod = "") // closed by the ledger once its writer has stopped (usage.UsageConfiguration)
    LedgerDatabase ledgerDatabase(R2dbcProperties r2dbc, LedgerProperties ledger) {
        String url = r2dbc.getUrl();
        if (url != null && postgres(url)) {
            ConnectionFactory driver = driver(r2dbc);
            ConnectionFactory pool = r2dbc.getPool().isEnabled() ? pool(driver, r2dbc.getPool()) : driver;
            ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(url.replace("r2dbc:pool:", "r2dbc:"));
            String user = r2dbc.getUsername() != null ? r2dbc.getUsername() : (String) options.getValue(ConnectionFactoryOptions.USER);
            Object password = r2dbc.getPassword() != null ? r2dbc.getPassword() : options.getValue(ConnectionFactoryOptions.PASSWORD);
            return new PostgresDatabase(pool, driver, PostgresDatabase.jdbcUrl(url), user, password == null ? null : password.toString());
        }
        if (url != null && !url.isBlank()) {
            if (!url.startsWith("r2dbc:h2:file:")) throw new IllegalStateException("spring.r2dbc.url: the ledger runs on PostgreSQL "
                    + "(r2dbc:postgresql://...) or, with no URL, on the embedded SQLite file switchboard.ledger.file; not on " + url.replaceAll(":[^:@/]*@", ":***@"));
            log.warn("spring.r2dbc.url names an H2 file, which the ledger no longer uses: it is imported into {} and the URL can go",
                    ledger.file().toAbsolutePath());
        }
        // an H2 ledger of an earlier release is imported by the ledger (usage.UsageConfiguration)
        return SqliteDatabase.open(ledger.file(), ledger.synchronous());
    }

    static boolean postgres(String url) {
        return url.startsWith("r2dbc:postgresql:") || url.startsWith("r2dbc:pool:postgresql:");
    }

    /** The driver's connections, as Spring Boot makes them from {@code spring.r2dbc.*}, with deadlines unless set. */
    static ConnectionFactory driver(R2dbcProperties r2dbc) {
        PropertyMapper map = PropertyMapper.get();
        ConnectionFactoryBuilder driver = ConnectionFactoryBuilder.withUrl(r2dbc.getUrl().replace("r2dbc:pool:", "r2dbc:"));
        map.from(r2dbc.getUsername()).to(driver::username);
        map.from(r2dbc.getPassword()).to(driver::password);
        driver.configure(options -> {
            r2dbc.getProperties().forEach((name, value) -> options.option(Option.valueOf(name), value));
            deadlines(options, ConnectionFactoryOptions.parse(r2dbc.getUrl().replace("r2dbc:pool:", "r2dbc:")), r2dbc.getProperties());
        });
        return driver.build();
    }

    /**
     * Deadlines on every PostgreSQL connection, each unless the URL or {@code spring.r2dbc.properties} sets it:
     * the client gives up opening a connection after 5 s, and the server ends a statement after 10 s, a wait
     * for a lock after 5 s and a session left inside a transaction for 15 s (its client gone, or its COMMIT
     * lost), so a batch the network swallowed cannot hold locks the next batches wait on. TCP keep-alive lets
     * the kernel find a peer that vanished (on its own timers). The application name marks the gateway's
     * sessions in {@code pg_stat_activity}.
     * <p>
     * Every statement is planned for its own values ({@code plan_cache_mode=force_custom_plan}): the driver
     * prepares statements once per connection, and after five runs PostgreSQL may switch to a generic plan
     * that assumes an average value. For the request log that plan walks the time index filtering on, say,
     * an outcome; for an outcome that is rare or absent it reads the whole table instead of finding nothing
     * in the outcome index at once.
     */
    public static void deadlines(ConnectionFactoryOptions.Builder options, ConnectionFactoryOptions given, Map<String, String> properties) {
        BiConsumer<Option<Object>, Object> unlessSet = (option, value) -> {
            if (!given.hasOption(option) && !properties.containsKey(option.name())) options.option(option, value);
        };
        unlessSet.accept(cast(ConnectionFactoryOptions.CONNECT_TIMEOUT), Duration.ofSeconds(5));
        unlessSet.accept(cast(PostgresqlConnectionFactoryProvider.STATEMENT_TIMEOUT), Duration.ofSeconds(10));
        unlessSet.accept(cast(PostgresqlConnectionFactoryProvider.LOCK_WAIT_TIMEOUT), Duration.ofSeconds(5));
        unlessSet.accept(cast(PostgresqlConnectionFactoryProvider.TCP_KEEPALIVE), true);
        unlessSet.accept(cast(PostgresqlConnectionFactoryProvider.APPLICATION_NAME), "switchboard");
        unlessSet.accept(cast(PostgresqlConnectionFactoryProvider.OPTIONS), Map.of("idle_in_transaction_session_timeout", "15s",
                "plan_cache_mode", "force_custom_plan"));
    }

    @SuppressWarnings("unchecked")
    private static Option<Object> cast(Option<?> option) {
        return (Option<Object>) option;
    }

    /**
     * Spring Boot's pool settings, with one change: connections are made on the bounded-elastic scheduler, not
     * on r2dbc-pool's default, Reactor's single non-blocking thread, as a driver may block while making one.
     */
    public static ConnectionPool pool(ConnectionFactory driver, R2dbcProperties.Pool settings) {
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
}
