package dev.switchboard.api;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpMethod;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.reactive.ServerHttpResponse;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebExceptionHandler;

import dev.switchboard.config.Protocol;
import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.protocol.EchoedText;
import dev.switchboard.protocol.ErrorEnvelope;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import reactor.core.publisher.Mono;

/**
 * A path the gateway does not serve, or a method it does not serve there: 404 or 405 in the client's own
 * envelope (Anthropic's when the request carries {@code anthropic-version}, else OpenAI's), naming the
 * endpoints it serves, and one log line, so an operator sees what clients tried. Ahead of Spring Boot's
 * handler, whose body is neither client's envelope.
 */
@Component
@Order(-2)
class UnservedPaths implements WebExceptionHandler {
    private static final Logger log = LoggerFactory.getLogger(UnservedPaths.class);
    /** What the gateway serves to clients, for the error message. */
    static final List<String> SERVED = java.util.stream.Stream.concat(
            java.util.Arrays.stream(ApiEndpoint.values()).map(e -> "POST " + e.path()),
            java.util.stream.Stream.of("GET /v1/models", "GET /v1/models/{model}")).toList();
    /** Paths the gateway serves with GET only (the proxied endpoints answer other methods themselves). */
    private static final List<String> GET_ONLY = List.of("/", "/v1/models");

    @Override
    public Mono<Void> handle(ServerWebExchange exchange, Throwable failure) {
        if (!(failure instanceof ResponseStatusException status)) return Mono.error(failure);
        boolean notFound = status.getStatusCode().value() == HttpStatus.NOT_FOUND.value();
        boolean wrongMethod = status.getStatusCode().value() == HttpStatus.METHOD_NOT_ALLOWED.value();
        if (!notFound && !wrongMethod) return Mono.error(failure);
        String path = exchange.getRequest().getPath().value();
        HttpMethod method = exchange.getRequest().getMethod();
        if (path.startsWith("/actuator") || path.startsWith("/admin")) return Mono.error(failure);
        wrongMethod |= GET_ONLY.contains(path) || path.startsWith("/v1/models/");
        String id = exchange.getResponse().getHeaders().getFirst(RequestIdFilter.HEADER);
        log.info("request id={} method={} path={} status={}: not served", id, method, EchoedText.of(path), wrongMethod ? 405 : 404);
        GatewayException error = wrongMethod
                ? new GatewayException(ErrorKind.METHOD_NOT_ALLOWED, method + " is not served at " + EchoedText.of(path) + ": send GET")
                : new GatewayException(ErrorKind.NOT_FOUND, "Unknown path: " + method + " " + EchoedText.of(path)
                        + ". This gateway serves " + String.join(", ", SERVED));
        boolean anthropic = exchange.getRequest().getHeaders().containsHeader("anthropic-version");
        ServerHttpResponse response = exchange.getResponse();
        response.setStatusCode(HttpStatus.valueOf(error.kind().status()));
        if (wrongMethod) response.getHeaders().set(HttpHeaders.ALLOW, "GET");
        response.getHeaders().setContentType(MediaType.APPLICATION_JSON);
        if (method == HttpMethod.HEAD) return response.setComplete();
        byte[] body = ErrorEnvelope.body(anthropic ? Protocol.ANTHROPIC : Protocol.OPENAI, error);
        return response.writeWith(Mono.just(response.bufferFactory().wrap(body)));
    }
}
