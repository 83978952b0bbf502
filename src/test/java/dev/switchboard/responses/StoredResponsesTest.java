package dev.switchboard.responses;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

import dev.switchboard.protocol.Json;
import dev.switchboard.store.SqliteDatabase;
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
}
