package dev.switchboard.usage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.BufferOverflowException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.CRC32C;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.switchboard.protocol.ApiEndpoint;

/**
 * Keeps the records the ledger has queued but not yet stored through a crash of the process ({@code kill -9},
 * the OOM killer): each record is copied, as it is queued, into a memory-mapped file. A store into mapped
 * memory is no system call and never waits, so the event loop that answers the request pays a copy and a
 * checksum; the kernel owns the page, and a process that dies leaves it to be written to the file anyway.
 * (A power loss of the host is another matter: that needs the store's {@code synchronous=FULL}, and loses
 * what was queued in the last moments whatever the setting.)
 * <p>
 * The log is a few fixed-size segment files. Producers reserve space in the active segment with one atomic
 * add; when it is full, the next producer swaps in a spare the ledger's spiller thread prepared (creating,
 * mapping and touching its pages off the event loop). A segment is retired once it is full and every record
 * in it has been stored or journaled: its header's generation is bumped, which makes its old entries stale
 * at once, and it becomes a spare again. On start, the current generation's intact entries of every segment
 * are appended to the journal (whence the ledger replays them, idempotently by record id), and the segments
 * retired. An entry cut short by the crash fails its checksum and is skipped with a warning.
 * <p>
 * Entry: magic, payload length, the segment's generation, CRC32C of the payload, padding, payload; 8-byte aligned.
 */
public final class RecordLog {
    private static final Logger log = LoggerFactory.getLogger(RecordLog.class);
    static final int SEGMENT_BYTES = 8 * 1024 * 1024;
    static final int MAX_SEGMENTS = 8;
    private static final int FILE_HEADER = 64;
    private static final int ENTRY_HEADER = 24;
    private static final int FILE_MAGIC = 0x53424C47; // "SBLG"
    private static final int ENTRY_MAGIC = 0x53425245; // "SBRE"
    private static final int PAGE = 4096;
    /** The largest record it logs; a longer one (ids and names are bounded well below) is only queued. */
    private static final int MAX_PAYLOAD = 16 * 1024;
    private static final byte FORMAT = 1;

    private static final ThreadLocal<ByteBuffer> SCRATCH = ThreadLocal.withInitial(() -> ByteBuffer.allocate(MAX_PAYLOAD));
    private static final ThreadLocal<CRC32C> CRC = ThreadLocal.withInitial(CRC32C::new);

    private final Path dir;
    private final AtomicReference<Segment> active = new AtomicReference<>();
    private final ConcurrentLinkedQueue<Segment> spares = new ConcurrentLinkedQueue<>();
    /** Every segment in use: active, full and not yet retired, or spare. The spiller's alone. */
    private final List<Segment> segments = new ArrayList<>();
    private final LongAdder unlogged = new LongAdder();
    private int files;
    /** Held while the log is open: two processes writing one log would overwrite each other's entries. */
    private FileChannel lockChannel;

    /** One epoch of one segment file: retiring makes a new one over the same mapping, so a late producer holding the old one finds it full. */
    public static final class Segment {
        final MappedByteBuffer map;
        final int file;
        final long generation;
        final AtomicLong reserved = new AtomicLong(FILE_HEADER);
        /** Producers that reserved (or are reserving) space; counted before the reservation, so a segment is never retired under one. */
        final AtomicLong started = new AtomicLong();
        final AtomicLong settled = new AtomicLong();

        Segment(MappedByteBuffer map, int file, long generation) {
            this.map = map;
            this.file = file;
            this.generation = generation;
        }

        boolean full() {
            return reserved.get() > SEGMENT_BYTES;
        }

        /** Full and every record in it stored or journaled. Settled first: a producer counts itself started before it reserves. */
        boolean done() {
            long s = settled.get();
            return full() && started.get() == s;
        }

        void settle() {
            settled.incrementAndGet();
        }
    }

    private RecordLog(Path dir) {
        this.dir = dir;
    }

