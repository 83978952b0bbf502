package dev.switchboard.store;

import javax.sql.DataSource;

import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ledger's schema, versioned by Flyway: {@code db/migration/sqlite} and {@code db/migration/postgresql}.
 * Several replicas starting together are safe: Flyway takes a lock on PostgreSQL and each migration runs once.
 */
public final class Migrations {
    private static final Logger log = LoggerFactory.getLogger(Migrations.class);

    private Migrations() {}

    public static MigrateResult sqlite(DataSource db) {
        return migrate(Flyway.configure().dataSource(db).locations("classpath:db/migration/sqlite"));
    }

    /**
     * A database a release before versioned migrations made has the tables and no history: it is baselined at
     * version 0, and V1, which makes each table only if it is missing, leaves it as it was.
     */
    public static MigrateResult postgres(String jdbcUrl, String user, String password) {
        return migrate(Flyway.configure().dataSource(jdbcUrl, user, password).locations("classpath:db/migration/postgresql")
                .baselineOnMigrate(true).baselineVersion("0").baselineDescription("schema before versioned migrations"));
    }

    private static MigrateResult migrate(org.flywaydb.core.api.configuration.FluentConfiguration config) {
        MigrateResult result = config.load().migrate();
        if (result.migrationsExecuted > 0) {
            log.info("Ledger schema migrated from version {} to {} ({} migrations)", result.initialSchemaVersion,
                    result.targetSchemaVersion, result.migrationsExecuted);
        }
        return result;
    }
}
