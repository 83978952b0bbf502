package dev.switchboard.support;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import dev.switchboard.store.SqliteDatabase;
import dev.switchboard.usage.SqliteUsageStore;
import dev.switchboard.usage.UsageRecord;
import dev.switchboard.usage.UsageStore;

/** Reads a gateway's embedded ledger file from the test, as the gateway's own store reads it. */
public final class LedgerFiles {
    private static final Duration WAIT = Duration.ofSeconds(10);

    private LedgerFiles() {}

    public static List<UsageRecord> byRequestId(Path file, String requestId) {
        return read(file, store -> store.byRequestId(requestId).collectList().block(WAIT));
    }

    /** Every record in the file. */
    public static List<UsageRecord> all(Path file) {
        SqliteDatabase db = SqliteDatabase.open(file, SqliteDatabase.Synchronous.NORMAL);
        try (java.sql.Connection c = db.openWriter(); java.sql.Statement s = c.createStatement();
             java.sql.ResultSet rows = s.executeQuery("SELECT " + UsageStore.COLUMNS + " FROM usage_records")) {
            List<UsageRecord> out = new java.util.ArrayList<>();
            while (rows.next()) out.add(SqliteUsageStore.record(rows));
            return out;
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        } finally {
            db.close();
        }
    }

    public static Map<String, UsageStore.Balance> balances(Path file) {
        return read(file, store -> store.balances().block(WAIT));
    }

    private static <T> T read(Path file, java.util.function.Function<SqliteUsageStore, T> query) {
        SqliteDatabase db = SqliteDatabase.open(file, SqliteDatabase.Synchronous.NORMAL);
        SqliteUsageStore store = new SqliteUsageStore(db);
        try {
            return query.apply(store);
        } finally {
            store.close();
            db.close();
        }
    }
}
