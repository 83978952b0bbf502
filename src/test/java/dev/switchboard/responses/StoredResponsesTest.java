package dev.switchboard.responses;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import dev.switchboard.protocol.Json;
import dev.switchboard.store.SqliteDatabase;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;

class StoredResponsesTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private static StoredResponses store(Duration retention) {
        try {
            SqliteDatabase db = SqliteDatabase.open(Files.createTempDirectory("responses").resolve("ledger.db"), SqliteDatabase.Synchronous.NORMAL);
            return new StoredResponses(new SqliteResponseTable(db), retention);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static StoredResponses.Turn turn(String id, String previous, String said, String answered) {
        ArrayNode input = Json.MAPPER.createArrayNode();
        input.addObject().put("type", "message").put("role", "user").put("content", said);
        JsonNode response = Json.MAPPER.readTree("{\"id\":\"" + id + "\",\"status\":\"completed\",\"output\":[{\"type\":\"message\","
                + "\"role\":\"assistant\",\"content\":[{\"type\":\"output_text\",\"text\":\"" + answered + "\"}]}]}");
        return new StoredResponses.Turn(id, previous, input, response);
    }

    private static String said(JsonNode item) {
        JsonNode content = item.path("content");
        return content.isString() ? content.asString() : content.get(0).path("text").asString();
    }

    @Test
    void aConversationIsItsTurnsInputsAndOutputsOldestFirstForItsKeyOnly() {
        StoredResponses stored = store(Duration.ofDays(30));
        stored.save("team-a", turn("r1", null, "one", "uno")).block(WAIT);
        stored.save("team-a", turn("r2", "r1", "two", "dos")).block(WAIT);
        stored.save("team-a", turn("r3", "r2", "three", "tres")).block(WAIT);
        List<JsonNode> items = stored.conversation("team-a", "r3").block(WAIT);
        assertThat(items).extracting(StoredResponsesTest::said).containsExactly("one", "uno", "two", "dos", "three", "tres");
        assertThat(stored.conversation("team-b", "r3").block(WAIT)).as("another key's").isNull();
        assertThat(stored.find("team-b", "r1").block(WAIT)).isNull();
        assertThat(stored.delete("team-b", "r1").block(WAIT)).isFalse();
        assertThat(stored.delete("team-a", "r1").block(WAIT)).isTrue();
        assertThat(stored.conversation("team-a", "r3").block(WAIT)).as("a deleted first turn: the rest goes on").hasSize(4);
    }

    @Test
    void whatPassedItsRetentionIsNotFoundAndIsPurged() throws Exception {
        StoredResponses stored = store(Duration.ofMillis(1));
        stored.save("team-a", turn("old", null, "x", "y")).block(WAIT);
        Thread.sleep(20); // past a retention of 1 ms
        assertThat(stored.find("team-a", "old").block(WAIT)).isNull();
        assertThat(stored.purge().block(WAIT)).isEqualTo(1);
        assertThat(stored.purge().block(WAIT)).isZero();
    }

    /** A table whose inserts end when the test says, over a real one. */
    private static final class HeldInserts implements StoredResponses.Table {
        private final StoredResponses.Table real;
        final Sinks.Empty<Void> release = Sinks.empty();

        HeldInserts(StoredResponses.Table real) {
            this.real = real;
        }

        @Override
        public Mono<Void> insert(String key, StoredResponses.Turn turn, Instant created, Instant expires) {
            return release.asMono().then(real.insert(key, turn, created, expires));
        }

        @Override
        public Mono<StoredResponses.Turn> select(String key, String id, Instant now) {
            return real.select(key, id, now);
        }

        @Override
        public Mono<Boolean> delete(String key, String id) {
            return real.delete(key, id);
        }

        @Override
        public Mono<Long> deleteExpired(Instant now, int limit) {
            return real.deleteExpired(now, limit);
        }
    }

    @Test
    void aReadOfAResponseBeingSavedWaitsForItsSave() throws Exception {
        SqliteDatabase db = SqliteDatabase.open(Files.createTempDirectory("responses").resolve("ledger.db"), SqliteDatabase.Synchronous.NORMAL);
        HeldInserts table = new HeldInserts(new SqliteResponseTable(db));
        StoredResponses stored = new StoredResponses(table, Duration.ofDays(30));
        CompletableFuture<Void> saving = stored.save("team-a", turn("r1", null, "one", "uno")).toFuture();
        CompletableFuture<JsonNode> found = stored.find("team-a", "r1").toFuture();
        CompletableFuture<List<JsonNode>> conversation = stored.conversation("team-a", "r1").toFuture();
        assertThat(saving).isNotDone();
        assertThat(found).as("read while the save runs").isNotDone();
        assertThat(conversation).isNotDone();

        table.release.tryEmitEmpty();
        saving.get(10, TimeUnit.SECONDS);
        assertThat(found.get(10, TimeUnit.SECONDS).path("id").asString()).isEqualTo("r1");
        assertThat(conversation.get(10, TimeUnit.SECONDS)).extracting(StoredResponsesTest::said).containsExactly("one", "uno");
        assertThat(stored.find("team-a", "r2").block(WAIT)).as("no save running: read at once").isNull();
        db.close();
    }
}
