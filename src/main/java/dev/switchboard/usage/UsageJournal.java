package dev.switchboard.usage;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.switchboard.protocol.Json;
import tools.jackson.core.JacksonException;

/**
 * An append-only file of usage records (one JSON object per line), written and forced to disk when the
 * store cannot take them, and replayed into the store when it can. Used by the ledger's writer thread only.
 */
public final class UsageJournal {
    private static final Logger log = LoggerFactory.getLogger(UsageJournal.class);
    private final Path file;

    public UsageJournal(Path file) {
        this.file = file;
    }

    public Path file() {
        return file;
    }

    public synchronized void append(List<UsageRecord> records) {
        if (records.isEmpty()) return;
        StringBuilder lines = new StringBuilder();
        for (UsageRecord r : records) lines.append(Json.MAPPER.writeValueAsString(r)).append('\n');
        try {
            if (file.getParent() != null) Files.createDirectories(file.getParent());
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

    /** How far a replay got: lines of the file now in the store, and whether it reached the file's end. */
    public record Replay(long lines, boolean complete) {}

    /**
     * Hands the records after the first {@code skip} lines to {@code store}, {@code chunk} at a time, and
     * stops at the first chunk it refuses. Streamed, never read whole: after a long outage the file holds
     * more records than the heap. A line cut by a crash mid-write is skipped with a warning.
     */
    public synchronized Replay replay(long skip, int chunk, Predicate<List<UsageRecord>> store) {
        if (!Files.exists(file)) return new Replay(0, true);
        long lines = 0;
        long stored = skip;
        List<UsageRecord> records = new ArrayList<>(chunk);
        try (BufferedReader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = reader.readLine()) != null) {
                if (++lines <= skip) continue;
                if (!line.isBlank()) {
                    try {
                        records.add(Json.MAPPER.readValue(line, UsageRecord.class));
                    } catch (JacksonException e) {
                        log.warn("Skipping an unreadable line of the usage journal {}", file);
                    }
                }
                if (records.size() >= chunk) {
                    if (!store.test(records)) return new Replay(stored, false);
                    stored = lines;
                    records = new ArrayList<>(chunk);
                }
            }
            if (!records.isEmpty() && !store.test(records)) return new Replay(stored, false);
            return new Replay(lines, true);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Empties the file once its records are safely in the store. */
    public synchronized void clear() {
        try {
            Files.deleteIfExists(file);
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
}
