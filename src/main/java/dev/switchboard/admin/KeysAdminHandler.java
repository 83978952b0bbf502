package dev.switchboard.admin;

import static org.springframework.web.reactive.function.server.RequestPredicates.DELETE;
import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.PATCH;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.switchboard.budget.Budgets;
import dev.switchboard.config.ClientKey;
import dev.switchboard.config.CurrentRouteTable;
import dev.switchboard.config.KeyDigest;
import dev.switchboard.config.KeyLimits;
import dev.switchboard.config.RouteTable;
import dev.switchboard.config.Team;
import dev.switchboard.keys.KeyDirectory;
import dev.switchboard.keys.KeyRequests;
import dev.switchboard.keys.KeyTable;
import dev.switchboard.keys.TeamRecord;
import dev.switchboard.keys.VirtualKey;
import dev.switchboard.protocol.BodyBytes;
import dev.switchboard.protocol.EchoedText;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.Json;
import dev.switchboard.usage.UsageLedger;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Client keys and teams behind the admin key. Keys of the routes file are listed and read here but changed
 * only in the file; virtual keys are made and changed here and kept in the ledger's database:
 * <ul>
 * <li>{@code GET /admin/keys}, {@code GET /admin/keys/{name}}: every key with its budget this period (spent,
 * held by requests in flight, remaining, when it starts afresh) and its limits;</li>
 * <li>{@code POST /admin/keys}: a new virtual key; the answer holds its secret, shown this once;</li>
 * <li>{@code PATCH /admin/keys/{name}}: change its team, metadata, aliases, budget, period, limits or expiry;</li>
 * <li>{@code POST /admin/keys/{name}/rotate {"grace_seconds": N}}: a new secret; the old one works N more seconds;</li>
 * <li>{@code POST /admin/keys/{name}/revoke}: refused from then on, by every replica within about a second;</li>
 * <li>{@code POST /admin/keys/{name}/credits {"add": N}}: a grant on top of its budget;</li>
 * <li>{@code GET|POST /admin/teams}, {@code GET|PATCH|DELETE /admin/teams/{name}}: teams, with their budgets.</li>
 * </ul>
 */
@Configuration(proxyBeanMethods = false)
public class KeysAdminHandler {
    private static final Logger log = LoggerFactory.getLogger(KeysAdminHandler.class);
    private static final int MAX_BODY = 64 * 1024;

    private final AdminAccess access;
    private final CurrentRouteTable routes;
    private final KeyDirectory directory;
    private final Budgets budgets;
    private final UsageLedger ledger;

    public KeysAdminHandler(AdminAccess access, CurrentRouteTable routes, KeyDirectory directory, Budgets budgets, UsageLedger ledger) {
        this.access = access;
        this.routes = routes;
        this.directory = directory;
        this.budgets = budgets;
        this.ledger = ledger;
    }

    @Bean
    RouterFunction<ServerResponse> keyRoutes() {
        return route(GET("/admin/keys"), r -> guarded(r, t -> json(200, Map.of("keys", allKeys(t)))))
                .andRoute(POST("/admin/keys"), r -> guarded(r, t -> body(r, b -> createKey(t, b))))
                .andRoute(GET("/admin/keys/{name}"), r -> guarded(r, t -> readKey(t, r.pathVariable("name"))))
                .andRoute(PATCH("/admin/keys/{name}"), r -> guarded(r, t -> body(r, b -> changeKey(t, r.pathVariable("name"), b))))
                .andRoute(POST("/admin/keys/{name}/rotate"), r -> guarded(r, t -> body(r, b -> rotate(t, r.pathVariable("name"), b))))
                .andRoute(POST("/admin/keys/{name}/revoke"), r -> guarded(r, t -> revoke(t, r.pathVariable("name"))))
                .andRoute(POST("/admin/keys/{name}/credits"), r -> guarded(r, t -> body(r, b -> grant(t, r.pathVariable("name"), b))))
                .andRoute(GET("/admin/teams"), r -> guarded(r, t -> json(200, Map.of("teams", directory.teams().values().stream().map(this::teamView).toList()))))
                .andRoute(POST("/admin/teams"), r -> guarded(r, t -> body(r, this::createTeam)))
                .andRoute(GET("/admin/teams/{name}"), r -> guarded(r, t -> readTeam(r.pathVariable("name"))))
                .andRoute(PATCH("/admin/teams/{name}"), r -> guarded(r, t -> body(r, b -> changeTeam(r.pathVariable("name"), b))))
                .andRoute(DELETE("/admin/teams/{name}"), r -> guarded(r, t -> deleteTeam(r.pathVariable("name"))));
    }

