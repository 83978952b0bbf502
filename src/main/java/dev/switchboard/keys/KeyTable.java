package dev.switchboard.keys;

import java.util.List;

import reactor.core.publisher.Mono;

/**
 * Where virtual keys and teams live: the ledger's database, embedded ({@link SqliteKeyTable}) or PostgreSQL
 * ({@link PostgresKeyTable}). Rows are JSON documents by name; every change counts up one version number,
 * which replicas poll to see a change without reading every row.
 */
public interface KeyTable {
    /** The two kinds of row. */
    enum Kind {
        KEYS("virtual_keys"), TEAMS("teams");

        final String table;

        Kind(String table) {
            this.table = table;
        }
    }

    Mono<Long> version();

    Mono<List<String>> documents(Kind kind);

    /** @return false if a row of that name exists already */
    Mono<Boolean> insert(Kind kind, String name, String document);

    /** @return false if there is no row of that name */
    Mono<Boolean> update(Kind kind, String name, String document);

    /** @return false if there is no row of that name */
    Mono<Boolean> delete(Kind kind, String name);
}
