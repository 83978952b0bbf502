package dev.switchboard.usage;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The ledger's database: {@link SqliteUsageStore} embedded, {@link PostgresUsageStore} for several replicas.
 * Writes are idempotent by record id; a record's credits are debited from its key and its tokens and cost
 * added to its hour's rollup in the transaction that stores it, so a replayed record is neither stored,
 * debited nor summed twice. Summaries read the hourly rollups, never the raw records.
 * <p>
 * {@link #write}, {@link #balances} and {@link #purge} are the ledger's writer's, called from its own thread;
 * the reads run on the bounded-elastic scheduler, never on an event loop.
 */
public interface UsageStore {
    /** The record's columns, in the order both stores write them. */
    String COLUMNS = "id, request_id, time, key_name, endpoint, alias, upstream, upstream_model, stream, status, "
            + "outcome, attempts, prompt_tokens, completion_tokens, reasoning_tokens, cached_tokens, cache_write_tokens, "
            + "usage_source, cost_usd, credits, upstream_cost_usd, upstream_credits, latency_ms, ttft_ms";
    int COLUMN_COUNT = COLUMNS.split(",").length;

    /** A key's shared balance: credits granted through the admin API, credits used by its records. */
    record Balance(long granted, long used) {}

    /** Totals per key, alias or upstream. */
    record Summary(String group, long requests, long promptTokens, long completionTokens, long reasoningTokens,
                   long cachedTokens, long cacheWriteTokens, BigDecimal costUsd, long credits) {}

    /** A group's sums over one hour or one day (UTC) of a chart: requests, tokens, cost and credits. */
    record Point(Instant bucket, String group, long requests, long promptTokens, long completionTokens, BigDecimal costUsd, long credits) {}

    /** The buckets of a chart. */
    enum Bucket {
        HOUR, DAY;

        public Instant start(Instant t) {
            return t.truncatedTo(this == HOUR ? ChronoUnit.HOURS : ChronoUnit.DAYS);
        }
    }

    /** What a summary may be grouped by. */
    enum Grouping {
        KEY("key_name"), ALIAS("alias"), UPSTREAM("upstream");

        public final String column;

        Grouping(String column) {
            this.column = column;
        }
    }

    /** Brings the schema to the current version; safe on every start and from every replica. */
    Mono<Void> migrate();

    /** Stores the records not stored yet, debits their credits and adds them to their rollups, in one transaction. */
    Mono<Void> write(List<UsageRecord> records);

    /** Every key's balance, as the ledger's writer reads it after each batch. */
    Mono<Map<String, Balance>> balances();

    Mono<Void> grant(String key, long credits);

    /** Newest first, each filter optional. */
    default Flux<UsageRecord> find(String key, String alias, String upstream, Instant from, Instant to, int limit) {
        return find(new RecordQuery(key, alias, upstream, null, from, to, null), limit);
    }

    /**
     * One page of the request log, newest first. Every filter alone walks an index of its own in time order
     * (key, alias, upstream, outcome), so a page costs about its own size whatever the ledger holds.
     */
    Flux<UsageRecord> find(RecordQuery query, int limit);

    /** Records per outcome over {@code [from, to)}, each outcome counted on its own stretch of the outcome index. */
    Mono<Map<Outcome, Long>> count(Set<Outcome> outcomes, Instant from, Instant to);

    Flux<UsageRecord> byRequestId(String requestId);

    /**
     * Totals per group over whole hours (UTC): from the hour holding {@code from} to the hour holding {@code to},
     * each bound optional.
     */
    Flux<Summary> summary(Grouping by, Instant from, Instant to);

    /**
     * Sums per bucket and group, oldest first, from the hourly or daily rollups: every bucket that starts at or
     * after the one holding {@code from} and before {@code to}.
     */
    Flux<Point> series(Grouping by, Bucket bucket, Instant from, Instant to);

    /**
     * Deletes up to {@code limit} records older than {@code recordsBefore} and rollups of hours before
     * {@code rollupsBefore}; returns how many rows went, so the caller goes on in small batches.
     */
    Mono<Long> purge(Instant recordsBefore, Instant rollupsBefore, int limit);

    /** Closes the writer's connection, once the ledger's writer has stopped. */
    void close();

    /** The credits the records debit, summed per key, in the order the keys first appear. */
    static Map<String, Long> creditsPerKey(List<UsageRecord> records) {
        Map<String, Long> perKey = new LinkedHashMap<>();
        for (UsageRecord r : records) {
            if (r.credits() > 0) perKey.merge(r.key(), r.credits(), Long::sum);
        }
        return perKey;
    }

    /** The maximum rows one query of the request log returns. */
    int MAX_FIND = 1000;

    static int findLimit(int limit) {
        return Math.max(1, Math.min(limit, MAX_FIND));
    }
}
