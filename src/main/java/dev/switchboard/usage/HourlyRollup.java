package dev.switchboard.usage;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One batch's additions to the hourly rollups: the newly stored records summed per hour (UTC), key, alias and
 * upstream, so a batch updates one rollup row per group rather than one per record.
 */
record HourlyRollup(Instant hour, String key, String alias, String upstream, long requests, long promptTokens,
                    long completionTokens, long reasoningTokens, long cachedTokens, long cacheWriteTokens,
                    BigDecimal costUsd, long credits) {

    private static final BigInteger FEMTOS_PER_MICRO = BigInteger.valueOf(1_000_000_000L);

    static Collection<HourlyRollup> of(List<UsageRecord> stored) {
        Map<Group, HourlyRollup> sums = new LinkedHashMap<>();
        for (UsageRecord r : stored) {
            Group g = new Group(r.time().truncatedTo(ChronoUnit.HOURS), r.key(), r.alias(), r.upstream());
            HourlyRollup one = new HourlyRollup(g.hour(), g.key(), g.alias(), g.upstream(), 1, r.promptTokens(), r.completionTokens(),
                    r.reasoningTokens(), r.cachedTokens(), r.cacheWriteTokens(), r.costUsd(), r.credits());
            sums.merge(g, one, HourlyRollup::plus);
        }
        return sums.values();
    }

    private HourlyRollup plus(HourlyRollup o) {
        return new HourlyRollup(hour, key, alias, upstream, requests + o.requests, promptTokens + o.promptTokens,
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

    private record Group(Instant hour, String key, String alias, String upstream) {}
}
