package dev.switchboard.usage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.store.SqliteDatabase;

/**
 * Brings a ledger an earlier release kept in an H2 file into the SQLite file, on the first start that finds
 * it: every record (with its hour's rollup), every key's granted and used credits exactly as they were, and
 * the stored responses. The records go through the store's own idempotent write, so an import cut short is
 * simply run again on the next start; only when it is whole is the H2 file renamed {@code *.imported}, kept
 * for the operator to delete. The journal those releases wrote has the same format and is replayed as usual.
 */
public final class H2LedgerImport {
    private static final Logger log = LoggerFactory.getLogger(H2LedgerImport.class);
    private static final int BATCH = 500;

    private H2LedgerImport() {}

    /** @return how many records were imported; 0 when there is no H2 file */
    public static long importIfPresent(Path h2File, SqliteDatabase into) {
        if (!Files.isRegularFile(h2File)) return 0;
        String name = h2File.toAbsolutePath().toString();
        String base = name.substring(0, name.length() - ".mv.db".length());
        log.info("Importing the H2 ledger {} into {}", h2File, into.file());
        long records;
        try (Connection h2 = DriverManager.getConnection("jdbc:h2:file:" + base + ";MODE=PostgreSQL;ACCESS_MODE_DATA=r;IFEXISTS=TRUE")) {
            records = importRecords(h2, into);
            importBalances(h2, into);
            importResponses(h2, into);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not import the H2 ledger " + h2File + ": " + e.getMessage()
                    + " (the gateway retries on its next start; the file is left as it was)", e);
        }
        try {
            Files.move(h2File, Path.of(name + ".imported"), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException("Imported " + h2File + " but could not rename it; it would be imported again (harmlessly)", e);
        }
        log.info("Imported {} usage records, the key balances and the stored responses from {}; it is kept as {}.imported",
                records, h2File, h2File.getFileName());
        return records;
    }

    private static long importRecords(Connection h2, SqliteDatabase into) throws SQLException {
        SqliteUsageStore store = new SqliteUsageStore(into);
        long count = 0;
        try (Statement s = h2.createStatement(); ResultSet rows = s.executeQuery("SELECT * FROM usage_records ORDER BY time, id")) {
            List<UsageRecord> batch = new ArrayList<>(BATCH);
            while (rows.next()) {
                batch.add(record(rows));
                if (batch.size() == BATCH) {
                    store.write(batch).block();
                    count += batch.size();
                    batch = new ArrayList<>(BATCH);
                }
            }
            if (!batch.isEmpty()) store.write(batch).block();
            count += batch.size();
        } finally {
            store.close();
        }
        return count;
    }

    /** Each key's figures as H2 had them, over what the records' writes debited. */
    private static void importBalances(Connection h2, SqliteDatabase into) throws SQLException {
        try (Connection c = into.openWriter();
             Statement s = h2.createStatement(); ResultSet rows = s.executeQuery("SELECT key_name, granted, used FROM key_credits");
             PreparedStatement upsert = c.prepareStatement("INSERT INTO key_credits (key_name, granted, used) VALUES (?, ?, ?) "
                     + "ON CONFLICT (key_name) DO UPDATE SET granted = excluded.granted, used = excluded.used")) {
            while (rows.next()) {
                upsert.setString(1, rows.getString(1));
                upsert.setLong(2, rows.getLong(2));
                upsert.setLong(3, rows.getLong(3));
                upsert.executeUpdate();
            }
            c.commit();
        }
    }

    private static void importResponses(Connection h2, SqliteDatabase into) throws SQLException {
        try (ResultSet table = h2.getMetaData().getTables(null, null, "STORED_RESPONSES", null)) {
            if (!table.next()) return; // a release before the Responses API
        }
        try (Connection c = into.openWriter();
             Statement s = h2.createStatement();
             ResultSet rows = s.executeQuery("SELECT id, key_name, previous_response_id, created_at, expires_at, input_items, response "
                     + "FROM stored_responses");
             PreparedStatement insert = c.prepareStatement("INSERT INTO stored_responses (id, key_name, previous_response_id, "
                     + "created_at, expires_at, input_items, response) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
            while (rows.next()) {
                insert.setString(1, rows.getString(1));
                insert.setString(2, rows.getString(2));
                insert.setString(3, rows.getString(3));
                insert.setLong(4, SqliteDatabase.micros(rows.getObject(4, OffsetDateTime.class).toInstant()));
                insert.setLong(5, SqliteDatabase.micros(rows.getObject(5, OffsetDateTime.class).toInstant()));
                insert.setString(6, rows.getString(6));
                insert.setString(7, rows.getString(7));
                insert.executeUpdate();
            }
            c.commit();
        }
    }

    private static UsageRecord record(ResultSet row) throws SQLException {
        long ttft = row.getLong("ttft_ms");
        Long ttftMs = row.wasNull() ? null : ttft;
        return new UsageRecord(row.getString("id"), row.getString("request_id"), row.getObject("time", OffsetDateTime.class).toInstant(),
                row.getString("key_name"), ApiEndpoint.of(row.getString("endpoint")), row.getString("alias"), row.getString("upstream"),
                row.getString("upstream_model"), row.getBoolean("stream"), row.getInt("status"), Outcome.of(row.getString("outcome")),
                row.getInt("attempts"), row.getLong("prompt_tokens"), row.getLong("completion_tokens"), row.getLong("reasoning_tokens"),
                row.getLong("cached_tokens"), row.getLong("cache_write_tokens"), UsageSource.of(row.getString("usage_source")),
                decimal(row.getBigDecimal("cost_usd")), row.getLong("credits"), decimal(row.getBigDecimal("upstream_cost_usd")),
                decimal(row.getBigDecimal("upstream_credits")), row.getLong("latency_ms"), ttftMs);
    }

    private static BigDecimal decimal(BigDecimal d) {
        return d == null ? null : d.stripTrailingZeros();
    }
}