    private Mono<ServerResponse> guarded(ServerRequest request, Function<RouteTable, Mono<ServerResponse>> handler) {
        return access.guarded(request, handler);
    }

    // ---- keys

    private List<ObjectNode> allKeys(RouteTable table) {
        List<ObjectNode> views = new java.util.ArrayList<>();
        table.keysByDigest().values().forEach(k -> views.add(configuredView(k)));
        directory.keys().values().forEach(k -> views.add(virtualView(k)));
        return views;
    }

    private static ClientKey configured(RouteTable table, String name) {
        for (ClientKey k : table.keysByDigest().values()) {
            if (k.name().equals(name)) return k;
        }
        return null;
    }

    private Mono<ServerResponse> readKey(RouteTable table, String name) {
        ClientKey configured = configured(table, name);
        if (configured != null) return json(200, configuredView(configured));
        VirtualKey key = directory.key(name);
        return key == null ? noKey(name) : json(200, virtualView(key));
    }

    private Mono<ServerResponse> createKey(RouteTable table, JsonNode body) {
        String name = KeyRequests.name(body);
        Instant now = ledger.calendar().now();
        VirtualKey fields = KeyRequests.key(body, new VirtualKey(name, null, null, null, null, Map.of(), List.of(), null, "none",
                VirtualKey.Limits.NONE, null, null, now, now), now);
        checkTeam(fields.team());
        if (configured(table, name) != null) return conflict("name: the routes file has a key named '" + name + "' already");
        String secret = KeyRequests.newSecret();
        VirtualKey key = new VirtualKey(name, KeyDigest.sha256Hex(secret), null, null, fields.team(), fields.metadata(), fields.aliases(),
                fields.credits(), fields.period(), fields.limits(), fields.expiresAt(), null, now, now);
        return directory.table().insert(KeyTable.Kind.KEYS, name, document(key)).flatMap(added -> !added
                ? conflict("name: a key named '" + name + "' exists already")
                : refreshed().then(Mono.fromSupplier(() -> {
                    ObjectNode view = virtualView(key);
                    view.put("key", secret); // shown this once; only its digest is kept
                    return view;
                })).flatMap(view -> json(201, view)));
    }

    private Mono<ServerResponse> changeKey(RouteTable table, String name, JsonNode body) {
        if (configured(table, name) != null) return readOnly(name);
        VirtualKey key = directory.key(name);
        if (key == null) return noKey(name);
        if (key.revokedAt() != null) return conflict("The key '" + name + "' is revoked; make a new one");
        VirtualKey changed = KeyRequests.key(body, key, ledger.calendar().now());
        checkTeam(changed.team());
        return save(changed);
    }

    private Mono<ServerResponse> rotate(RouteTable table, String name, JsonNode body) {
        if (configured(table, name) != null) return readOnly(name);
        VirtualKey key = directory.key(name);
        if (key == null) return noKey(name);
        if (key.revokedAt() != null) return conflict("The key '" + name + "' is revoked; make a new one");
        Duration grace = KeyRequests.grace(body);
        Instant now = ledger.calendar().now();
        String secret = KeyRequests.newSecret();
        VirtualKey rotated = new VirtualKey(name, KeyDigest.sha256Hex(secret), grace.isZero() ? null : key.digest(),
                grace.isZero() ? null : now.plus(grace), key.team(), key.metadata(), key.aliases(), key.credits(), key.period(), key.limits(),
                key.expiresAt(), null, key.createdAt(), now);
        return directory.table().update(KeyTable.Kind.KEYS, name, document(rotated)).flatMap(found -> !found ? noKey(name)
                : refreshed().then(Mono.fromSupplier(() -> {
                    ObjectNode view = virtualView(rotated);
                    view.put("key", secret);
                    return view;
                })).flatMap(view -> json(200, view)));
    }

    private Mono<ServerResponse> revoke(RouteTable table, String name) {
        if (configured(table, name) != null) return readOnly(name);
        VirtualKey key = directory.key(name);
        if (key == null) return noKey(name);
        if (key.revokedAt() != null) return json(200, virtualView(key));
        Instant now = ledger.calendar().now();
        return save(new VirtualKey(name, key.digest(), null, null, key.team(), key.metadata(), key.aliases(), key.credits(), key.period(),
                key.limits(), key.expiresAt(), now, key.createdAt(), now));
    }

    private Mono<ServerResponse> save(VirtualKey key) {
        return directory.table().update(KeyTable.Kind.KEYS, key.name(), document(key))
                .flatMap(found -> !found ? noKey(key.name()) : refreshed().then(Mono.defer(() -> json(200, virtualView(key)))));
    }

