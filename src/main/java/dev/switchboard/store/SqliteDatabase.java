package dev.switchboard.store;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The embedded ledger: one SQLite file in WAL mode. The ledger's writer holds one connection of its own and
 * writes one transaction per batch; everything else (the admin API's reads, grants, stored responses) takes
 * a connection from a small pool, for short transactions, on the bounded-elastic scheduler: SQLite does its
 * file I/O on the calling thread, which must never be an event loop.
 * <p>
 * {@code synchronous=NORMAL} (the default) syncs the WAL only at checkpoints: a commit survives any crash of
 * the process, as it is in the kernel's page cache when the call returns, but not a power loss of the host.
 * {@code FULL} syncs every commit.
 * <p>
 * The WAL stays bounded: a reader's snapshot keeps SQLite's automatic checkpoints from reaching the WAL's end,
 * and readers back to back let it grow without end. After a batch that leaves it past
 * {@link #WAL_CHECKPOINT_BYTES}, the writer runs a {@code TRUNCATE} checkpoint, which waits (up to the busy
 * timeout) for the readers of the moment to finish, copies the WAL into the file and empties it.
 */
public final class SqliteDatabase implements LedgerDatabase {
    private static final Logger log = LoggerFactory.getLogger(SqliteDatabase.class);
    /** Past this the writer checkpoints the WAL whole after its batch. */
    public static final long WAL_CHECKPOINT_BYTES = 32L * 1024 * 1024;
    /**
     * How long a write waits for another process's (this one's take turns on {@code writes}) or a checkpoint
     * for readers.
     */
    private static final int BUSY_TIMEOUT_MS = 5_000;
    private static final int READERS = 4;

    /** How a commit reaches the disk. */
    public enum Synchronous { NORMAL, FULL }

    private final Path file;
    private final Path wal;
    /**
     * Held by each of this process's writes for its transaction: SQLite has one writer at a time, and a write
     * that finds another under way sleeps in its busy handler (1, 2, 5, 10 ms and on) where this lock hands over
     * the moment the other ends. Fair, so that the ledger's batches back to back do not starve a stored
     * response its client waits for.
     */
    private final ReentrantLock writes = new ReentrantLock(true);
    private final SQLiteDataSource direct;
    private final HikariDataSource pool;

    private SqliteDatabase(Path file, Synchronous synchronous) {
        this.file = file.toAbsolutePath();
        this.wal = Path.of(this.file + "-wal");
        SQLiteConfig config = new SQLiteConfig();
        config.setJournalMode(SQLiteConfig.JournalMode.WAL);
        config.setSynchronous(synchronous == Synchronous.FULL ? SQLiteConfig.SynchronousMode.FULL : SQLiteConfig.SynchronousMode.NORMAL);
        config.setBusyTimeout(BUSY_TIMEOUT_MS);
        // a WAL emptied by a checkpoint is cut back to this size rather than kept at its largest
        config.setJournalSizeLimit((int) (WAL_CHECKPOINT_BYTES / 4));
        // small page cache: the ledger mostly appends, and the readers' pages come from the OS's cache anyway
        config.setCacheSize(-2048);
        this.direct = new SQLiteDataSource(config);
        direct.setUrl("jdbc:sqlite:" + this.file);
        HikariConfig readers = new HikariConfig();
        readers.setDataSource(direct);
        readers.setPoolName("ledger-readers");
        readers.setMaximumPoolSize(READERS);
        readers.setMinimumIdle(1);
        readers.setAutoCommit(true);
        readers.setConnectionTimeout(10_000);
        this.pool = new HikariDataSource(readers);
    }

    /** Opens (or creates) the file and brings its schema to the current version. */
    public static SqliteDatabase open(Path file, Synchronous synchronous) {
        try {
            if (file.toAbsolutePath().getParent() != null) Files.createDirectories(file.toAbsolutePath().getParent());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the ledger's folder for " + file, e);
        }
        SqliteDatabase db = new SqliteDatabase(file, synchronous);
        try {
            Migrations.sqlite(db.pool);
        } catch (RuntimeException e) {
            db.close();
            throw e;
        }
        return db;
    }

    public Path file() {
        return file;
    }

    /**
     * How the embedded ledger keeps a time: microseconds since the epoch, the precision of the server's
     * timestamps, so both stores give back the same time.
     */
    public static long micros(java.time.Instant t) {
        return Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
    }

    public static java.time.Instant instant(long micros) {
        return java.time.Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }

    /** A connection of the caller's own, outside the pool, in a transaction it commits: the ledger's writer's. */
    public Connection openWriter() throws SQLException {
        Connection c = direct.getConnection();
        c.setAutoCommit(false);
        return c;
    }

    /** A blocking call on a pooled connection, as a Mono on the bounded-elastic scheduler. */
    public <T> Mono<T> onPooled(Work<T> work) {
        return Mono.fromCallable(() -> {
            try (Connection c = pool.getConnection()) {
                return work.run(c);
            }
        }).subscribeOn(Schedulers.boundedElastic());
    }

    /**
     * A write on a pooled connection, as a Mono on the bounded-elastic scheduler: one write at a time. The
     * connection is taken before the turn, so that readers holding the pool never keep the ledger's writer
     * waiting behind a pooled write.
     */
    public <T> Mono<T> onPooledWrite(Work<T> work) {
        return Mono.fromCallable(() -> {
            try (Connection c = pool.getConnection()) {
                return writing(() -> work.run(c));
            }
        }).subscribeOn(Schedulers.boundedElastic());
    }

    /** Runs a write transaction of this process's (the ledger writer's batch, say) when no other runs. */
    public <T> T writing(Write<T> write) throws SQLException {
        try {
            writes.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted while waiting to write to " + file, e);
        }
        try {
            return write.run();
        } finally {
            writes.unlock();
        }
    }

    /** A write transaction. */
    @FunctionalInterface
    public interface Write<T> {
        T run() throws SQLException;
    }

    /** Work on a JDBC connection. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    /**
     * Empties the WAL into the file when it has grown past {@link #WAL_CHECKPOINT_BYTES}; on the writer's
     * connection, between its transactions. A checkpoint the readers keep from finishing is tried after the
     * next batch again.
     */
    public void checkpointIfLarge(Connection writer) {
        try {
            if (!Files.exists(wal) || Files.size(wal) < WAL_CHECKPOINT_BYTES) return;
            // outside a transaction: a checkpoint inside one cannot finish
            writer.setAutoCommit(true);
            try (Statement s = writer.createStatement()) {
                s.execute("PRAGMA wal_checkpoint(TRUNCATE)");
            } finally {
                writer.setAutoCommit(false);
            }
        } catch (IOException | SQLException e) {
            log.debug("WAL checkpoint of {} did not complete: {}", file, e.toString());
        }
    }

    public long walBytes() {
        try {
            return Files.exists(wal) ? Files.size(wal) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    @Override
    public void close() {
        pool.close();
    }
}
