package dev.switchboard.responses;

import static org.springframework.web.reactive.function.server.RequestPredicates.DELETE;
import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.switchboard.auth.ClientAuthenticator;
import dev.switchboard.config.ClientKey;
import dev.switchboard.config.CurrentRouteTable;
import dev.switchboard.protocol.EchoedText;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.openai.OpenAiErrors;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/responses/{id}}: a stored response as its client got it; {@code DELETE /v1/responses/{id}}:
 * forgets it. Only for the key that made it; any other key is told it is not there.
 */
@Configuration(proxyBeanMethods = false)
public class ResponsesHandler {
    private final CurrentRouteTable routes;
    private final ClientAuthenticator authenticator;
    private final StoredResponses stored;

    public ResponsesHandler(CurrentRouteTable routes, ClientAuthenticator authenticator, StoredResponses stored) {
        this.routes = routes;
        this.authenticator = authenticator;
        this.stored = stored;
    }

    @Bean
    RouterFunction<ServerResponse> responsesRoutes() {
        return route(GET("/v1/responses/{id}"), this::retrieve).andRoute(DELETE("/v1/responses/{id}"), this::delete);
    }

    Mono<ServerResponse> retrieve(ServerRequest request) {
        return keyed(request, (key, id) -> stored.find(key.name(), id)
                .flatMap(response -> json(200, Json.MAPPER.writeValueAsBytes(response)))
                .switchIfEmpty(Mono.defer(() -> notFound(id))));
    }

    Mono<ServerResponse> delete(ServerRequest request) {
        return keyed(request, (key, id) -> stored.delete(key.name(), id).flatMap(deleted -> deleted
                ? json(200, Json.MAPPER.writeValueAsBytes(Json.MAPPER.createObjectNode().put("id", id)
                        .put("object", "response.deleted").put("deleted", true)))
                : notFound(id)));
    }

    private Mono<ServerResponse> keyed(ServerRequest request, java.util.function.BiFunction<ClientKey, String, Mono<ServerResponse>> then) {
        ClientKey key;
        try {
            key = authenticator.authenticate(routes.get(), request.headers().asHttpHeaders());
        } catch (GatewayException e) {
            return error(e);
        }
        return then.apply(key, request.pathVariable("id"));
    }

    private static Mono<ServerResponse> notFound(String id) {
        return error(new GatewayException(ErrorKind.RESPONSE_NOT_FOUND, "Response with id '" + EchoedText.of(id) + "' not found"));
    }

    private static Mono<ServerResponse> error(GatewayException e) {
        return json(e.kind().status(), OpenAiErrors.body(e.kind(), e.getMessage(), e.param()));
    }

    private static Mono<ServerResponse> json(int status, byte[] body) {
        return ServerResponse.status(status).contentType(MediaType.APPLICATION_JSON).bodyValue(body);
    }
}
