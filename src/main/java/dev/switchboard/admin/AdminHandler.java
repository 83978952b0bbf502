package dev.switchboard.admin;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.switchboard.config.Price;
import dev.switchboard.config.Route;
import dev.switchboard.config.RouteTable;
import dev.switchboard.config.Target;
import dev.switchboard.health.HealthRegistry;
import dev.switchboard.health.TargetHealth;
import dev.switchboard.protocol.Json;
import dev.switchboard.routing.RoutePlanner;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The admin view of target health, behind the admin key ({@link AdminAccess}).
 * {@code GET /admin/upstreams}: every target with its prices, circuit, cooldown, latency, error rate and last
 * error, and per alias the target its next typical request would try first.
 */
@Configuration(proxyBeanMethods = false)
public class AdminHandler {
    private final AdminAccess access;
    private final HealthRegistry health;
    private final RoutePlanner planner;

    public AdminHandler(AdminAccess access, HealthRegistry health, RoutePlanner planner) {
        this.access = access;
        this.health = health;
        this.planner = planner;
    }

    @Bean
    RouterFunction<ServerResponse> adminRoutes() {
        return route(GET("/admin/upstreams"), this::upstreams);
    }

    Mono<ServerResponse> upstreams(ServerRequest request) {
        return access.guarded(request, this::upstreams);
    }

    private Mono<ServerResponse> upstreams(RouteTable table) {

        Map<String, List<String>> routesByTarget = new LinkedHashMap<>();
        Map<String, Target> targets = new LinkedHashMap<>();
        for (Route route : table.routes().values()) {
            for (Target t : route.targets()) {
                targets.putIfAbsent(t.id(), t);
                routesByTarget.computeIfAbsent(t.id(), id -> new ArrayList<>()).add(route.alias());
            }
        }
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode list = root.putArray("targets");
        targets.forEach((id, t) -> {
            ObjectNode node = list.addObject();
            node.put("id", id);
            node.put("upstream", t.upstream().name());
            node.put("model", t.model());
            node.put("protocol", t.upstream().protocol().name().toLowerCase());
            node.put("enabled", t.upstream().enabled());
            ArrayNode aliases = node.putArray("routes");
            routesByTarget.get(id).forEach(aliases::add);
            Price p = t.price();
            node.putObject("price").put("input_per_million_usd", p.input()).put("output_per_million_usd", p.output())
                    .put("cached_input_per_million_usd", p.cachedInput()).put("cache_write_per_million_usd", p.cacheWrite())
                    .put("per_request_usd", p.perRequest());
            TargetHealth h = health.find(id);
            node.put("circuit", h == null ? "CLOSED" : h.circuitState().name());
            node.put("circuit_opened_at", h == null ? null : text(h.openedAt()));
            node.put("cooldown", h == null ? "NONE" : h.cooldown().name());
            node.put("cooldown_until", h == null ? null : text(h.cooldownUntil()));
            if (h == null || Double.isNaN(h.latencyMillis())) node.putNull("latency_ms");
            else node.put("latency_ms", Math.round(h.latencyMillis() * 10) / 10.0);
            if (h == null || h.errorRate() < 0) node.putNull("error_rate_percent");
            else node.put("error_rate_percent", h.errorRate());
            node.put("last_error", h == null ? null : h.lastError());
            node.put("last_error_at", h == null ? null : text(h.lastErrorAt()));
        });
        ArrayNode next = root.putArray("routes");
        for (Route route : table.routes().values()) {
            Target first = planner.preview(table, route);
            next.addObject().put("alias", route.alias()).put("next_target", first == null ? null : first.id());
        }
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(Json.MAPPER.writeValueAsBytes(root));
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
