package dev.switchboard.responses;

import java.time.Instant;
import java.time.ZoneOffset;

import org.springframework.r2dbc.core.DatabaseClient;

import dev.switchboard.protocol.Json;
import io.r2dbc.spi.ConnectionFactory;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ArrayNode;

/** Stored responses in PostgreSQL, through the ledger's pool. */
public final class PostgresResponseTable implements StoredResponses.Table {
    private final DatabaseClient db;

    public PostgresResponseTable(ConnectionFactory pool) {
        this.db = DatabaseClient.create(pool);
    }

    @Override
    public Mono<Void> insert(String key, StoredResponses.Turn turn, Instant created, Instant expires) {
        DatabaseClient.GenericExecuteSpec insert = db.sql("INSERT INTO stored_responses (id, key_name, previous_response_id, created_at, "
                        + "expires_at, input_items, response) VALUES (:id, :key, :previous, :created, :expires, :input, :response) "
                        + "ON CONFLICT DO NOTHING")
                .bind("id", turn.id()).bind("key", key)
                .bind("created", created.atOffset(ZoneOffset.UTC)).bind("expires", expires.atOffset(ZoneOffset.UTC))
                .bind("input", Json.MAPPER.writeValueAsString(turn.input()))
                .bind("response", Json.MAPPER.writeValueAsString(turn.response()));
        insert = turn.previousResponseId() == null ? insert.bindNull("previous", String.class) : insert.bind("previous", turn.previousResponseId());
        return insert.then();
    }

    @Override
    public Mono<StoredResponses.Turn> select(String key, String id, Instant now) {
        return db.sql("SELECT id, previous_response_id, input_items, response FROM stored_responses "
                        + "WHERE id = :id AND key_name = :key AND expires_at > :now")
                .bind("id", id).bind("key", key).bind("now", now.atOffset(ZoneOffset.UTC))
                .map(r -> new StoredResponses.Turn(r.get("id", String.class), r.get("previous_response_id", String.class),
                        (ArrayNode) Json.MAPPER.readTree(r.get("input_items", String.class)), Json.MAPPER.readTree(r.get("response", String.class))))
                .one();
    }

    @Override
    public Mono<Boolean> delete(String key, String id) {
        return db.sql("DELETE FROM stored_responses WHERE id = :id AND key_name = :key").bind("id", id).bind("key", key)
                .fetch().rowsUpdated().map(n -> n > 0);
    }

    @Override
    public Mono<Long> deleteExpired(Instant now, int limit) {
        return db.sql("DELETE FROM stored_responses WHERE id IN (SELECT id FROM stored_responses WHERE expires_at < :now LIMIT " + limit + ")")
                .bind("now", now.atOffset(ZoneOffset.UTC)).fetch().rowsUpdated();
    }
}
