package dev.switchboard.admin;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.switchboard.config.RouteTable;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.Json;
import dev.switchboard.usage.Outcome;
import dev.switchboard.usage.RecordQuery;
import dev.switchboard.usage.UsageLedger;
import dev.switchboard.usage.UsageStore;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * The ledger behind the admin key: records ({@code GET /admin/usage}, {@code /admin/usage/{request_id}}),
 * totals ({@code /admin/usage/summary?group_by=key|alias|upstream}), and the dashboard's headline figures
 * ({@code /admin/usage/overview}) and charts ({@code /admin/usage/series}); keys' balances are
 * {@link KeysAdminHandler}'s.
 */
@Configuration(proxyBeanMethods = false)
public class UsageAdminHandler {
    /** Amounts as plain decimals (0.00042, not 4.2E-4), as people read them. */
    private static final JsonMapper SNAKE = JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(tools.jackson.core.StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build();
    private static final Map<String, UsageStore.Grouping> GROUPINGS = Map.of("key", UsageStore.Grouping.KEY,
            "alias", UsageStore.Grouping.ALIAS, "upstream", UsageStore.Grouping.UPSTREAM);

    private final AdminAccess access;
    private final UsageLedger ledger;

    public UsageAdminHandler(AdminAccess access, UsageLedger ledger) {
        this.access = access;
        this.ledger = ledger;
    }

    @Bean
    RouterFunction<ServerResponse> usageAdminRoutes() {
        return route(GET("/admin/usage/summary"), this::summary)
                .andRoute(GET("/admin/usage/overview"), this::overview)
                .andRoute(GET("/admin/usage/series"), this::series)
                .andRoute(GET("/admin/usage/{requestId}"), this::byRequestId)
                .andRoute(GET("/admin/usage"), this::list);
    }

    private Mono<ServerResponse> guarded(ServerRequest request, Function<RouteTable, Mono<ServerResponse>> body) {
        return access.guarded(request, body);
    }

    /**
     * One page of the request log, newest first, filtered by key, alias, upstream, outcome and time; {@code next}
     * is the cursor of the page after it ({@code before=}), null on the last page.
     */
    Mono<ServerResponse> list(ServerRequest request) {
        return guarded(request, table -> {
            int limit = request.queryParam("limit").map(UsageAdminHandler::positiveInt).orElse(100);
            RecordQuery query = new RecordQuery(request.queryParam("key").orElse(null), request.queryParam("alias").orElse(null),
                    request.queryParam("upstream").orElse(null), request.queryParam("outcome").filter(o -> !o.isEmpty())
                            .map(UsageAdminHandler::outcome).orElse(null),
                    instant(request, "from"), instant(request, "to"),
                    request.queryParam("before").filter(b -> !b.isEmpty()).map(RecordQuery.Cursor::parse).orElse(null));
            int pageSize = UsageStore.findLimit(limit);
            return ledger.store().find(query, pageSize).collectList().flatMap(records -> {
                Map<String, Object> body = new LinkedHashMap<>();
                body.put("records", records);
                body.put("next", records.size() == pageSize ? RecordQuery.Cursor.after(records.getLast()).text() : null);
                return json(body);
            });
        });
    }

    /**
     * The dashboard's headline figures for today (since midnight UTC, as the rollups are kept), the last 7 and
     * the last 30 days: requests, tokens, cost and credits from the rollups, and the records that ended in each
     * outcome other than {@code ok} counted on the outcome index.
     */
    Mono<ServerResponse> overview(ServerRequest request) {
        return guarded(request, table -> {
            Instant now = Instant.now();
            Map<String, Instant> periods = new LinkedHashMap<>();
            periods.put("today", now.truncatedTo(ChronoUnit.DAYS));
            periods.put("7d", now.minus(Duration.ofDays(7)));
            periods.put("30d", now.minus(Duration.ofDays(30)));
            return Flux.fromIterable(periods.entrySet())
                    .concatMap(period -> Mono.zip(
                            ledger.store().summary(UsageStore.Grouping.ALIAS, period.getValue(), now).collectList(),
                            ledger.store().count(NOT_OK, period.getValue(), null))
                            .map(sums -> Map.entry(period.getKey(), totals(period.getValue(), sums.getT1(), sums.getT2()))))
                    .collectMap(Map.Entry::getKey, Map.Entry::getValue, LinkedHashMap::new)
                    .flatMap(totals -> json(Map.of("now", now, "periods", totals)));
        });
    }

    private static final Set<Outcome> NOT_OK = EnumSet.complementOf(EnumSet.of(Outcome.OK));
    /** The outcomes that count as errors: the upstream's or the gateway's, not a client that left or was refused. */
    private static final Set<Outcome> ERRORS = EnumSet.of(Outcome.UPSTREAM_ERROR, Outcome.STREAM_BROKEN, Outcome.GATEWAY_STOPPED);

    private static Map<String, Object> totals(Instant from, List<UsageStore.Summary> groups, Map<Outcome, Long> outcomes) {
        long requests = 0, prompt = 0, completion = 0, reasoning = 0, cached = 0, credits = 0;
        BigDecimal cost = BigDecimal.ZERO;
        for (UsageStore.Summary g : groups) {
            requests += g.requests();
            prompt += g.promptTokens();
            completion += g.completionTokens();
            reasoning += g.reasoningTokens();
            cached += g.cachedTokens();
            credits += g.credits();
            cost = cost.add(g.costUsd());
        }
        Map<String, Object> totals = new LinkedHashMap<>();
        totals.put("from", from);
        totals.put("requests", requests);
        totals.put("prompt_tokens", prompt);
        totals.put("completion_tokens", completion);
        totals.put("reasoning_tokens", reasoning);
        totals.put("cached_tokens", cached);
        totals.put("cost_usd", cost.stripTrailingZeros());
        totals.put("credits", credits);
        totals.put("errors", outcomes.entrySet().stream().filter(e -> ERRORS.contains(e.getKey())).mapToLong(Map.Entry::getValue).sum());
        Map<String, Long> byOutcome = new LinkedHashMap<>();
        outcomes.forEach((outcome, n) -> byOutcome.put(outcome.wireName(), n));
        totals.put("outcomes", byOutcome);
        return totals;
    }

    /**
     * A chart's points from the rollups: {@code group_by} key, alias or upstream; {@code bucket} hour or day;
     * {@code from} (default 24 hours ago) and {@code to} (default now). At most 2,000 buckets.
     */
    Mono<ServerResponse> series(ServerRequest request) {
        return guarded(request, table -> {
            String groupBy = request.queryParam("group_by").orElse("alias");
            UsageStore.Grouping grouping = GROUPINGS.get(groupBy);
            if (grouping == null) throw new IllegalArgumentException("group_by must be key, alias or upstream");
            String bucketName = request.queryParam("bucket").orElse("hour");
            UsageStore.Bucket bucket = switch (bucketName) {
                case "hour" -> UsageStore.Bucket.HOUR;
                case "day" -> UsageStore.Bucket.DAY;
                default -> throw new IllegalArgumentException("bucket must be hour or day");
            };
            Instant to = Optional.ofNullable(instant(request, "to")).orElseGet(Instant::now);
            Instant from = Optional.ofNullable(instant(request, "from")).orElse(to.minus(Duration.ofDays(1)));
            if (!from.isBefore(to)) throw new IllegalArgumentException("from must be before to");
            long buckets = Duration.between(bucket.start(from), to).toHours() / (bucket == UsageStore.Bucket.HOUR ? 1 : 24);
            if (buckets > MAX_BUCKETS) {
                throw new IllegalArgumentException("from and to span more than " + MAX_BUCKETS + " " + bucketName + "s: use bucket=day or a shorter span");
            }
            return ledger.store().series(grouping, bucket, from, to).collectList()
                    .flatMap(points -> json(Map.of("group_by", groupBy, "bucket", bucketName, "from", bucket.start(from), "to", to,
                            "points", points)));
        });
    }

    private static final int MAX_BUCKETS = 2_000;

    private static Outcome outcome(String name) {
        try {
            return Outcome.of(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("outcome must be one of " + Arrays.stream(Outcome.values()).map(Outcome::wireName).toList());
        }
    }

    Mono<ServerResponse> byRequestId(ServerRequest request) {
        return guarded(request, table -> ledger.store().byRequestId(request.pathVariable("requestId")).collectList()
                .flatMap(records -> records.isEmpty()
                        ? AdminAccess.error(404, ErrorKind.MODEL_NOT_FOUND, "No usage record for request " + request.pathVariable("requestId"))
                        : json(Map.of("records", records))));
    }

    Mono<ServerResponse> summary(ServerRequest request) {
        return guarded(request, table -> {
            String groupBy = request.queryParam("group_by").orElse("key");
            UsageStore.Grouping grouping = GROUPINGS.get(groupBy);
            if (grouping == null) throw new IllegalArgumentException("group_by must be key, alias or upstream");
            // over whole hours (UTC): the ledger's hourly rollups, never its raw records
            return ledger.store().summary(grouping, instant(request, "from"), instant(request, "to")).collectList()
                    .flatMap(groups -> json(Map.of("group_by", groupBy, "groups", groups)));
        });
    }

    private static Mono<ServerResponse> json(Object body) {
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(SNAKE.writeValueAsBytes(body));
    }

    private static Instant instant(ServerRequest request, String name) {
        return request.queryParam(name).map(v -> {
            try {
                return Instant.parse(v);
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException(name + " must be an ISO-8601 instant such as 2026-11-23T00:00:00Z");
            }
        }).orElse(null);
    }

    private static int positiveInt(String value) {
        try {
            int n = Integer.parseInt(value);
            if (n > 0) return n;
        } catch (NumberFormatException e) {
            // fall through
        }
        throw new IllegalArgumentException("limit must be a positive whole number");
    }
}
