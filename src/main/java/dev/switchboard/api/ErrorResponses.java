package dev.switchboard.api;

import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.switchboard.config.Protocol;
import dev.switchboard.protocol.ErrorEnvelope;
import dev.switchboard.protocol.GatewayException;
import reactor.core.publisher.Mono;

/** Errors of the routes Spring WebFlux serves, in the envelope of the protocol the client speaks. */
final class ErrorResponses {
    private ErrorResponses() {}

    static Mono<ServerResponse> render(Protocol protocol, GatewayException error) {
        return ServerResponse.status(error.kind().status())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(ErrorEnvelope.body(protocol, error));
    }
}
