package dev.switchboard.responses;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;

import dev.switchboard.protocol.Json;
import io.r2dbc.spi.ConnectionFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

/**
 * Responses the gateway keeps for {@code previous_response_id} and {@code GET}/{@code DELETE
 * /v1/responses/{id}}: for each, the turn's input items, the response as its client got it, the response it
 * continued, and the key that made it (another key's response is not found). In the ledger's database, so
 * every replica finds every response, and a conversation goes on on any target, of any protocol. Kept for
 * the retention, then deleted in small batches off the request path. Embedded H2 does its file I/O on the
 * subscribing thread: everything here runs on the bounded-elastic scheduler.
 */
public class StoredResponses {
    private static final Logger log = LoggerFactory.getLogger(StoredResponses.class);
    /** A conversation longer than this many turns is refused rather than read back whole. */
    static final int MAX_TURNS = 10_000;
    private static final int PURGE_BATCH = 500;

    private static final List<String> SCHEMA = List.of(
            "CREATE TABLE IF NOT EXISTS stored_responses (id VARCHAR(100) PRIMARY KEY, key_name VARCHAR(200) NOT NULL, "
                    + "previous_response_id VARCHAR(100), created_at TIMESTAMP WITH TIME ZONE NOT NULL, "
                    + "expires_at TIMESTAMP WITH TIME ZONE NOT NULL, input_items VARCHAR NOT NULL, response VARCHAR NOT NULL)",
            "CREATE INDEX IF NOT EXISTS stored_responses_expiry ON stored_responses (expires_at)");

    /** One stored turn. */
    public record Turn(String id, String previousResponseId, ArrayNode input, JsonNode response) {}

    private final DatabaseClient db;
    private final Duration retention;

    public StoredResponses(ConnectionFactory connections, Duration retention) {
        this.db = DatabaseClient.create(connections);
        this.retention = retention;
    }

    public Duration retention() {
        return retention;
    }

    public Mono<Void> migrate() {
        return Flux.fromIterable(SCHEMA).concatMap(sql -> db.sql(sql).then()).then().subscribeOn(Schedulers.boundedElastic());
    }

    /** Keeps a turn; a response kept before under the same id (a retried store) stays as it was. */
    public Mono<Void> save(String key, Turn turn) {
        Instant now = Instant.now();
        DatabaseClient.GenericExecuteSpec insert = db.sql("INSERT INTO stored_responses (id, key_name, previous_response_id, created_at, "
                        + "expires_at, input_items, response) VALUES (:id, :key, :previous, :created, :expires, :input, :response) "
                        + "ON CONFLICT DO NOTHING")
                .bind("id", turn.id()).bind("key", key)
                .bind("created", now.atOffset(ZoneOffset.UTC)).bind("expires", now.plus(retention).atOffset(ZoneOffset.UTC))
                .bind("input", Json.MAPPER.writeValueAsString(turn.input()))
                .bind("response", Json.MAPPER.writeValueAsString(turn.response()));
        insert = turn.previousResponseId() == null ? insert.bindNull("previous", String.class) : insert.bind("previous", turn.previousResponseId());
        return insert.then().subscribeOn(Schedulers.boundedElastic());
    }

    /** The response as its client got it, if this key made it and it has not expired. */
    public Mono<JsonNode> find(String key, String id) {
        return row(key, id).map(Turn::response);
    }

    /**
     * The conversation up to and with response {@code id}: each turn's input items, then its output items,
     * oldest first. Empty if this key made no such response, or it expired.
     */
    public Mono<List<JsonNode>> conversation(String key, String id) {
        return Mono.defer(() -> walk(key, id, new ArrayList<>()))
                .map(turns -> {
                    Collections.reverse(turns);
                    List<JsonNode> items = new ArrayList<>();
                    for (Turn t : turns) {
                        t.input().forEach(items::add);
                        t.response().path("output").forEach(items::add);
                    }
                    return items;
                });
    }

    private Mono<List<Turn>> walk(String key, String id, List<Turn> newestFirst) {
        if (newestFirst.size() >= MAX_TURNS) return Mono.error(new IllegalStateException("a conversation of more than " + MAX_TURNS + " turns"));
        return row(key, id).flatMap(turn -> {
            newestFirst.add(turn);
            return turn.previousResponseId() == null ? Mono.just(newestFirst) : walk(key, turn.previousResponseId(), newestFirst)
                    .switchIfEmpty(Mono.just(newestFirst)); // an older turn that expired: the conversation starts later
        });
    }

    /** @return whether this key's response was there to delete */
    public Mono<Boolean> delete(String key, String id) {
        return db.sql("DELETE FROM stored_responses WHERE id = :id AND key_name = :key").bind("id", id).bind("key", key)
                .fetch().rowsUpdated().map(n -> n > 0).subscribeOn(Schedulers.boundedElastic());
    }

    /** Deletes what expired, a batch at a time; returns how many went. */
    public Mono<Long> purge() {
        return db.sql("DELETE FROM stored_responses WHERE id IN (SELECT id FROM stored_responses WHERE expires_at < :now LIMIT "
                        + PURGE_BATCH + ")")
                .bind("now", OffsetDateTime.now(ZoneOffset.UTC)).fetch().rowsUpdated()
                .expand(n -> n >= PURGE_BATCH ? db.sql("DELETE FROM stored_responses WHERE id IN (SELECT id FROM stored_responses "
                        + "WHERE expires_at < :now LIMIT " + PURGE_BATCH + ")").bind("now", OffsetDateTime.now(ZoneOffset.UTC))
                        .fetch().rowsUpdated() : Mono.empty())
                .reduce(0L, Long::sum)
                .doOnNext(n -> {
                    if (n > 0) log.info("Deleted {} stored responses past their retention of {}", n, retention);
                })
                .subscribeOn(Schedulers.boundedElastic());
    }

    private Mono<Turn> row(String key, String id) {
        return db.sql("SELECT id, previous_response_id, input_items, response FROM stored_responses "
                        + "WHERE id = :id AND key_name = :key AND expires_at > :now")
                .bind("id", id).bind("key", key).bind("now", OffsetDateTime.now(ZoneOffset.UTC))
                .map(r -> new Turn(r.get("id", String.class), r.get("previous_response_id", String.class),
                        (ArrayNode) Json.MAPPER.readTree(r.get("input_items", String.class)), Json.MAPPER.readTree(r.get("response", String.class))))
                .one()
                .subscribeOn(Schedulers.boundedElastic());
    }
}
