package dev.switchboard.keys;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import dev.switchboard.store.SqliteDatabase;
import reactor.core.publisher.Mono;

/** Virtual keys and teams in the embedded SQLite file, on its pooled connections. */
public final class SqliteKeyTable implements KeyTable {
    private final SqliteDatabase db;

    public SqliteKeyTable(SqliteDatabase db) {
        this.db = db;
    }

    @Override
    public Mono<Long> version() {
        return db.onPooled(c -> {
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT version FROM key_changes")) {
                return r.next() ? r.getLong(1) : 0L;
            }
        });
    }

    @Override
    public Mono<List<String>> documents(Kind kind) {
        return db.onPooled(c -> {
            List<String> rows = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet r = s.executeQuery("SELECT document FROM " + kind.table + " ORDER BY name")) {
                while (r.next()) rows.add(r.getString(1));
            }
            return rows;
        });
    }

    @Override
    public Mono<Boolean> insert(Kind kind, String name, String document) {
        return changing("INSERT INTO " + kind.table + " (name, document) VALUES (?, ?) ON CONFLICT DO NOTHING", name, document);
    }

    @Override
    public Mono<Boolean> update(Kind kind, String name, String document) {
        return changing("UPDATE " + kind.table + " SET document = ? WHERE name = ?", document, name);
    }

    @Override
    public Mono<Boolean> delete(Kind kind, String name) {
        return changing("DELETE FROM " + kind.table + " WHERE name = ?", name);
    }

    /** The change and the version's count in one transaction: a replica that sees the version sees the change. */
    private Mono<Boolean> changing(String sql, String... parameters) {
        return db.onPooledWrite(c -> {
            c.setAutoCommit(false);
            try {
                boolean changed;
                try (PreparedStatement s = c.prepareStatement(sql)) {
                    for (int i = 0; i < parameters.length; i++) s.setString(i + 1, parameters[i]);
                    changed = s.executeUpdate() > 0;
                }
                if (changed) bump(c);
                c.commit();
                return changed;
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        });
    }

    private static void bump(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE key_changes SET version = version + 1");
        }
    }
}
