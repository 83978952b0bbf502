package dev.switchboard.usage;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.protocol.Json;
import tools.jackson.core.JacksonException;

/**
 * An append-only file of usage records (one JSON object per line), written and forced to disk when the
 * store cannot take them or the queue passes its bound, and replayed into the store when it can.
 * <p>
 * Appends are serialised; a replay reads alongside them without a lock, taking only whole lines (an append
 * in progress is read on the next pass), so a replay waiting on a slow store never holds up an append. A
 * line cut short by a crash is ended when the file is opened, then skipped with a warning when replayed.
 */
public final class UsageJournal {
    private static final Logger log = LoggerFactory.getLogger(UsageJournal.class);
    private static final int READ_BUFFER = 64 * 1024;
    private final Path file;

    public UsageJournal(Path file) {
        this.file = file;
        endTornLine();
        warmUp();
    }

    /**
     * Writes and reads one record in memory. The first spill comes when the store is already behind, under
     * load; paying then for Jackson's first look at the record type (half a second, cold) let the queue run
     * thousands of records past its bound.
     */
    private static void warmUp() {
        UsageRecord sample = new UsageRecord("warm-up", "warm-up", java.time.Instant.EPOCH, "-", ApiEndpoint.CHAT_COMPLETIONS, "-", "-",
                null, false, 0, Outcome.OK, 0, 0, 0, 0, 0, 0, UsageSource.UPSTREAM, java.math.BigDecimal.ZERO, 0, null, null, 0, null);
        Json.MAPPER.readValue(Json.MAPPER.writeValueAsString(sample), UsageRecord.class);
    }

    public Path file() {
        return file;
    }

    public synchronized void append(List<UsageRecord> records) {
        if (records.isEmpty()) return;
        StringBuilder lines = new StringBuilder();
        for (UsageRecord r : records) lines.append(Json.MAPPER.writeValueAsString(r)).append('\n');
        try {
            // createDirectories throws and catches an exception when the folder is there: once, not per append
            if (file.getParent() != null && !Files.isDirectory(file.getParent())) Files.createDirectories(file.getParent());
            try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                ByteBuffer bytes = ByteBuffer.wrap(lines.toString().getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) channel.write(bytes);
                channel.force(false);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the usage journal " + file, e);
        }
    }

    public boolean isEmpty() {
        try {
            return !Files.exists(file) || Files.size(file) == 0;
        } catch (IOException e) {
            return false;
        }
    }

    /** How far a replay got: the offset up to which the file's records are in the store, and whether that is its end. */
    public record Replay(long offset, boolean complete) {}

    /**
     * Hands the records after byte {@code from} to {@code store}, {@code chunk} at a time, and stops at the
     * first chunk it refuses. Streamed, never read whole: after a long outage the file holds more records
     * than the heap. Complete when it reached what was the file's end as it read.
     */
    public Replay replay(long from, int chunk, Predicate<List<UsageRecord>> store) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long stored = from;
            long position = from;
            List<UsageRecord> records = new ArrayList<>(chunk);
            ByteBuffer buffer = ByteBuffer.allocate(READ_BUFFER);
            byte[] partial = new byte[0]; // the start of a line the buffer cut
            while (true) {
                buffer.clear();
                int n = channel.read(buffer, position);
                if (n <= 0) break;
                position += n;
                byte[] bytes = concat(partial, buffer.array(), n);
                int lineStart = 0;
                for (int i = 0; i < bytes.length; i++) {
                    if (bytes[i] != '\n') continue;
                    parse(bytes, lineStart, i, records);
                    lineStart = i + 1;
                    if (records.size() >= chunk) {
                        if (!store.test(records)) return new Replay(stored, false);
                        records = new ArrayList<>(chunk);
                        stored = position - (bytes.length - lineStart);
                    }
                }
                partial = java.util.Arrays.copyOfRange(bytes, lineStart, bytes.length);
            }
            if (!records.isEmpty() && !store.test(records)) return new Replay(stored, false);
            // a line still being appended is left for the next pass
            return new Replay(position - partial.length, partial.length == 0);
        } catch (NoSuchFileException e) {
            return new Replay(from, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void parse(byte[] bytes, int start, int end, List<UsageRecord> into) {
        if (end <= start) return;
        String line = new String(bytes, start, end - start, StandardCharsets.UTF_8);
        if (line.isBlank()) return;
        try {
            into.add(Json.MAPPER.readValue(line, UsageRecord.class));
        } catch (JacksonException e) {
            log.warn("Skipping an unreadable line of the usage journal {}", file);
        }
    }

    private static byte[] concat(byte[] head, byte[] tail, int tailLength) {
        byte[] out = new byte[head.length + tailLength];
        System.arraycopy(head, 0, out, 0, head.length);
        System.arraycopy(tail, 0, out, head.length, tailLength);
        return out;
    }

    /**
     * Empties the file once its records up to {@code offset} are safely in the store, if nothing was appended
     * after them meanwhile; otherwise leaves it for the next replay to read on from there.
     *
     * @return whether the file was emptied
     */
    public synchronized boolean clearIfReplayedTo(long offset) {
        try {
            if (Files.exists(file) && Files.size(file) != offset) return false;
            Files.deleteIfExists(file);
            return true;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Whether the journal's folder takes writes (readiness, when the store is away). */
    public boolean writable() {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            return Files.isWritable(dir);
        } catch (IOException e) {
            return false;
        }
    }

    /** A crash in the middle of an append leaves a line without its end: ended here, it is one unreadable line. */
    private synchronized void endTornLine() {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = channel.size();
            if (size == 0) return;
            ByteBuffer last = ByteBuffer.allocate(1);
            channel.read(last, size - 1);
            if (last.get(0) == '\n') return;
            log.warn("The usage journal {} ends in a line cut short (a crash while it was written); that line will be skipped", file);
            channel.write(ByteBuffer.wrap(new byte[] {'\n'}), size);
            channel.force(false);
        } catch (NoSuchFileException e) {
            // no journal yet
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the usage journal " + file, e);
        }
    }
}
