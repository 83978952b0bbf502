package dev.switchboard.usage;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The embedded H2 store's write path as releases before the SQLite store shipped it (one JDBC session held,
 * one transaction per batch, H2 in PostgreSQL mode with a 2 MB page cache), kept only so
 * {@link LedgerStoreBenchmark} measures it beside SQLite.
 */
final class H2LedgerWrites implements AutoCloseable {
    private static final String INSERT = "INSERT INTO usage_records (" + UsageStore.COLUMNS + ") VALUES ("
            + "?, ".repeat(UsageStore.COLUMN_COUNT - 1) + "?) ON CONFLICT DO NOTHING";

    private final Connection c;
    private final PreparedStatement insert;
    private final PreparedStatement addUsed;

    H2LedgerWrites(String file) throws SQLException {
        c = DriverManager.getConnection("jdbc:h2:file:" + file + ";MODE=PostgreSQL;DB_CLOSE_DELAY=-1;CACHE_SIZE=2048");
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS usage_records (id VARCHAR(64) PRIMARY KEY, request_id VARCHAR(128) NOT NULL, "
                    + "time TIMESTAMP WITH TIME ZONE NOT NULL, key_name VARCHAR(200) NOT NULL, endpoint VARCHAR(40) NOT NULL, "
                    + "alias VARCHAR(200) NOT NULL, upstream VARCHAR(200) NOT NULL, upstream_model VARCHAR(300), "
                    + "stream BOOLEAN NOT NULL, status INT NOT NULL, outcome VARCHAR(30) NOT NULL, attempts INT NOT NULL, "
                    + "prompt_tokens BIGINT NOT NULL, completion_tokens BIGINT NOT NULL, reasoning_tokens BIGINT NOT NULL, "
                    + "cached_tokens BIGINT NOT NULL, cache_write_tokens BIGINT NOT NULL, usage_source VARCHAR(20) NOT NULL, "
                    + "cost_usd DECIMAL(30,15) NOT NULL, credits BIGINT NOT NULL, upstream_cost_usd DECIMAL(30,15), "
                    + "upstream_credits DECIMAL(30,6), latency_ms BIGINT NOT NULL, ttft_ms BIGINT)");
            s.execute("CREATE INDEX IF NOT EXISTS usage_records_time ON usage_records (time)");
            s.execute("CREATE INDEX IF NOT EXISTS usage_records_request ON usage_records (request_id)");
            s.execute("CREATE TABLE IF NOT EXISTS key_credits (key_name VARCHAR(200) PRIMARY KEY, "
                    + "granted BIGINT NOT NULL DEFAULT 0, used BIGINT NOT NULL DEFAULT 0)");
        }
        c.setAutoCommit(false);
        insert = c.prepareStatement(INSERT);
        addUsed = c.prepareStatement("UPDATE key_credits SET used = used + ? WHERE key_name = ?");
    }

    void write(List<UsageRecord> records) throws SQLException {
        for (UsageRecord r : records) {
            int i = 1;
            insert.setString(i++, r.id());
            insert.setString(i++, r.requestId());
            insert.setObject(i++, r.time().atOffset(ZoneOffset.UTC));
            insert.setString(i++, r.key());
            insert.setString(i++, r.endpoint().wireName());
            insert.setString(i++, r.alias());
            insert.setString(i++, r.upstream());
            insert.setString(i++, r.upstreamModel());
            insert.setBoolean(i++, r.stream());
            insert.setInt(i++, r.status());
            insert.setString(i++, r.outcome().wireName());
            insert.setInt(i++, r.attempts());
            insert.setLong(i++, r.promptTokens());
            insert.setLong(i++, r.completionTokens());
            insert.setLong(i++, r.reasoningTokens());
            insert.setLong(i++, r.cachedTokens());
            insert.setLong(i++, r.cacheWriteTokens());
            insert.setString(i++, r.usageSource().wireName());
            insert.setBigDecimal(i++, r.costUsd());
            insert.setLong(i++, r.credits());
            insert.setBigDecimal(i++, r.upstreamCostUsd());
            insert.setBigDecimal(i++, r.upstreamCredits());
            insert.setLong(i++, r.latencyMs());
            if (r.ttftMs() == null) insert.setNull(i, Types.BIGINT);
            else insert.setLong(i, r.ttftMs());
            insert.addBatch();
        }
        int[] counts = insert.executeBatch();
        List<UsageRecord> inserted = new ArrayList<>();
        for (int i = 0; i < counts.length; i++) if (counts[i] > 0) inserted.add(records.get(i));
        for (Map.Entry<String, Long> e : UsageStore.creditsPerKey(inserted).entrySet()) {
            addUsed.setLong(1, e.getValue());
            addUsed.setString(2, e.getKey());
            if (addUsed.executeUpdate() == 0) {
                try (PreparedStatement ensure = c.prepareStatement("INSERT INTO key_credits (key_name, granted, used) VALUES (?, 0, ?)")) {
                    ensure.setString(1, e.getKey());
                    ensure.setLong(2, e.getValue());
                    ensure.executeUpdate();
                }
            }
        }
        c.commit();
    }

    @Override
    public void close() throws SQLException {
        c.close();
    }
}