    private Mono<ServerResponse> grant(RouteTable table, String name, JsonNode body) {
        ClientKey key = configured(table, name);
        if (key == null) key = directory.clientKey(name);
        if (key == null) return noKey(name);
        JsonNode add = body == null ? null : body.get("add");
        if (body == null || !body.isObject() || body.size() != 1 || add == null || !add.isIntegralNumber() || !add.canConvertToLong()
                || add.asLong() <= 0 || add.asLong() > UsageLedger.MAX_GRANT) {
            return AdminAccess.error(400, ErrorKind.INVALID_REQUEST,
                    "add: the body must be {\"add\": N}, N a whole number of credits from 1 to " + UsageLedger.MAX_GRANT);
        }
        ClientKey granted = key;
        return ledger.grant(key, add.asLong())
                .then(Mono.defer(() -> readKey(routes.get(), granted.name())))
                .onErrorResume(e -> !(e instanceof IllegalArgumentException), e -> {
                    log.warn("A grant of {} credits to key '{}' could not be stored: {}", add.asLong(), name, e.toString());
                    return AdminAccess.error(503, ErrorKind.NO_UPSTREAM, "The ledger could not store the grant; nothing was added. Try again");
                });
    }

    private void checkTeam(String team) {
        if (team != null && directory.teamRecord(team) == null) {
            throw new IllegalArgumentException("team: no team named '" + EchoedText.of(team) + "' (POST /admin/teams makes one)");
        }
    }

