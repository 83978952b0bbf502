package dev.switchboard.admin;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.switchboard.config.ClientKey;
import dev.switchboard.config.Route;
import dev.switchboard.config.RouteReloader;
import dev.switchboard.config.RouteTable;
import dev.switchboard.config.Target;
import dev.switchboard.config.Upstream;
import dev.switchboard.protocol.Json;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code GET /admin/config}: the routes in force (no keys, no secrets) and the last refused reload, if any.
 * {@code POST /admin/reload}: reads the routes file now; 200 when applied, 422 with the problems when refused.
 */
@Configuration(proxyBeanMethods = false)
public class ConfigAdminHandler {
    private final AdminAccess access;
    private final RouteReloader reloader;

    public ConfigAdminHandler(AdminAccess access, RouteReloader reloader) {
        this.access = access;
        this.reloader = reloader;
    }

    @Bean
    RouterFunction<ServerResponse> configAdminRoutes() {
        return route(GET("/admin/config"), this::config).andRoute(POST("/admin/reload"), this::reload);
    }

    Mono<ServerResponse> config(ServerRequest request) {
        return access.guarded(request, this::config);
    }

    private Mono<ServerResponse> config(RouteTable table) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("source", table.source());
        root.put("loaded_at", table.loadedAt().toString());
        ArrayNode upstreams = root.putArray("upstreams");
        for (Upstream u : table.upstreams().values()) {
            upstreams.addObject().put("name", u.name()).put("protocol", u.protocol().name().toLowerCase())
                    .put("base_url", u.baseUrl().toString()).put("auth", u.auth().name().toLowerCase()).put("enabled", u.enabled());
        }
        ArrayNode aliases = root.putArray("routes");
        for (Route r : table.routes().values()) {
            ObjectNode node = aliases.addObject().put("alias", r.alias()).put("max_attempts", r.maxAttempts());
            ArrayNode targets = node.putArray("targets");
            for (Target t : r.targets()) targets.add(t.id());
        }
        ArrayNode keys = root.putArray("keys");
        for (ClientKey k : table.keysByDigest().values()) keys.add(k.name());
        RouteReloader.Attempt error = reloader.lastError();
        if (error == null) {
            root.putNull("reload_error");
        } else {
            ObjectNode node = root.putObject("reload_error");
            node.put("at", error.at().toString());
            ArrayNode problems = node.putArray("problems");
            error.problems().forEach(problems::add);
        }
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(Json.MAPPER.writeValueAsBytes(root));
    }

    Mono<ServerResponse> reload(ServerRequest request) {
        return access.guarded(request, table -> Mono.fromCallable(reloader::reload)
                .subscribeOn(Schedulers.boundedElastic()) // file I/O stays off the event loop
                .flatMap(attempt -> {
                    ObjectNode body = Json.MAPPER.createObjectNode();
                    body.put("applied", attempt.applied());
                    ArrayNode problems = body.putArray("problems");
                    attempt.problems().forEach(problems::add);
                    return ServerResponse.status(attempt.applied() ? 200 : 422).contentType(MediaType.APPLICATION_JSON)
                            .bodyValue(Json.MAPPER.writeValueAsBytes(body));
                }));
    }
}
