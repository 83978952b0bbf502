package dev.switchboard.api;

import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ReactiveHttpOutputMessage;
import org.springframework.http.client.reactive.ClientHttpResponse;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.BodyInserter;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;

import dev.switchboard.config.CurrentRouteTable;
import dev.switchboard.config.GatewayProperties;
import dev.switchboard.config.RouteTable;
import dev.switchboard.config.Target;
import dev.switchboard.auth.ClientAuthenticator;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.RequestScan;
import dev.switchboard.routing.RoutePlan;
import dev.switchboard.routing.RoutePlanner;
import dev.switchboard.upstream.UpstreamExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * The request path of the proxied endpoints: authenticate, read the body once, plan, exchange with the
 * target, and pass the response back as the upstream's own bytes, each chunk of a stream flushed as it comes.
 */
@Component
public class ProxyHandler {
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);
    public static final String UPSTREAM_HEADER = "x-switchboard-upstream";
    /** Upstream response headers a client may rely on; the rest (cookies, provider internals) stay behind. */
    private static final List<String> PASSED_BACK = List.of(
            HttpHeaders.CONTENT_TYPE, HttpHeaders.CONTENT_LENGTH, HttpHeaders.RETRY_AFTER, HttpHeaders.CACHE_CONTROL);

    private final CurrentRouteTable routes;
    private final ClientAuthenticator authenticator;
    private final RoutePlanner planner;
    private final UpstreamExchange upstream;
    private final int maxBodyBytes;

    public ProxyHandler(CurrentRouteTable routes, ClientAuthenticator authenticator, RoutePlanner planner,
                        UpstreamExchange upstream, GatewayProperties properties) {
        this.routes = routes;
        this.authenticator = authenticator;
        this.planner = planner;
        this.upstream = upstream;
        this.maxBodyBytes = (int) Math.min(Integer.MAX_VALUE - 8, properties.maxBodySize().toBytes());
    }

    public Mono<ServerResponse> handle(ServerRequest request, ApiEndpoint endpoint) {
        RequestContext context = new RequestContext(RequestIdFilter.of(request.exchange()), endpoint, System.nanoTime());
        RouteTable table = routes.get();
        HttpHeaders headers = request.headers().asHttpHeaders();
        return Mono.fromCallable(() -> authenticator.authenticate(table, headers))
                .flatMap(keyName -> {
                    context.keyName = keyName;
                    return readBody(request.exchange().getRequest());
                })
                .flatMap(body -> {
                    RequestScan scan = RequestScan.of(body);
                    context.alias = endpoint.validate(scan);
                    context.stream = scan.stream();
                    Target target = choose(table, context.alias, endpoint);
                    context.upstream = target.upstream().name();
                    return upstream.open(target, endpoint.upstreamPath(), scan, headers, context.requestId);
                })
                .flatMap(response -> relay(response, context))
                .onErrorResume(e -> ErrorResponses.render(endpoint.protocol(), e, context));
    }

    private Target choose(RouteTable table, String alias, ApiEndpoint endpoint) {
        return switch (planner.plan(table, alias, endpoint.protocol())) {
            case RoutePlan.Attempts attempts -> attempts.targets().getFirst();
            case RoutePlan.UnknownAlias unknown -> throw new GatewayException(ErrorKind.MODEL_NOT_FOUND,
                    "The model '" + unknown.alias() + "' does not exist (GET /v1/models lists the models served here)",
                    "model", null);
            case RoutePlan.NoTarget none -> throw new GatewayException(ErrorKind.NO_UPSTREAM, none.reason());
        };
    }

    private Mono<byte[]> readBody(ServerHttpRequest request) {
        if (request.getHeaders().getContentLength() > maxBodyBytes) return Mono.error(tooLarge());
        return DataBufferUtils.join(request.getBody(), maxBodyBytes)
                .map(joined -> {
                    try {
                        byte[] bytes = new byte[joined.readableByteCount()];
                        joined.read(bytes);
                        return bytes;
                    } finally {
                        DataBufferUtils.release(joined);
                    }
                })
                .onErrorMap(DataBufferLimitException.class, e -> tooLarge())
                .switchIfEmpty(Mono.error(() -> new GatewayException(ErrorKind.INVALID_REQUEST, "The request body is empty")));
    }

    private GatewayException tooLarge() {
        return new GatewayException(ErrorKind.REQUEST_TOO_LARGE,
                "The request body is larger than the gateway's limit of " + maxBodyBytes + " bytes");
    }

    /** Status, a few headers and the body exactly as the upstream sent them. */
    private Mono<ServerResponse> relay(ClientHttpResponse response, RequestContext context) {
        context.status = response.getStatusCode().value();
        HttpHeaders from = response.getHeaders();
        boolean eventStream = MediaType.TEXT_EVENT_STREAM.isCompatibleWith(from.getContentType());
        Flux<DataBuffer> body = response.getBody().doFinally(signal -> context.logCompletion(signal));
        BodyInserter<Void, ReactiveHttpOutputMessage> inserter = (message, ignored) -> eventStream
                ? message.writeAndFlushWith(body.map(Mono::just))
                : message.writeWith(body);
        return ServerResponse.status(response.getStatusCode())
                .headers(to -> {
                    for (String name : PASSED_BACK) {
                        List<String> values = from.get(name);
                        if (values != null) to.put(name, values);
                    }
                    to.set(UPSTREAM_HEADER, context.upstream);
                })
                .body(inserter);
    }

    /** What one request's log line says; filled in as the request goes along. */
    static final class RequestContext {
        final String requestId;
        final ApiEndpoint endpoint;
        final long startNanos;
        String keyName = "-";
        String alias = "-";
        String upstream = "-";
        boolean stream;
        int status;

        RequestContext(String requestId, ApiEndpoint endpoint, long startNanos) {
            this.requestId = requestId;
            this.endpoint = endpoint;
            this.startNanos = startNanos;
        }

        void logCompletion(SignalType signal) {
            String outcome = switch (signal) {
                case ON_COMPLETE -> "complete";
                case CANCEL -> "client_cancelled";
                default -> "upstream_broke";
            };
            log.info("request id={} key={} endpoint={} alias={} upstream={} stream={} status={} outcome={} latency_ms={}",
                    requestId, keyName, endpoint, alias, upstream, stream, status, outcome, elapsedMillis());
        }

        long elapsedMillis() {
            return (System.nanoTime() - startNanos) / 1_000_000;
        }
    }
}