    private ObjectNode configuredView(ClientKey key) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("name", key.name());
        node.put("source", "config");
        node.put("state", "active");
        budget(node, budgets.keyStatus(key), ledger.used(key.name()));
        limits(node.putObject("limits"), key.limits());
        ArrayNode aliases = node.putArray("aliases");
        key.aliases().forEach(p -> aliases.add(p.pattern()));
        return node;
    }

    private ObjectNode virtualView(VirtualKey key) {
        ObjectNode node = Json.MAPPER.createObjectNode();
        Instant now = ledger.calendar().now();
        node.put("name", key.name());
        node.put("source", "api");
        node.put("state", key.state(now));
        node.put("team", key.team());
        node.set("metadata", Json.MAPPER.valueToTree(key.metadata() == null ? Map.of() : key.metadata()));
        ClientKey client = directory.clientKey(key.name());
        ClientKey current = client != null ? client : new ClientKey(key.name(), key.credits(),
                dev.switchboard.config.BudgetPeriod.parse(key.period()), KeyLimits.NONE, List.of(), null);
        budget(node, budgets.keyStatus(current), ledger.used(key.name()));
        node.put("period", key.period());
        VirtualKey.Limits l = key.limits() == null ? VirtualKey.Limits.NONE : key.limits();
        ObjectNode limits = node.putObject("limits");
        limits.put("requests_per_minute", l.requestsPerMinute());
        limits.put("tokens_per_minute", l.tokensPerMinute());
        limits.put("concurrent", l.concurrent());
        ArrayNode aliases = node.putArray("aliases");
        if (key.aliases() != null) key.aliases().forEach(aliases::add);
        node.put("expires_at", text(key.expiresAt()));
        node.put("revoked_at", text(key.revokedAt()));
        node.put("previous_key_valid_until", key.previousUntil() == null || !now.isBefore(key.previousUntil()) ? null : key.previousUntil().toString());
        node.put("created_at", text(key.createdAt()));
        node.put("updated_at", text(key.updatedAt()));
        return node;
    }

    /** The budget's figures this period; {@code used} is every credit the key ever used. */
    private static void budget(ObjectNode node, Budgets.Status status, long used) {
        node.put("used", used);
        if (status == null) {
            node.putNull("budget");
            node.put("period", "none");
            return;
        }
        node.put("budget", status.budget());
        node.put("period", status.period().wireName());
        if (status.spent() < 0) node.putNull("spent");
        else node.put("spent", status.spent());
        node.put("reserved", status.reserved());
        node.put("remaining", status.remaining());
        node.put("resets_at", text(status.resetsAt()));
    }

    private static void limits(ObjectNode node, KeyLimits limits) {
        put(node, "requests_per_minute", limits.requestsPerMinute());
        put(node, "tokens_per_minute", limits.tokensPerMinute());
        put(node, "concurrent", limits.concurrent());
    }

    private static void put(ObjectNode node, String field, long value) {
        if (value > 0) node.put(field, value);
        else node.putNull(field);
    }

    // ---- teams

    private Mono<ServerResponse> readTeam(String name) {
        TeamRecord team = directory.teamRecord(name);
        return team == null ? noTeam(name) : json(200, teamView(team));
    }

    private Mono<ServerResponse> createTeam(JsonNode body) {
        String name = KeyRequests.name(body);
        Instant now = ledger.calendar().now();
        TeamRecord team = KeyRequests.team(body, new TeamRecord(name, Map.of(), null, "none", VirtualKey.Limits.NONE, now, now), now);
        return directory.table().insert(KeyTable.Kind.TEAMS, name, document(team)).flatMap(added -> !added
                ? conflict("name: a team named '" + name + "' exists already")
                : refreshed().then(Mono.defer(() -> json(201, teamView(team)))));
    }

    private Mono<ServerResponse> changeTeam(String name, JsonNode body) {
        TeamRecord team = directory.teamRecord(name);
        if (team == null) return noTeam(name);
        TeamRecord changed = KeyRequests.team(body, team, ledger.calendar().now());
        return directory.table().update(KeyTable.Kind.TEAMS, name, document(changed))
                .flatMap(found -> !found ? noTeam(name) : refreshed().then(Mono.defer(() -> json(200, teamView(changed)))));
    }

    private Mono<ServerResponse> deleteTeam(String name) {
        if (directory.teamRecord(name) == null) return noTeam(name);
        List<String> members = directory.of(name);
        if (!members.isEmpty()) {
            return conflict("The team '" + name + "' still has keys (" + String.join(", ", members) + "); move them out first");
        }
        return directory.table().delete(KeyTable.Kind.TEAMS, name)
                .flatMap(found -> !found ? noTeam(name) : refreshed().then(ServerResponse.noContent().build()));
    }

    private ObjectNode teamView(TeamRecord record) {
        Team team = directory.team(record.name());
        ObjectNode node = Json.MAPPER.createObjectNode();
        node.put("name", record.name());
        node.set("metadata", Json.MAPPER.valueToTree(record.metadata() == null ? Map.of() : record.metadata()));
        ArrayNode keys = node.putArray("keys");
        directory.of(record.name()).forEach(keys::add);
        budget(node, team == null ? null : budgets.teamStatus(team), 0);
        node.remove("used");
        node.put("period", record.period());
        limits(node.putObject("limits"), team == null ? KeyLimits.NONE : team.limits());
        node.put("created_at", text(record.createdAt()));
        node.put("updated_at", text(record.updatedAt()));
        return node;
    }

    // ---- plumbing

    /** The directory read again now, off the event loop: this replica answers with the change in force. */
    private Mono<Void> refreshed() {
        return Mono.fromRunnable(directory::refresh).subscribeOn(Schedulers.boundedElastic()).then();
    }

    private static String document(Object row) {
        return KeyDirectory.document(row);
    }

    /**
     * The request's JSON body (empty is null), or a 400 that says what is wrong with it. Handled off the event
     * loop: a change draws a secret from the system's random source, which may block.
     */
    private static Mono<ServerResponse> body(ServerRequest request, Function<JsonNode, Mono<ServerResponse>> handler) {
        return BodyBytes.read(request.exchange().getRequest().getBody(), MAX_BODY).defaultIfEmpty(new byte[0])
                .publishOn(Schedulers.boundedElastic()).flatMap(bytes -> {
            JsonNode body;
            try {
                body = bytes.length == 0 ? null : Json.MAPPER.readTree(bytes);
            } catch (JacksonException e) {
                return AdminAccess.error(400, ErrorKind.INVALID_REQUEST, "body: not valid JSON");
            }
            try {
                return handler.apply(body);
            } catch (IllegalArgumentException e) {
                return AdminAccess.error(400, ErrorKind.INVALID_REQUEST, e.getMessage());
            }
        });
    }

    private static Mono<ServerResponse> json(int status, Object body) {
        return ServerResponse.status(status).contentType(MediaType.APPLICATION_JSON).bodyValue(Json.MAPPER.writeValueAsBytes(body));
    }

    private static Mono<ServerResponse> noKey(String name) {
        return AdminAccess.error(404, ErrorKind.MODEL_NOT_FOUND, "No client key named '" + EchoedText.of(name) + "'");
    }

    private static Mono<ServerResponse> noTeam(String name) {
        return AdminAccess.error(404, ErrorKind.MODEL_NOT_FOUND, "No team named '" + EchoedText.of(name) + "'");
    }

    private static Mono<ServerResponse> readOnly(String name) {
        return conflict("The key '" + name + "' is defined in the routes file: change it there");
    }

    private static Mono<ServerResponse> conflict(String message) {
        return AdminAccess.error(409, ErrorKind.INVALID_REQUEST, message);
    }

    private static String text(Instant instant) {
        return instant == null ? null : instant.toString();
    }
}
