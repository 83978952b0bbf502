package dev.switchboard.store;

/**
 * Where the ledger (usage records, balances, rollups, stored responses) lives: an embedded SQLite file by
 * default, PostgreSQL when {@code spring.r2dbc.url} names one (several replicas sharing balances).
 */
public sealed interface LedgerDatabase extends AutoCloseable permits SqliteDatabase, PostgresDatabase {
    @Override
    void close();
}
