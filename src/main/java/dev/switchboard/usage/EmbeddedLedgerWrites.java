package dev.switchboard.usage;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

import io.r2dbc.spi.ConnectionFactoryOptions;
import io.r2dbc.spi.Option;

/**
 * The ledger's writes into embedded H2, and the balance read after each, through H2's own JDBC API on one
 * session kept open. The rest of the store (schema, queries, grants) stays on R2DBC; both reach the same
 * database, which H2 opens once per JVM. Through r2dbc-h2 every batch opened a session and built its codec
 * table, and every bound string became a temporary CLOB (r2dbc-h2 encodes {@code String} with its CLOB codec
 * first): about a tenth of the gateway's CPU under load (README, Benchmark). A JDBC batch binds a string as a
 * string, and its counts say which records were new, so a replay that overlaps what is stored needs no
 * second pass.
 * <p>
 * Blocking, as H2 is: called from the ledger's writer thread and the bounded-elastic scheduler, never from an
 * event loop.
 */
final class EmbeddedLedgerWrites implements AutoCloseable {
    private static final String INSERT = "INSERT INTO usage_records (" + UsageStore.COLUMNS + ") VALUES ("
            + "?, ".repeat(UsageStore.COLUMN_COUNT - 1) + "?) ON CONFLICT DO NOTHING";
    private static final String ADD_USED = "UPDATE key_credits SET used = used + ? WHERE key_name = ?";
    private static final String ENSURE_KEY = "INSERT INTO key_credits (key_name, granted, used) VALUES (?, 0, 0) ON CONFLICT DO NOTHING";

    private final String url;
    private final Properties credentials;
    /** Open between batches; dropped after a failure, so the next batch starts on a fresh session. */
    private Connection connection;
    private PreparedStatement insert;
    private PreparedStatement addUsed;

    private EmbeddedLedgerWrites(String url, Properties credentials) {
        this.url = url;
        this.credentials = credentials;
    }

    /**
     * The writes for an {@code r2dbc:h2:file:} or {@code r2dbc:h2:mem:} URL, on the JDBC URL r2dbc-h2 itself
     * opens for it (the same protocol, database and settings), so both name one database.
     */
    static EmbeddedLedgerWrites forUrl(String r2dbcUrl, String username, String password, Map<String, String> properties) {
        ConnectionFactoryOptions options = ConnectionFactoryOptions.parse(r2dbcUrl);
        String protocol = (String) options.getRequiredValue(ConnectionFactoryOptions.PROTOCOL);
        String database = (String) options.getRequiredValue(ConnectionFactoryOptions.DATABASE);
        StringBuilder jdbcUrl = new StringBuilder("jdbc:h2:").append(protocol).append(':').append(database);
        Object settings = options.getValue(Option.valueOf("options"));  // r2dbc-h2's ?options=A=1;B=2
        if (settings != null) jdbcUrl.append(';').append(settings);
        properties.forEach((name, value) -> jdbcUrl.append(';').append(name).append('=').append(value));
        Properties credentials = new Properties();
        String user = username != null ? username : (String) options.getValue(ConnectionFactoryOptions.USER);
        Object secret = password != null ? password : options.getValue(ConnectionFactoryOptions.PASSWORD);
        if (user != null) credentials.setProperty("user", user);
        if (secret != null) credentials.setProperty("password", secret.toString());
        return new EmbeddedLedgerWrites(jdbcUrl.toString(), credentials);
    }

    String url() {
        return url;
    }

    Properties credentials() {
        return credentials;
    }

    /**
     * Stores the records not stored yet and debits the credits of those, in one transaction; returns how many
     * were new. A record whose id is stored already (a journal replayed after a write that did land) is skipped.
     */
    synchronized int write(List<UsageRecord> records) throws SQLException {
        return onLiveSession(() -> writeOnce(records));
    }

    private int writeOnce(List<UsageRecord> records) throws SQLException {
        Connection c = connection();
        for (UsageRecord r : records) {
            bind(insert, r);
            insert.addBatch();
        }
        int[] counts = insert.executeBatch();
        List<UsageRecord> inserted = new ArrayList<>(records.size());
        for (int i = 0; i < counts.length; i++) {
            if (counts[i] > 0 || counts[i] == Statement.SUCCESS_NO_INFO) inserted.add(records.get(i));
        }
        debit(c, inserted);
        c.commit();
        return inserted.size();
    }

