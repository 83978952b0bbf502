package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.RandomAccessFile;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.protocol.Json;

/**
 * The record log through what a crash leaves: records logged and never settled come back at the next open
 * (through the journal; settled ones of a segment not yet reused may come back too, and the store skips
 * them by id), an entry cut short is skipped, and segments are reused once every record in them is settled.
 */
class RecordLogTest {
    @TempDir
    Path dir;

    private UsageJournal journal() {
        return new UsageJournal(dir.resolve("journal.jsonl"));
    }

    private List<UsageRecord> journaled() throws Exception {
        Path file = dir.resolve("journal.jsonl");
        if (!Files.exists(file)) return List.of();
        return Files.readAllLines(file).stream().filter(l -> !l.isBlank()).map(l -> Json.MAPPER.readValue(l, UsageRecord.class)).toList();
    }

    @Test
    void recordsNeverSettledComeBackWholeAtTheNextOpenOnceOnly() throws Exception {
        RecordLog log = RecordLog.open(dir.resolve("log"), journal());
        List<UsageRecord> unsettled = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            UsageRecord r = record(i);
            RecordLog.Segment segment = log.append(r);
            assertThat(segment).isNotNull();
            if (i % 2 == 0) segment.settle(); // stored: need not come back
            else unsettled.add(r);
        }
        log.release(); // the process dies here: nothing retired, only its lock gone with it
        RecordLog.open(dir.resolve("log"), journal()).release();
        assertThat(journaled()).usingRecursiveFieldByFieldElementComparator().containsAll(unsettled).hasSize(100);

        // and what came back once is not brought back again
        Files.delete(dir.resolve("journal.jsonl"));
        RecordLog.open(dir.resolve("log"), journal());
        assertThat(journaled()).isEmpty();
    }

    @Test
    void anEntryCutShortIsSkippedAndTheRestRecovered() throws Exception {
        RecordLog log = RecordLog.open(dir.resolve("log"), journal());
        List<UsageRecord> written = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            written.add(record(i));
            log.append(written.get(i));
        }
        log.release();
        // the fifth entry's payload half written when the process died: a byte in its middle never arrived
        int entry = 64;
        try (RandomAccessFile file = new RandomAccessFile(dir.resolve("log").resolve("segment-0.log").toFile(), "rw")) {
            for (int i = 0; i < 4; i++) {
                file.seek(entry + 4);
                entry += (24 + file.readInt() + 7) & ~7;
            }
            file.seek(entry + 24 + 10);
            int b = file.read();
            file.seek(entry + 24 + 10);
            file.write(b ^ 0xff);
        }
        RecordLog.open(dir.resolve("log"), journal());
        List<UsageRecord> expected = new ArrayList<>(written);
        expected.remove(4);
        assertThat(journaled()).usingRecursiveFieldByFieldElementComparator().containsExactlyInAnyOrderElementsOf(expected);
    }

    @Test
    void aFullSegmentIsReusedOnceEveryRecordInItIsSettledAndTheLogNeverOutgrowsItsBound() throws Exception {
        RecordLog log = RecordLog.open(dir.resolve("log"), journal());
        // several segments' worth, each settled soon after it is logged, as the writer does
        int records = 4 * RecordLog.SEGMENT_BYTES / 256;
        List<RecordLog.Segment> pending = new ArrayList<>();
        for (int i = 0; i < records; i++) {
            RecordLog.Segment s = log.append(record(i));
            assertThat(s).as("record " + i + " logged").isNotNull();
            pending.add(s);
            if (pending.size() == 500) {
                pending.forEach(RecordLog.Segment::settle);
                pending.clear();
                log.maintain();
            }
        }
        assertThat(log.unlogged()).isZero();
        try (var files = Files.list(dir.resolve("log"))) {
            assertThat(files.count()).as("segment files").isLessThanOrEqualTo(3);
        }
    }

    @Test
    void aSecondGatewayOnTheSameLogIsRefusedNamingTheSetting() {
        RecordLog.open(dir.resolve("log"), journal());
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> RecordLog.open(dir.resolve("log"), journal()))
                .hasMessageContaining("Another gateway uses the usage record log").hasMessageContaining("switchboard.usage.record-log");
    }

    @Test
    void aLogClosedCleanlyIsTakenAgainByTheSameProcessAndStillKeepsWhatComesAfter() throws Exception {
        RecordLog log = RecordLog.open(dir.resolve("log"), journal());
        log.append(record(0)).settle();
        log.closeClean();
        log.resume();
        UsageRecord after = record(1);
        assertThat(log.append(after)).isNotNull();
        log.release(); // and the process dies
        RecordLog.open(dir.resolve("log"), journal());
        assertThat(journaled()).usingRecursiveFieldByFieldElementComparator().containsExactly(after);
    }

    @Test
    void withNoSpareLeftARecordIsQueuedUnloggedRatherThanWaitedFor() {
        RecordLog log = RecordLog.open(dir.resolve("log"), journal());
        // nothing ever settled, nothing maintained: the active segment and the one spare fill, then no room
        int records = 3 * RecordLog.SEGMENT_BYTES / 200;
        int logged = 0;
        for (int i = 0; i < records; i++) if (log.append(record(i)) != null) logged++;
        assertThat(log.unlogged()).isPositive();
        assertThat(logged + log.unlogged()).isEqualTo(records);
    }

    private static UsageRecord record(int i) {
        return new UsageRecord(RecordId.next(), "req-" + UUID.randomUUID(), Instant.parse("2026-11-23T10:00:00.123456Z").plusSeconds(i),
                "team-" + (i % 3), ApiEndpoint.MESSAGES, "m1", "up", i % 2 == 0 ? null : "model-x", i % 2 == 0, 200, Outcome.OK, 1,
                100 + i, 20, 3, 10, 0, UsageSource.UPSTREAM, new BigDecimal("0.000123000000001"), i, i % 2 == 0 ? null : new BigDecimal("0.0001"),
                i % 3 == 0 ? new BigDecimal("12.5") : null, 12, i % 2 == 0 ? null : 40L);
    }
}
