package dev.switchboard.admin;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.function.Function;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.switchboard.config.CurrentRouteTable;
import dev.switchboard.config.RouteTable;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.Json;
import dev.switchboard.usage.UsageLedger;
import dev.switchboard.usage.UsageStore;
import reactor.core.publisher.Mono;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/**
 * The ledger behind the admin key: records ({@code GET /admin/usage}, {@code /admin/usage/{request_id}}),
 * and totals ({@code /admin/usage/summary?group_by=key|alias|upstream}); keys' balances are {@link KeysAdminHandler}'s.
 */
@Configuration(proxyBeanMethods = false)
public class UsageAdminHandler {
    /** Amounts as plain decimals (0.00042, not 4.2E-4), as people read them. */
    private static final JsonMapper SNAKE = JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(tools.jackson.core.StreamWriteFeature.WRITE_BIGDECIMAL_AS_PLAIN).build();
    private static final Map<String, UsageStore.Grouping> GROUPINGS = Map.of("key", UsageStore.Grouping.KEY,
            "alias", UsageStore.Grouping.ALIAS, "upstream", UsageStore.Grouping.UPSTREAM);

    private final CurrentRouteTable routes;
    private final UsageLedger ledger;

    public UsageAdminHandler(CurrentRouteTable routes, UsageLedger ledger) {
        this.routes = routes;
        this.ledger = ledger;
    }

    @Bean
    RouterFunction<ServerResponse> usageAdminRoutes() {
        return route(GET("/admin/usage/summary"), this::summary)
                .andRoute(GET("/admin/usage/{requestId}"), this::byRequestId)
                .andRoute(GET("/admin/usage"), this::list);
    }

    private Mono<ServerResponse> guarded(ServerRequest request, Function<RouteTable, Mono<ServerResponse>> body) {
        return AdminAccess.guarded(routes, request, body);
    }

    Mono<ServerResponse> list(ServerRequest request) {
        return guarded(request, table -> {
            int limit = request.queryParam("limit").map(UsageAdminHandler::positiveInt).orElse(100);
            return ledger.store().find(request.queryParam("key").orElse(null), request.queryParam("alias").orElse(null),
                            request.queryParam("upstream").orElse(null), instant(request, "from"), instant(request, "to"), limit)
                    .collectList().flatMap(records -> json(Map.of("records", records)));
        });
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
