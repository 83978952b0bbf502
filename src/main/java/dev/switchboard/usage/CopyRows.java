package dev.switchboard.usage;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Records as the rows of PostgreSQL's COPY text format, in {@link UsageStore#COLUMNS}' order: tab-separated,
 * {@code \N} for null, and backslash, tab, newline and carriage return escaped in text.
 */
final class CopyRows {
    private CopyRows() {}

    static byte[] text(List<UsageRecord> records) {
        StringBuilder out = new StringBuilder(records.size() * 320);
        for (UsageRecord r : records) {
            text(out, r.id()).append('\t');
            text(out, r.requestId()).append('\t');
            // ISO-8601 in UTC, cut to the microsecond as the server keeps it and the embedded store does
            out.append(r.time().truncatedTo(java.time.temporal.ChronoUnit.MICROS)).append('\t');
            text(out, r.key()).append('\t');
            text(out, r.endpoint().wireName()).append('\t');
            text(out, r.alias()).append('\t');
            text(out, r.upstream()).append('\t');
            text(out, r.upstreamModel()).append('\t');
            out.append(r.stream() ? 't' : 'f').append('\t');
            out.append(r.status()).append('\t');
            text(out, r.outcome().wireName()).append('\t');
            out.append(r.attempts()).append('\t');
            out.append(r.promptTokens()).append('\t');
            out.append(r.completionTokens()).append('\t');
            out.append(r.reasoningTokens()).append('\t');
            out.append(r.cachedTokens()).append('\t');
            out.append(r.cacheWriteTokens()).append('\t');
            text(out, r.usageSource().wireName()).append('\t');
            decimal(out, r.costUsd()).append('\t');
            out.append(r.credits()).append('\t');
            decimal(out, r.upstreamCostUsd()).append('\t');
            decimal(out, r.upstreamCredits()).append('\t');
            out.append(r.latencyMs()).append('\t');
            if (r.ttftMs() == null) out.append("\\N");
            else out.append(r.ttftMs().longValue());
            out.append('\n');
        }
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static StringBuilder decimal(StringBuilder out, BigDecimal d) {
        return d == null ? out.append("\\N") : out.append(d.toPlainString());
    }

    private static StringBuilder text(StringBuilder out, String s) {
        if (s == null) return out.append("\\N");
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '\\' -> out.append("\\\\");
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> out.append(ch);
            }
        }
        return out;
    }
}
