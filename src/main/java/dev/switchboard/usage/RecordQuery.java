package dev.switchboard.usage;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * A question to the request log: each filter optional, newest first, and a page's place as a cursor (the
 * last record of the page before) rather than an offset, so a deep page costs what the first one does.
 *
 * @param from inclusive
 * @param to   exclusive
 */
public record RecordQuery(String key, String alias, String upstream, Outcome outcome, Instant from, Instant to, Cursor before) {
    public static final RecordQuery ALL = new RecordQuery(null, null, null, null, null, null, null);

    /** Where a page ends: records strictly older than this one (by time, then id) come next. */
    public record Cursor(Instant time, String id) {
        /** {@code <epoch micros>_<record id>}, as {@link #text()} writes it. */
        public static Cursor parse(String text) {
            int split = text.indexOf('_');
            try {
                if (split > 0 && split < text.length() - 1) {
                    long micros = Long.parseLong(text.substring(0, split));
                    return new Cursor(Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L),
                            text.substring(split + 1));
                }
            } catch (NumberFormatException | DateTimeParseException e) {
                // refused below
            }
            throw new IllegalArgumentException("before must be the next cursor of an earlier page");
        }

        public static Cursor after(UsageRecord last) {
            return new Cursor(last.time(), last.id());
        }

        public String text() {
            return (time.getEpochSecond() * 1_000_000L + time.getNano() / 1_000) + "_" + id;
        }
    }

    static boolean given(String filter) {
        return filter != null && !filter.isEmpty();
    }
}
