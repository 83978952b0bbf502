package dev.switchboard.usage;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * One batch's additions to the rollups: the newly stored records summed per hour (and per day) in UTC, key,
 * alias and upstream, so a batch updates one rollup row per group rather than one per record. Summaries read
 * whole days from the daily rollups and the hours at either end from the hourly ones.
 */
record UsageRollup(Instant start, String key, String alias, String upstream, long requests, long promptTokens,
                    long completionTokens, long reasoningTokens, long cachedTokens, long cacheWriteTokens,
                    BigDecimal costUsd, long credits) {

    private static final BigInteger FEMTOS_PER_MICRO = BigInteger.valueOf(1_000_000_000L);
    private static final long SECONDS_PER_HOUR = 3_600;

    /** The groups in the order they first appear in {@code stored}. */
    static List<UsageRollup> hourly(List<UsageRecord> stored) {
        Map<Group, Sum> sums = new HashMap<>();
        List<Sum> order = new ArrayList<>();
        Sum last = null;
        for (UsageRecord r : stored) {
            long hour = Math.floorDiv(r.time().getEpochSecond(), SECONDS_PER_HOUR);
            // a batch mostly runs in one group for a while: no lookup (and no key object) while it does
            Sum sum = last != null && last.holds(hour, r) ? last : null;
            if (sum == null) {
                Group group = new Group(hour, r.key(), r.alias(), r.upstream());
                sum = sums.get(group);
                if (sum == null) {
                    sum = new Sum(hour, r);
                    sums.put(group, sum);
                    order.add(sum);
                }
            }
            sum.add(r);
            last = sum;
        }
        List<UsageRollup> rollups = new ArrayList<>(order.size());
        for (Sum s : order) rollups.add(s.rollup());
        return rollups;
    }

    /** The hourly sums summed again per day (UTC), key, alias and upstream. */
    static List<UsageRollup> daily(List<UsageRollup> hourly) {
        Map<List<Object>, UsageRollup> days = new java.util.LinkedHashMap<>();
        for (UsageRollup h : hourly) {
            Instant day = h.start().truncatedTo(java.time.temporal.ChronoUnit.DAYS);
            UsageRollup asDay = new UsageRollup(day, h.key(), h.alias(), h.upstream(), h.requests(), h.promptTokens(), h.completionTokens(),
                    h.reasoningTokens(), h.cachedTokens(), h.cacheWriteTokens(), h.costUsd(), h.credits());
            days.merge(List.of(day, h.key(), h.alias(), h.upstream()), asDay, UsageRollup::plus);
        }
        return new ArrayList<>(days.values());
    }

    private UsageRollup plus(UsageRollup o) {
        return new UsageRollup(start, key, alias, upstream, requests + o.requests, promptTokens + o.promptTokens,
                completionTokens + o.completionTokens, reasoningTokens + o.reasoningTokens, cachedTokens + o.cachedTokens,
                cacheWriteTokens + o.cacheWriteTokens, costUsd.add(o.costUsd), UsageLedger.saturatedSum(credits, o.credits));
    }

    /**
     * The cost as whole micro-dollars and the rest below one in femto-dollars (15 decimals, as the server's
     * column keeps): two integers SQLite sums exactly, where a femto-dollar total would overflow past $9,223.
     */
    long[] costMicrosAndFemtoRest() {
        BigInteger[] parts = costUsd.setScale(15, RoundingMode.HALF_UP).unscaledValue().divideAndRemainder(FEMTOS_PER_MICRO);
        return new long[] {parts[0].longValue(), parts[1].longValue()};
    }

    /** The inverse of {@link #costMicrosAndFemtoRest}, for sums of both. */
    static BigDecimal costUsd(long micros, long femtoRest) {
        return BigDecimal.valueOf(micros, 6).add(BigDecimal.valueOf(femtoRest, 15)).stripTrailingZeros();
    }

    private record Group(long hour, String key, String alias, String upstream) {}

    /** A group's running sums: one object per group, not one per record. */
    private static final class Sum {
        final long hour;
        final UsageRecord first;
        long requests, prompt, completion, reasoning, cached, cacheWrite, credits;
        BigDecimal cost = BigDecimal.ZERO;

        Sum(long hour, UsageRecord first) {
            this.hour = hour;
            this.first = first;
        }

        boolean holds(long hour, UsageRecord r) {
            return this.hour == hour && first.key().equals(r.key()) && first.alias().equals(r.alias()) && first.upstream().equals(r.upstream());
        }

        void add(UsageRecord r) {
            requests++;
            prompt += r.promptTokens();
            completion += r.completionTokens();
            reasoning += r.reasoningTokens();
            cached += r.cachedTokens();
            cacheWrite += r.cacheWriteTokens();
            cost = cost.add(r.costUsd());
            credits = UsageLedger.saturatedSum(credits, r.credits());
        }

        UsageRollup rollup() {
            return new UsageRollup(Instant.ofEpochSecond(hour * SECONDS_PER_HOUR), first.key(), first.alias(), first.upstream(), requests,
                    prompt, completion, reasoning, cached, cacheWrite, cost, credits);
        }
    }

    /**
     * The whole hours of a summary from the hour of {@code from} to the end of the hour of {@code to} (either
     * open), split into the whole days within, read from the daily rollups, and the hours before and after
     * them, read from the hourly ones. A span shorter than a day is hours only.
     */
    record Span(Instant hoursFrom, Instant daysFrom, Instant daysTo, Instant hoursTo) {
        static final Instant FIRST = Instant.EPOCH;
        static final Instant LAST = Instant.parse("9999-01-01T00:00:00Z");

        static Span of(Instant from, Instant to) {
            Instant start = from == null ? FIRST : from.truncatedTo(java.time.temporal.ChronoUnit.HOURS);
            Instant end = to == null ? LAST : to.truncatedTo(java.time.temporal.ChronoUnit.HOURS).plus(java.time.Duration.ofHours(1));
            Instant firstDay = start.truncatedTo(java.time.temporal.ChronoUnit.DAYS);
            if (firstDay.isBefore(start)) firstDay = firstDay.plus(java.time.Duration.ofDays(1));
            Instant lastDay = end.truncatedTo(java.time.temporal.ChronoUnit.DAYS);
            if (!firstDay.isBefore(lastDay)) return new Span(start, end, end, end);
            return new Span(start, firstDay, lastDay, end);
        }
    }
}
