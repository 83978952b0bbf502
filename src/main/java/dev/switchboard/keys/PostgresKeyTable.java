package dev.switchboard.keys;

import java.util.List;

import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.transaction.reactive.TransactionalOperator;
import org.springframework.r2dbc.connection.R2dbcTransactionManager;

import dev.switchboard.store.PostgresDatabase;
import reactor.core.publisher.Mono;

/** Virtual keys and teams in PostgreSQL, through the ledger's pool, once its schema is migrated. */
public final class PostgresKeyTable implements KeyTable {
    private final PostgresDatabase database;
    private final DatabaseClient db;
    private final TransactionalOperator transaction;

    public PostgresKeyTable(PostgresDatabase database) {
        this.database = database;
        this.db = DatabaseClient.create(database.pool());
        this.transaction = TransactionalOperator.create(new R2dbcTransactionManager(database.pool()));
    }

    @Override
    public Mono<Long> version() {
        return database.migrated().then(db.sql("SELECT version FROM key_changes").map(r -> r.get(0, Long.class)).one().defaultIfEmpty(0L));
    }

    @Override
    public Mono<List<String>> documents(Kind kind) {
        return database.migrated().then(db.sql("SELECT document FROM " + kind.table + " ORDER BY name")
                .map(r -> r.get(0, String.class)).all().collectList());
    }

    @Override
    public Mono<Boolean> insert(Kind kind, String name, String document) {
        return changing(db.sql("INSERT INTO " + kind.table + " (name, document) VALUES (:name, :document) ON CONFLICT DO NOTHING")
                .bind("name", name).bind("document", document));
    }

    @Override
    public Mono<Boolean> update(Kind kind, String name, String document) {
        return changing(db.sql("UPDATE " + kind.table + " SET document = :document WHERE name = :name")
                .bind("name", name).bind("document", document));
    }

    @Override
    public Mono<Boolean> delete(Kind kind, String name) {
        return changing(db.sql("DELETE FROM " + kind.table + " WHERE name = :name").bind("name", name));
    }

    /** The change and the version's count in one transaction: a replica that sees the version sees the change. */
    private Mono<Boolean> changing(DatabaseClient.GenericExecuteSpec change) {
        Mono<Boolean> both = change.fetch().rowsUpdated().flatMap(n -> n == 0 ? Mono.just(false)
                : db.sql("UPDATE key_changes SET version = version + 1").fetch().rowsUpdated().thenReturn(true));
        return database.migrated().then(transaction.transactional(both));
    }
}
