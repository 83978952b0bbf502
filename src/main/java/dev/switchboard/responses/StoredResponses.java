package dev.switchboard.responses;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

/**
 * Responses the gateway keeps for {@code previous_response_id} and {@code GET}/{@code DELETE
 * /v1/responses/{id}}: for each, the turn's input items, the response as its client got it, the response it
 * continued, and the key that made it (another key's response is not found). In the ledger's database
 * ({@link SqliteResponseTable} or {@link PostgresResponseTable}), so every replica finds every response, and
 * a conversation goes on on any target, of any protocol. Kept for the retention, then deleted in small
 * batches off the request path.
 */
public class StoredResponses {
    private static final Logger log = LoggerFactory.getLogger(StoredResponses.class);
    /** A conversation longer than this many turns is refused rather than read back whole. */
    static final int MAX_TURNS = 10_000;
    static final int PURGE_BATCH = 500;

    /** One stored turn. */
    public record Turn(String id, String previousResponseId, ArrayNode input, JsonNode response) {}

    /** The rows, in one database's SQL; every call off the event loop. */
    public interface Table {
        /** Keeps a turn; one kept before under the same id stays as it was. */
        Mono<Void> insert(String key, Turn turn, Instant created, Instant expires);

        /** The turn, if this key made it and it had not expired at {@code now}. */
        Mono<Turn> select(String key, String id, Instant now);

        Mono<Boolean> delete(String key, String id);

        /** Deletes up to {@code limit} turns that expired before {@code now}; returns how many. */
        Mono<Long> deleteExpired(Instant now, int limit);
    }

    /**
     * How long a read waits for a save of the same id still running on this replica before it reads anyway,
     * and an answer for its response's save before it goes without.
     */
    public static final Duration SAVE_WAIT = Duration.ofSeconds(5);

    private final Table table;
    private final Duration retention;
    /**
     * The saves running on this replica, by response id, each done when its insert ended however it ended.
     * A client that takes a streamed response's id from its closing event may continue it before the save is
     * done; its next request, here, waits for it. One entry a request being answered, removed as its insert ends.
     */
    private final Map<String, CompletableFuture<Void>> saving = new ConcurrentHashMap<>();

    public StoredResponses(Table table, Duration retention) {
        this.table = table;
        this.retention = retention;
    }

    public Duration retention() {
        return retention;
    }

    /** Keeps a turn; a response kept before under the same id (a retried store) stays as it was. */
    public Mono<Void> save(String key, Turn turn) {
        return Mono.defer(() -> {
            Instant now = Instant.now();
            CompletableFuture<Void> done = new CompletableFuture<>();
            saving.put(turn.id(), done);
            return table.insert(key, turn, now, now.plus(retention)).doFinally(signal -> {
                saving.remove(turn.id(), done);
                done.complete(null);
            });
        });
    }

    /** Completes once no save of {@code id} runs on this replica, or after {@link #SAVE_WAIT}. */
    private Mono<Void> saved(String id) {
        return Mono.defer(() -> {
            CompletableFuture<Void> running = saving.get(id);
            return running == null ? Mono.<Void>empty() : Mono.fromFuture(running, true).timeout(SAVE_WAIT, Mono.empty());
        });
    }

    /** The response as its client got it, if this key made it and it has not expired. */
    public Mono<JsonNode> find(String key, String id) {
        return saved(id).then(Mono.defer(() -> table.select(key, id, Instant.now()))).map(Turn::response);
    }

    /**
     * The conversation up to and with response {@code id}: each turn's input items, then its output items,
     * oldest first. Empty if this key made no such response, or it expired.
     */
    public Mono<List<JsonNode>> conversation(String key, String id) {
        return saved(id).then(Mono.defer(() -> walk(key, id, new ArrayList<>())))
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
        return table.select(key, id, Instant.now()).flatMap(turn -> {
            newestFirst.add(turn);
            return turn.previousResponseId() == null ? Mono.just(newestFirst) : walk(key, turn.previousResponseId(), newestFirst)
                    .switchIfEmpty(Mono.just(newestFirst)); // an older turn that expired: the conversation starts later
        });
    }

    /** @return whether this key's response was there to delete */
    public Mono<Boolean> delete(String key, String id) {
        return saved(id).then(Mono.defer(() -> table.delete(key, id)));
    }

    /** Deletes what expired, a batch at a time; returns how many went. */
    public Mono<Long> purge() {
        return table.deleteExpired(Instant.now(), PURGE_BATCH)
                .expand(n -> n >= PURGE_BATCH ? table.deleteExpired(Instant.now(), PURGE_BATCH) : Mono.empty())
                .reduce(0L, Long::sum)
                .doOnNext(n -> {
                    if (n > 0) log.info("Deleted {} stored responses past their retention of {}", n, retention);
                });
    }
}
