package dev.switchboard.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.switchboard.config.Protocol;
import dev.switchboard.protocol.ErrorEnvelope;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import reactor.core.publisher.Mono;

/** Errors the gateway answers itself, in the envelope of the protocol the client speaks. */
final class ErrorResponses {
    private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);

    private ErrorResponses() {}

    static Mono<ServerResponse> render(Protocol protocol, Throwable failure, ProxyHandler.RequestContext context) {
        GatewayException error = failure instanceof GatewayException g ? g
                : new GatewayException(ErrorKind.INTERNAL, "Internal gateway error (request " + context.requestId + ")", null, failure);
        context.status = error.kind().status();
        if (error.kind() == ErrorKind.INTERNAL) {
            log.error("request id={} failed inside the gateway", context.requestId, failure);
        }
        log.info("request id={} key={} endpoint={} alias={} upstream={} status={} error={} latency_ms={}",
                context.requestId, context.keyName, context.endpoint, context.alias, context.upstream,
                context.status, error.kind(), context.elapsedMillis());
        return ServerResponse.status(error.kind().status())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(ErrorEnvelope.body(protocol, error));
    }

    static Mono<ServerResponse> render(Protocol protocol, GatewayException error) {
        return ServerResponse.status(error.kind().status())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(ErrorEnvelope.body(protocol, error));
    }
}
