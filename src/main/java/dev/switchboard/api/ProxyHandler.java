package dev.switchboard.api;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import dev.switchboard.config.CurrentRouteTable;
import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.tracing.GatewayTracing;
import dev.switchboard.protocol.EchoedText;
import dev.switchboard.protocol.ErrorEnvelope;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.routing.RoutePlan;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;

/**
 * One proxied request, start to end: taken in ({@link RequestIntake}), tried on the plan's targets until one
 * answers ({@link FailoverLoop}), the answer passed back ({@link AnswerRelay}), and recorded
 * ({@link RequestCompletion}). On Reactor Netty's own request and response: these endpoints are routed ahead
 * of Spring WebFlux ({@link GatewayRouter}), whose exchange, filter chain and response building cost a share
 * of the gateway's CPU a request and add nothing here.
 */
@Component
public class ProxyHandler {
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);

    private final CurrentRouteTable routes;
    private final RequestIntake intake;
    private final FailoverLoop failover;
    private final AnswerRelay relay;
    private final RequestCompletion completion;
    private final GatewayTracing tracing;

    ProxyHandler(CurrentRouteTable routes, RequestIntake intake, FailoverLoop failover, AnswerRelay relay,
                 RequestCompletion completion, GatewayTracing tracing) {
        this.routes = routes;
        this.intake = intake;
        this.failover = failover;
        this.relay = relay;
        this.completion = completion;
        this.tracing = tracing;
    }

    public Mono<Void> handle(HttpServerRequest request, HttpServerResponse response, ApiEndpoint endpoint) {
        RequestContext context = new RequestContext(RequestIdFilter.idFor(request.requestHeaders().get(RequestIdFilter.HEADER)),
                endpoint, routes.get());
        response.header(RequestIdFilter.HEADER, context.requestId);
        if (tracing.on()) context.trace = tracing.request(request.requestHeaders(), operation(endpoint), context.requestId);
        return intake.accept(request, context)
                .flatMap(accepted -> intake.held(intake.plan(accepted, context), accepted, context).flatMap(plan -> {
                    if (endpoint == ApiEndpoint.COUNT_TOKENS && plan instanceof RoutePlan.NoTarget none
                            && none.route().targets().stream().anyMatch(t -> t.upstream().enabled())) {
                        return relay.countedHere(accepted.scan().body(), context, response); // no Anthropic upstream to ask
                    }
                    return relay.relay(follow(plan, accepted, context), context, response);
                }))
                .onErrorResume(e -> relay.error(e, context, response))
                // the connection closed while the upstream was still working on the request: the server cancels
                // the exchange, which closes the upstream connection; the request is recorded, as cancelled.
                // doFinally sees only the first of complete and cancel: a cancel after the answer records nothing
                // (the record is taken once). A relay that completed as the cancel came, on another thread, may
                // have ended before its body recorded anything: that is recorded here too
                .doFinally(signal -> {
                    if (signal == SignalType.CANCEL || context.cancelled) completion.finished(context, SignalType.CANCEL);
                    if (context.body != null) context.body.release();
                    if (!context.recorded()) context.trace.end(context.status); // a recorded request's span ends with its record
                })
                // last, so that it runs first: before the cancel reaches the upstream exchange and closes it
                .doOnCancel(() -> context.cancelled = true);
    }

    /** The GenAI conventions' operation name of an endpoint. */
    private static String operation(ApiEndpoint endpoint) {
        return switch (endpoint) {
            case EMBEDDINGS -> "embeddings";
            case COUNT_TOKENS -> "count_tokens";
            default -> "chat";
        };
    }

    /** The answer of the plan's targets, or the error that says why there is none. */
    private Mono<FailoverLoop.Answer> follow(RoutePlan plan, RequestIntake.Accepted accepted, RequestContext context) {
        return switch (plan) {
            case RoutePlan.Attempts attempts -> failover.run(attempts, context.table.health(), accepted.scan(), accepted.headers(), context);
            case RoutePlan.UnknownAlias unknown -> Mono.error(new GatewayException(ErrorKind.MODEL_NOT_FOUND,
                    "The model '" + EchoedText.of(unknown.alias()) + "' does not exist (GET /v1/models lists the models served here)",
                    "model", null));
            case RoutePlan.NoTarget none -> Mono.error(new GatewayException(ErrorKind.NO_UPSTREAM, none.reason()));
            case RoutePlan.RateLimited limited -> Mono.error(new GatewayException(ErrorKind.RATE_LIMITED,
                    "Every upstream of model '" + limited.route().alias() + "' is rate limited; retry after the cooldown",
                    null, null, limited.retryAfter()));
            case RoutePlan.Unavailable unavailable -> Mono.error(new GatewayException(ErrorKind.NO_UPSTREAM,
                    unavailable.reason(), null, null, unavailable.retryAfter()));
        };
    }

    /** Any method but POST on a proxied endpoint: 405 in the endpoint's envelope, naming the method it takes. */
    public Mono<Void> methodNotAllowed(HttpServerRequest request, HttpServerResponse response, ApiEndpoint endpoint) {
        String requestId = RequestIdFilter.idFor(request.requestHeaders().get(RequestIdFilter.HEADER));
        log.info("request id={} method={} path={} status=405", requestId, request.method(), endpoint.path());
        response.status(HttpResponseStatus.METHOD_NOT_ALLOWED)
                .header(RequestIdFilter.HEADER, requestId)
                .header(HttpHeaderNames.ALLOW, HttpMethod.POST.name());
        GatewayException error = new GatewayException(ErrorKind.METHOD_NOT_ALLOWED,
                request.method() + " is not served at " + endpoint.path() + ": send POST");
        return AnswerRelay.sendJson(response, ErrorEnvelope.body(endpoint.protocol(), error));
    }
}