    /**
     * Opens the log in {@code dir}: what a crash left in it goes to {@code journal} (forced to disk), then every
     * segment starts empty.
     */
    public static RecordLog open(Path dir, UsageJournal journal) {
        RecordLog rl = new RecordLog(dir);
        try {
            Files.createDirectories(dir);
            rl.lock();
            for (int i = 0; i < MAX_SEGMENTS && Files.exists(rl.path(i)); i++) {
                MappedByteBuffer map = map(rl.path(i));
                long generation = map.getLong(8);
                List<UsageRecord> left = recover(map, generation, rl.path(i));
                if (!left.isEmpty()) {
                    journal.append(left);
                    log.warn("Recovered {} usage records the last run had queued but not stored (it did not stop cleanly); they go "
                            + "through the journal {} into the store", left.size(), journal.file());
                }
                rl.files = i + 1;
                rl.segments.add(retired(map, i, generation));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the usage record log in " + dir, e);
        }
        rl.spares.addAll(rl.segments);
        rl.ensureSpare();
        rl.active.set(rl.spares.poll());
        rl.ensureSpare();
        return rl;
    }

    private void lock() throws IOException {
        lockChannel = FileChannel.open(dir.resolve("lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        boolean locked;
        try {
            locked = lockChannel.tryLock() != null;
        } catch (java.nio.channels.OverlappingFileLockException e) {
            locked = false;
        }
        if (!locked) {
            lockChannel.close();
            throw new IllegalStateException("Another gateway uses the usage record log in " + dir.toAbsolutePath()
                    + "; give each gateway its own (switchboard.usage.record-log)");
        }
    }

    /** Lets another open take the log: at a clean stop, or as a process's death would. */
    void release() {
        try {
            if (lockChannel != null) lockChannel.close();
        } catch (IOException e) {
            log.debug("Closing the record log's lock: {}", e.toString());
        }
    }

    private Path path(int i) {
        return dir.resolve("segment-" + i + ".log");
    }

    private static MappedByteBuffer map(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            if (channel.size() < SEGMENT_BYTES) channel.write(ByteBuffer.allocate(1), SEGMENT_BYTES - 1);
            return channel.map(FileChannel.MapMode.READ_WRITE, 0, SEGMENT_BYTES);
        }
    }

    /** A new epoch over the mapping: the header's generation bumped, so the old entries are stale. */
    private static Segment retired(MappedByteBuffer map, int file, long oldGeneration) {
        long generation = oldGeneration + 1;
        map.putInt(0, FILE_MAGIC);
        map.putLong(8, generation);
        return new Segment(map, file, generation);
    }

    /**
     * Copies the record into the active segment; returns the segment to settle once the record is stored or
     * journaled, or null if it could not be logged (no spare ready: the store and the journal are both far
     * behind). Never blocks.
     */
    Segment append(UsageRecord record) {
        ByteBuffer payload = SCRATCH.get().clear();
        try {
            encode(record, payload);
        } catch (BufferOverflowException e) {
            unlogged.increment();
            return null;
        }
        payload.flip();
        int length = payload.remaining();
        CRC32C crc = CRC.get();
        crc.reset();
        crc.update(payload.duplicate());
        int checksum = (int) crc.getValue();
        int size = align(ENTRY_HEADER + length);
        for (int attempt = 0; attempt < 4; attempt++) {
            Segment s = active.get();
            s.started.incrementAndGet();
            long at = s.reserved.getAndAdd(size);
            if (at + size <= SEGMENT_BYTES) {
                int pos = (int) at;
                s.map.put(pos + ENTRY_HEADER, payload, 0, length);
                s.map.putLong(pos + 8, s.generation);
                s.map.putInt(pos + 4, length);
                s.map.putInt(pos + 16, checksum);
                s.map.putInt(pos, ENTRY_MAGIC);
                return s;
            }
            s.started.decrementAndGet();
            Segment next = spares.poll();
            if (next == null) break;
            if (!active.compareAndSet(s, next)) spares.offer(next);
        }
        unlogged.increment();
        return null;
    }

    /** Records that could not be logged since the start. */
    long unlogged() {
        return unlogged.sum();
    }

    /**
     * The spiller's upkeep: full segments whose records are all settled are retired, and a spare is kept ready
     * (a new file while there are fewer than {@link #MAX_SEGMENTS}).
     */
    void maintain() {
        Segment current = active.get();
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            if (s == current || !s.done()) continue;
            Segment fresh = retired(s.map, s.file, s.generation);
            segments.set(i, fresh);
            spares.offer(fresh);
        }
        ensureSpare();
    }

    private void ensureSpare() {
        if (!spares.isEmpty() || files >= MAX_SEGMENTS) return;
        try {
            MappedByteBuffer map = map(path(files));
            // touched here, so a producer's first store into each page does not fault it in
            for (int p = 0; p < SEGMENT_BYTES; p += PAGE) map.put(p, (byte) 0);
            Segment s = retired(map, files, map.getLong(8));
            files++;
            segments.add(s);
            spares.offer(s);
        } catch (IOException e) {
            log.warn("Could not add a segment to the usage record log in {}: {}", dir, e.toString());
        }
    }

    /**
     * Takes the log again after {@link #closeClean} in the same process (a ledger stopped and started again):
     * its lock, and a fresh active segment.
     */
    void resume() {
        if (lockChannel != null && lockChannel.isOpen()) return;
        try {
            lock();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot take the usage record log in " + dir + " again", e);
        }
        spares.clear();
        spares.addAll(segments);
        active.set(spares.poll());
        ensureSpare();
    }

    /** At a clean stop, with every record stored or journaled: nothing for the next start to recover. */
    void closeClean() {
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            if (s.started.get() == s.settled.get()) segments.set(i, retired(s.map, s.file, s.generation));
        }
        for (Segment s : segments) s.map.force();
        release();
    }

