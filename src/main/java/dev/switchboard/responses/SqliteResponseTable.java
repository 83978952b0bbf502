package dev.switchboard.responses;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;

import dev.switchboard.protocol.Json;
import dev.switchboard.store.SqliteDatabase;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ArrayNode;

/** Stored responses in the embedded SQLite file, on its pooled connections; times in microseconds since the epoch. */
public final class SqliteResponseTable implements StoredResponses.Table {
    private final SqliteDatabase db;

    public SqliteResponseTable(SqliteDatabase db) {
        this.db = db;
    }

    @Override
    public Mono<Void> insert(String key, StoredResponses.Turn turn, Instant created, Instant expires) {
        String input = Json.MAPPER.writeValueAsString(turn.input());
        String response = Json.MAPPER.writeValueAsString(turn.response());
        return db.onPooledWrite(c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO stored_responses (id, key_name, previous_response_id, created_at, "
                    + "expires_at, input_items, response) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
                s.setString(1, turn.id());
                s.setString(2, key);
                s.setString(3, turn.previousResponseId());
                s.setLong(4, SqliteDatabase.micros(created));
                s.setLong(5, SqliteDatabase.micros(expires));
                s.setString(6, input);
                s.setString(7, response);
                return s.executeUpdate();
            }
        }).then();
    }

    @Override
    public Mono<StoredResponses.Turn> select(String key, String id, Instant now) {
        return db.onPooled(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT id, previous_response_id, input_items, response FROM stored_responses "
                    + "WHERE id = ? AND key_name = ? AND expires_at > ?")) {
                s.setString(1, id);
                s.setString(2, key);
                s.setLong(3, SqliteDatabase.micros(now));
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) return null;
                    return new StoredResponses.Turn(r.getString(1), r.getString(2), (ArrayNode) Json.MAPPER.readTree(r.getString(3)),
                            Json.MAPPER.readTree(r.getString(4)));
                }
            }
        });
    }

    @Override
    public Mono<Boolean> delete(String key, String id) {
        return db.onPooledWrite(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM stored_responses WHERE id = ? AND key_name = ?")) {
                s.setString(1, id);
                s.setString(2, key);
                return s.executeUpdate() > 0;
            }
        });
    }

    @Override
    public Mono<Long> deleteExpired(Instant now, int limit) {
        return db.onPooledWrite(c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM stored_responses WHERE rowid IN "
                    + "(SELECT rowid FROM stored_responses WHERE expires_at < ? LIMIT ?)")) {
                s.setLong(1, SqliteDatabase.micros(now));
                s.setInt(2, limit);
                return (long) s.executeUpdate();
            }
        });
    }
}