    /**
     * Every key's balance, on the same session: through r2dbc-h2 the read after each batch opened a session and
     * built its codec table, 2.5% of the gateway's CPU under load. Never inside a write's transaction, as both
     * hold this object's lock.
     */
    synchronized Map<String, UsageStore.Balance> balances() throws SQLException {
        return onLiveSession(() -> {
            Connection c = connection();
            try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery("SELECT key_name, granted, used FROM key_credits")) {
                Map<String, UsageStore.Balance> balances = new HashMap<>();
                while (rows.next()) balances.put(rows.getString(1), new UsageStore.Balance(rows.getLong(2), rows.getLong(3)));
                c.commit();
                return balances;
            }
        });
    }

    private interface Work<T> {
        T run() throws SQLException;
    }

    /**
     * Runs {@code work}, rolled back and the session closed if it fails. A held session dies with its database:
     * H2's own exit hook closes it at SIGTERM while the ledger still drains, and an operator's SHUTDOWN does the
     * same. Work that failed on a session opened before is tried once more on a new one, which reopens the
     * file, as r2dbc-h2's session per batch did; a batch rolled back is written whole or not at all.
     */
    private <T> T onLiveSession(Work<T> work) throws SQLException {
        boolean held = connection != null;
        try {
            return work.run();
        } catch (SQLException | RuntimeException e) {
            drop();
            if (!held) throw e;
        }
        try {
            return work.run();
        } catch (SQLException | RuntimeException e) {
            drop();
            throw e;
        }
    }

    private void debit(Connection c, List<UsageRecord> inserted) throws SQLException {
        for (Map.Entry<String, Long> e : UsageStore.creditsPerKey(inserted).entrySet()) {
            if (addUsed(e.getKey(), e.getValue()) > 0) continue;
            // a key never debited before; update first, as H2 raises (and catches) an exception per ON CONFLICT hit
            try (PreparedStatement ensure = c.prepareStatement(ENSURE_KEY)) {
                ensure.setString(1, e.getKey());
                ensure.executeUpdate();
            }
            addUsed(e.getKey(), e.getValue());
        }
    }

    private int addUsed(String key, long credits) throws SQLException {
        addUsed.setLong(1, credits);
        addUsed.setString(2, key);
        return addUsed.executeUpdate();
    }

    private static void bind(PreparedStatement s, UsageRecord r) throws SQLException {
        int i = 1;
        s.setString(i++, r.id());
        s.setString(i++, r.requestId());
        s.setObject(i++, r.time().atOffset(ZoneOffset.UTC));
        s.setString(i++, r.key());
        s.setString(i++, r.endpoint().wireName());
        s.setString(i++, r.alias());
        s.setString(i++, r.upstream());
        s.setString(i++, r.upstreamModel());
        s.setBoolean(i++, r.stream());
        s.setInt(i++, r.status());
        s.setString(i++, r.outcome().wireName());
        s.setInt(i++, r.attempts());
        s.setLong(i++, r.promptTokens());
        s.setLong(i++, r.completionTokens());
        s.setLong(i++, r.reasoningTokens());
        s.setLong(i++, r.cachedTokens());
        s.setLong(i++, r.cacheWriteTokens());
        s.setString(i++, r.usageSource().wireName());
        s.setBigDecimal(i++, r.costUsd());
        s.setLong(i++, r.credits());
        s.setBigDecimal(i++, r.upstreamCostUsd());
        s.setBigDecimal(i++, r.upstreamCredits());
        s.setLong(i++, r.latencyMs());
        if (r.ttftMs() == null) s.setNull(i, Types.BIGINT);
        else s.setLong(i, r.ttftMs());
    }

    private Connection connection() throws SQLException {
        if (connection != null) return connection;
        Connection c = DriverManager.getConnection(url, credentials);
        try {
            c.setAutoCommit(false);
            insert = c.prepareStatement(INSERT);
            addUsed = c.prepareStatement(ADD_USED);
        } catch (SQLException e) {
            c.close();
            throw e;
        }
        connection = c;
        return c;
    }

    /** Rolls back what the failed batch did and closes the session; the next batch opens another. */
    private void drop() {
        Connection c = connection;
        connection = null;
        insert = null;
        addUsed = null;
        if (c == null) return;
        try {
            c.rollback();
        } catch (SQLException ignored) {
            // the session is gone with the database; closing it is all that is left
        }
        try {
            c.close();
        } catch (SQLException ignored) {
            // as above
        }
    }

    /**
     * Flushes what was written to the file and closes the session. At shutdown the database may be one this
     * session reopened after H2's exit hook had closed it, which nothing else would flush.
     */
    @Override
    public synchronized void close() {
        if (connection != null) {
            try (Statement s = connection.createStatement()) {
                s.execute("CHECKPOINT");
            } catch (SQLException e) {
                // closed under the session already, and flushed by whoever closed it
            }
        }
        drop();
    }
}
