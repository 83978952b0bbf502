package dev.switchboard.api;

import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.switchboard.auth.ClientAuthenticator;
import dev.switchboard.config.CurrentRouteTable;
import dev.switchboard.config.Protocol;
import dev.switchboard.config.RouteTable;
import dev.switchboard.protocol.EchoedText;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.Json;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code GET /v1/models}: the aliases served here; {@code GET /v1/models/{id}}: one of them, or any other name
 * a route serves ({@code model-names}, {@code default-route}). OpenAI's shapes by default; Anthropic's when
 * the client sends {@code anthropic-version}, as the Anthropic SDKs do.
 */
@Component
public class ModelsHandler {
    private final CurrentRouteTable routes;
    private final ClientAuthenticator authenticator;

    public ModelsHandler(CurrentRouteTable routes, ClientAuthenticator authenticator) {
        this.routes = routes;
        this.authenticator = authenticator;
    }

    public Mono<ServerResponse> list(ServerRequest request) {
        RouteTable table = routes.get();
        HttpHeaders headers = request.headers().asHttpHeaders();
        boolean anthropic = headers.containsHeader("anthropic-version");
        try {
            authenticator.authenticate(table, headers);
        } catch (GatewayException e) {
            return ErrorResponses.render(anthropic ? Protocol.ANTHROPIC : Protocol.OPENAI, e);
        }
        ObjectNode body = anthropic ? anthropicList(table) : openAiList(table);
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(Json.MAPPER.writeValueAsBytes(body));
    }

    public Mono<ServerResponse> retrieve(ServerRequest request) {
        RouteTable table = routes.get();
        HttpHeaders headers = request.headers().asHttpHeaders();
        boolean anthropic = headers.containsHeader("anthropic-version");
        Protocol protocol = anthropic ? Protocol.ANTHROPIC : Protocol.OPENAI;
        try {
            authenticator.authenticate(table, headers);
        } catch (GatewayException e) {
            return ErrorResponses.render(protocol, e);
        }
        String id = request.pathVariable("id");
        if (table.route(id) == null) {
            return ErrorResponses.render(protocol, new GatewayException(ErrorKind.MODEL_NOT_FOUND,
                    "The model '" + EchoedText.of(id) + "' does not exist (GET /v1/models lists the models served here)", "model", null));
        }
        ObjectNode body = Json.MAPPER.createObjectNode();
        if (anthropic) {
            body.put("type", "model").put("id", id).put("display_name", id).put("created_at", table.loadedAt().toString());
        } else {
            body.put("id", id).put("object", "model").put("created", table.loadedAt().getEpochSecond()).put("owned_by", "switchboard");
        }
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(Json.MAPPER.writeValueAsBytes(body));
    }

    private static ObjectNode openAiList(RouteTable table) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        root.put("object", "list");
        ArrayNode data = root.putArray("data");
        long created = table.loadedAt().getEpochSecond();
        for (String alias : table.routes().keySet()) {
            data.addObject().put("id", alias).put("object", "model").put("created", created).put("owned_by", "switchboard");
        }
        return root;
    }

    private static ObjectNode anthropicList(RouteTable table) {
        ObjectNode root = Json.MAPPER.createObjectNode();
        ArrayNode data = root.putArray("data");
        String created = table.loadedAt().toString();
        for (String alias : table.routes().keySet()) {
            data.addObject().put("type", "model").put("id", alias).put("display_name", alias).put("created_at", created);
        }
        root.put("has_more", false);
        String first = table.routes().isEmpty() ? null : table.routes().keySet().iterator().next();
        String last = table.routes().keySet().stream().reduce((a, b) -> b).orElse(null);
        root.put("first_id", first);
        root.put("last_id", last);
        return root;
    }
}