    private static List<UsageRecord> recover(MappedByteBuffer map, long generation, Path file) {
        List<UsageRecord> records = new ArrayList<>();
        if (map.getInt(0) != FILE_MAGIC) return records;
        int torn = 0;
        int pos = FILE_HEADER;
        while (pos + ENTRY_HEADER <= SEGMENT_BYTES) {
            int length = map.getInt(pos + 4);
            boolean header = map.getInt(pos) == ENTRY_MAGIC && map.getLong(pos + 8) == generation && length > 0
                    && length <= MAX_PAYLOAD && pos + ENTRY_HEADER + length <= SEGMENT_BYTES;
            if (!header) {
                pos += 8; // a hole a producer reserved and never filled, or the end: look on
                continue;
            }
            ByteBuffer payload = map.slice(pos + ENTRY_HEADER, length);
            CRC32C crc = new CRC32C();
            crc.update(payload.duplicate());
            if ((int) crc.getValue() != map.getInt(pos + 16)) {
                torn++;
                pos += 8;
                continue;
            }
            try {
                records.add(decode(payload));
            } catch (RuntimeException e) {
                torn++;
            }
            pos += align(ENTRY_HEADER + length);
        }
        if (torn > 0) log.warn("Skipped {} usage records cut short in {} (written as the process died)", torn, file);
        return records;
    }

    private static int align(int n) {
        return (n + 7) & ~7;
    }

    static void encode(UsageRecord r, ByteBuffer out) {
        out.put(FORMAT);
        string(out, r.id());
        string(out, r.requestId());
        out.putLong(r.time().getEpochSecond()).putInt(r.time().getNano());
        string(out, r.key());
        string(out, r.endpoint().wireName());
        string(out, r.alias());
        string(out, r.upstream());
        string(out, r.upstreamModel());
        out.put((byte) (r.stream() ? 1 : 0)).putInt(r.status());
        string(out, r.outcome().wireName());
        out.putInt(r.attempts()).putLong(r.promptTokens()).putLong(r.completionTokens()).putLong(r.reasoningTokens())
                .putLong(r.cachedTokens()).putLong(r.cacheWriteTokens());
        string(out, r.usageSource().wireName());
        string(out, r.costUsd().toString());
        out.putLong(r.credits());
        string(out, r.upstreamCostUsd() == null ? null : r.upstreamCostUsd().toString());
        string(out, r.upstreamCredits() == null ? null : r.upstreamCredits().toString());
        out.putLong(r.latencyMs()).putLong(r.ttftMs() == null ? -1 : r.ttftMs());
    }

    static UsageRecord decode(ByteBuffer in) {
        if (in.get() != FORMAT) throw new IllegalArgumentException("unknown record format");
        String id = string(in), requestId = string(in);
        Instant time = Instant.ofEpochSecond(in.getLong(), in.getInt());
        String key = string(in);
        ApiEndpoint endpoint = ApiEndpoint.of(string(in));
        String alias = string(in), upstream = string(in), upstreamModel = string(in);
        boolean stream = in.get() != 0;
        int status = in.getInt();
        Outcome outcome = Outcome.of(string(in));
        int attempts = in.getInt();
        long prompt = in.getLong(), completion = in.getLong(), reasoning = in.getLong(), cached = in.getLong(), cacheWrite = in.getLong();
        UsageSource source = UsageSource.of(string(in));
        BigDecimal cost = new BigDecimal(string(in));
        long credits = in.getLong();
        String upstreamCost = string(in), upstreamCredits = string(in);
        long latency = in.getLong(), ttft = in.getLong();
        return new UsageRecord(id, requestId, time, key, endpoint, alias, upstream, upstreamModel, stream, status, outcome, attempts,
                prompt, completion, reasoning, cached, cacheWrite, source, cost, credits,
                upstreamCost == null ? null : new BigDecimal(upstreamCost), upstreamCredits == null ? null : new BigDecimal(upstreamCredits),
                latency, ttft < 0 ? null : ttft);
    }

    private static void string(ByteBuffer out, String s) {
        if (s == null) {
            out.putInt(-1);
            return;
        }
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        out.putInt(bytes.length).put(bytes);
    }

    private static String string(ByteBuffer in) {
        int n = in.getInt();
        if (n < 0) return null;
        if (n > in.remaining()) throw new IllegalArgumentException("a string past the record's end");
        byte[] bytes = new byte[n];
        in.get(bytes);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
