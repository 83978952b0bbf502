package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import dev.switchboard.protocol.ApiEndpoint;

class UsageJournalTest {
    @TempDir
    Path dir;

    private static UsageRecord record() {
        return new UsageRecord(RecordId.next(), "req-" + UUID.randomUUID(), Instant.now(), "team-a", ApiEndpoint.CHAT_COMPLETIONS, "m1",
                "up", "model-x", false, 200, Outcome.OK, 1, 100, 20, 0, 0, 0, UsageSource.UPSTREAM, new BigDecimal("0.0001"),
                10, null, null, 12, null);
    }

    private static List<UsageRecord> replayAll(UsageJournal journal, long from, List<UsageJournal.Replay> ends) {
        List<UsageRecord> out = new ArrayList<>();
        ends.add(journal.replay(from, 100, out::addAll));
        return out;
    }

    @Test
    void aLineCutShortByACrashIsEndedWhenOpenedAndSkippedOnReplay() throws Exception {
        Path file = dir.resolve("journal.jsonl");
        List<UsageRecord> written = List.of(record(), record());
        new UsageJournal(file).append(written);
        Files.writeString(file, "{\"id\":\"torn", StandardCharsets.UTF_8, StandardOpenOption.APPEND); // the crash

        UsageJournal reopened = new UsageJournal(file);
        UsageRecord after = record();
        reopened.append(List.of(after));
        List<UsageJournal.Replay> ends = new ArrayList<>();
        assertThat(replayAll(reopened, 0, ends)).containsExactly(written.get(0), written.get(1), after);
        assertThat(ends.getFirst().complete()).isTrue();
        assertThat(reopened.clearIfReplayedTo(ends.getFirst().offset())).isTrue();
        assertThat(file).doesNotExist();
    }

    @Test
    void aLineStillBeingAppendedIsLeftForTheNextPass() throws Exception {
        Path file = dir.resolve("journal.jsonl");
        UsageJournal journal = new UsageJournal(file);
        UsageRecord first = record();
        journal.append(List.of(first));
        long whole = Files.size(file);
        Files.writeString(file, "{\"id\":\"half-writ", StandardCharsets.UTF_8, StandardOpenOption.APPEND); // an append under way

        List<UsageJournal.Replay> ends = new ArrayList<>();
        assertThat(replayAll(journal, 0, ends)).containsExactly(first);
        assertThat(ends.getFirst()).isEqualTo(new UsageJournal.Replay(whole, false));
        assertThat(journal.clearIfReplayedTo(whole)).as("the file goes on past the replay").isFalse();
    }

    @Test
    void theFileIsEmptiedOnlyIfNothingWasAppendedAfterTheReplay() {
        Path file = dir.resolve("journal.jsonl");
        UsageJournal journal = new UsageJournal(file);
        journal.append(List.of(record(), record()));
        List<UsageJournal.Replay> ends = new ArrayList<>();
        replayAll(journal, 0, ends);
        UsageRecord late = record();
        journal.append(List.of(late)); // the spiller, while the replay's records went to the store
        assertThat(journal.clearIfReplayedTo(ends.getFirst().offset())).isFalse();
        assertThat(replayAll(journal, ends.getFirst().offset(), ends)).containsExactly(late);
        assertThat(journal.clearIfReplayedTo(ends.getLast().offset())).isTrue();
    }
}
