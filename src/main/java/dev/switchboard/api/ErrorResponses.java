package dev.switchboard.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.switchboard.config.Protocol;
import dev.switchboard.config.RouteTable;
import dev.switchboard.usage.UsageLedger;
import dev.switchboard.usage.UsageRecord;
import dev.switchboard.protocol.ErrorEnvelope;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import reactor.core.publisher.Mono;
import reactor.netty.http.server.HttpServerResponse;

/** Errors the gateway answers itself, in the envelope of the protocol the client speaks. */
final class ErrorResponses {
    private static final Logger log = LoggerFactory.getLogger(ErrorResponses.class);

    private ErrorResponses() {}

    /**
     * The error as the proxied request's answer, written on Reactor Netty's response. A failure after the
     * status went out cannot be answered any more: it ends the exchange, and Reactor Netty closes the
     * connection.
     */
    static Mono<Void> render(Protocol protocol, Throwable failure, RequestContext context, GatewayMetrics metrics,
                             UsageLedger ledger, RouteTable table, HttpServerResponse response) {
        if (response.hasSentHeaders()) return Mono.error(failure);
        GatewayException error = failure instanceof GatewayException g ? g
                : new GatewayException(ErrorKind.INTERNAL, "Internal gateway error (request " + context.requestId + ")", null, failure);
        context.status = error.kind().status();
        if (error.kind() == ErrorKind.INTERNAL) {
            log.error("request id={} failed inside the gateway", context.requestId, failure);
        }
        metrics.request(context.alias, context.upstream, context.status, "error", context.elapsedNanos());
        if (context.meter != null) {
            // an identified client's request is kept even when nothing was served; anonymous noise is not
            String outcome = context.attempts > 0 ? UsageRecord.UPSTREAM_ERROR : UsageRecord.REJECTED;
            context.record(ledger, outcome, table);
        }
        log.info("request id={} key={} endpoint={} alias={} upstream={} attempts={} status={} error={} latency_ms={}",
                context.requestId, context.keyName, context.endpoint, context.alias, context.upstream, context.attempts,
                context.status, error.kind(), context.elapsedMillis());
        response.status(error.kind().status());
        io.netty.handler.codec.http.HttpHeaders headers = response.responseHeaders();
        if (context.attempts > 0) {
            headers.set(ProxyHandler.UPSTREAM_HEADER, context.upstream);
            headers.set(ProxyHandler.ATTEMPTS_HEADER, Integer.toString(context.attempts));
        }
        if (error.retryAfter() != null) {
            // whole seconds, rounded up: a client retrying on time must find the cooldown over
            long seconds = Math.max(1, (error.retryAfter().toMillis() + 999) / 1000);
            headers.set(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
        }
        return ProxyHandler.sendJson(response, ErrorEnvelope.body(protocol, error));
    }

    static Mono<ServerResponse> render(Protocol protocol, GatewayException error) {
        return ServerResponse.status(error.kind().status())
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(ErrorEnvelope.body(protocol, error));
    }
}
