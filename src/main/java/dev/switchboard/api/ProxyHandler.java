package dev.switchboard.api;

import java.time.Duration;
import java.util.List;
import java.util.Map;

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

import dev.switchboard.auth.ClientAuthenticator;
import dev.switchboard.config.CurrentRouteTable;
import dev.switchboard.config.GatewayProperties;
import dev.switchboard.config.RouteTable;
import dev.switchboard.health.TargetHealth;
import dev.switchboard.protocol.BodyBytes;
import dev.switchboard.protocol.ErrorEnvelope;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.RequestScan;
import dev.switchboard.protocol.SseEvent;
import dev.switchboard.protocol.SseFrames;
import dev.switchboard.routing.RequestFacts;
import dev.switchboard.routing.RoutePlan;
import dev.switchboard.routing.RoutePlanner;
import dev.switchboard.protocol.StreamUsageTap;
import dev.switchboard.translate.StreamTranslator;
import dev.switchboard.translate.Translation;
import dev.switchboard.upstream.AttemptOutcome;
import dev.switchboard.upstream.UpstreamExchange;
import dev.switchboard.usage.UsageLedger;
import dev.switchboard.usage.UsageMeter;
import dev.switchboard.usage.TokenEstimator;
import dev.switchboard.usage.UsageRecord;
import dev.switchboard.upstream.UpstreamTimeoutException;
import reactor.core.publisher.Flux;
import tools.jackson.databind.JsonNode;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * The request path of the proxied endpoints: authenticate, read the body once, plan, try targets until one
 * answers ({@link FailoverLoop}), and pass the answer back as the upstream's own bytes, each stream event
 * flushed as it comes. Once the client has bytes there is no failover: a broken stream ends with an error
 * event in the client's protocol.
 */
@Component
public class ProxyHandler {
    private static final Logger log = LoggerFactory.getLogger(ProxyHandler.class);
    /** One line per served request, off unless {@code logging.level.switchboard.access=info} (the ledger keeps a record anyway). */
    private static final Logger access = LoggerFactory.getLogger("switchboard.access");
    public static final String UPSTREAM_HEADER = "x-switchboard-upstream";
    public static final String ATTEMPTS_HEADER = "x-switchboard-attempts";
    /** Set on a count_tokens answer the gateway counted itself. */
    public static final String TOKEN_COUNT_HEADER = "x-switchboard-token-count";
    private static final int MAX_ERROR_BODY = 64 * 1024;
    /** Upstream response headers a client may rely on; the rest (cookies, provider internals) stay behind. */
    private static final List<String> PASSED_BACK = List.of(
            HttpHeaders.CONTENT_TYPE, HttpHeaders.CONTENT_LENGTH, HttpHeaders.RETRY_AFTER, HttpHeaders.CACHE_CONTROL);

    private final CurrentRouteTable routes;
    private final ClientAuthenticator authenticator;
    private final RoutePlanner planner;
    private final FailoverLoop failover;
    private final GatewayMetrics metrics;
    private final UsageLedger ledger;
    private final int maxBodyBytes;

    public ProxyHandler(CurrentRouteTable routes, ClientAuthenticator authenticator, RoutePlanner planner,
                        FailoverLoop failover, GatewayMetrics metrics, UsageLedger ledger, GatewayProperties properties) {
        this.ledger = ledger;
        this.routes = routes;
        this.authenticator = authenticator;
        this.planner = planner;
        this.failover = failover;
        this.metrics = metrics;
        this.maxBodyBytes = (int) Math.min(Integer.MAX_VALUE - 8, properties.maxBodySize().toBytes());
    }

    public Mono<ServerResponse> handle(ServerRequest request, ApiEndpoint endpoint) {
        RequestContext context = new RequestContext(RequestIdFilter.of(request.exchange()), endpoint);
        RouteTable table = routes.get();
        HttpHeaders headers = request.headers().asHttpHeaders();
        return Mono.fromCallable(() -> authenticator.authenticate(table, headers))
                .flatMap(key -> {
                    context.keyName = key.name();
                    context.meter = new UsageMeter(endpoint.protocol());
                    ledger.admit(key);
                    return readBody(request.exchange().getRequest());
                })
                .flatMap(body -> {
                    context.meter.request(body);
                    RequestScan scan = RequestScan.of(body);
                    String alias = endpoint.validate(scan);
                    context.stream = scan.stream();
                    context.streamUsageAsked = endpoint == ApiEndpoint.CHAT_COMPLETIONS && scan.stream() && scan.asksForStreamUsage();
                    context.streamUsageWanted = endpoint == ApiEndpoint.CHAT_COMPLETIONS && scan.stream() && !context.streamUsageAsked;
                    Long maxTokens = scan.longValue("max_tokens");
                    if (maxTokens == null) maxTokens = scan.longValue("max_completion_tokens");
                    boolean countTokens = endpoint == ApiEndpoint.COUNT_TOKENS;
                    RoutePlan plan = planner.plan(table, new RequestFacts(alias, body.length, maxTokens), endpoint.protocol(), countTokens);
                    if (!(plan instanceof RoutePlan.UnknownAlias)) context.alias = alias;
                    if (countTokens && plan instanceof RoutePlan.NoTarget none && none.route().targets().stream().anyMatch(t -> t.upstream().enabled())) {
                        return countedHere(body); // no Anthropic upstream to ask: the tokenizer's estimate
                    }
                    return follow(plan, table, scan, headers, context).flatMap(answer -> relay(answer, context, table));
                })
                .onErrorResume(e -> ErrorResponses.render(endpoint.protocol(), e, context, metrics, ledger, table));
    }

    /** The answer of the plan's targets, or the error that says why there is none. */
    private Mono<FailoverLoop.Answer> follow(RoutePlan plan, RouteTable table, RequestScan scan, HttpHeaders headers,
                                             RequestContext context) {
        return switch (plan) {
            case RoutePlan.Attempts attempts -> failover.run(attempts, table.health(), scan, headers, context);
            case RoutePlan.UnknownAlias unknown -> Mono.error(new GatewayException(ErrorKind.MODEL_NOT_FOUND,
                    "The model '" + unknown.alias() + "' does not exist (GET /v1/models lists the models served here)",
                    "model", null));
            case RoutePlan.NoTarget none -> Mono.error(new GatewayException(ErrorKind.NO_UPSTREAM, none.reason()));
            case RoutePlan.RateLimited limited -> Mono.error(new GatewayException(ErrorKind.RATE_LIMITED,
                    "Every upstream of model '" + limited.route().alias() + "' is rate limited; retry after the cooldown",
                    null, null, limited.retryAfter()));
            case RoutePlan.Unavailable unavailable -> Mono.error(new GatewayException(ErrorKind.NO_UPSTREAM,
                    unavailable.reason(), null, null, unavailable.retryAfter()));
        };
    }

    private Mono<byte[]> readBody(ServerHttpRequest request) {
        if (request.getHeaders().getContentLength() > maxBodyBytes) return Mono.error(tooLarge());
        return BodyBytes.read(request.getBody(), maxBodyBytes)
                .onErrorMap(DataBufferLimitException.class, e -> tooLarge())
                .switchIfEmpty(Mono.error(() -> new GatewayException(ErrorKind.INVALID_REQUEST, "The request body is empty")));
    }

    private GatewayException tooLarge() {
        return new GatewayException(ErrorKind.REQUEST_TOO_LARGE,
                "The request body is larger than the gateway's limit of " + maxBodyBytes + " bytes");
    }

    /** count_tokens for an alias with no Anthropic-protocol target: o200k_base's count, said to be an estimate. */
    private static Mono<ServerResponse> countedHere(byte[] body) {
        return TokenEstimator.offLoop(body.length, () -> TokenEstimator.estimate(body, "").prompt())
                .flatMap(tokens -> ServerResponse.ok().contentType(MediaType.APPLICATION_JSON)
                        .header(TOKEN_COUNT_HEADER, "estimated").bodyValue(Map.of("input_tokens", tokens)));
    }

    /**
     * Status, a few headers and the body as the upstream sent them; or, from a target of the other protocol,
     * the answer translated (a 4xx becomes the gateway's error in the client's envelope).
     */
    private Mono<ServerResponse> relay(FailoverLoop.Answer answer, RequestContext context, RouteTable table) {
        ClientHttpResponse response = switch (answer.outcome()) {
            case AttemptOutcome.Delivered d -> d.response();
            case AttemptOutcome.ClientError c -> c.response();
            default -> throw new IllegalStateException("not an answer: " + answer.outcome());
        };
        boolean translated = Translation.needed(context.endpoint.protocol(), answer.target());
        if (translated && answer.outcome() instanceof AttemptOutcome.ClientError) {
            int status = response.getStatusCode().value();
            return BodyBytes.read(response.getBody(), MAX_ERROR_BODY).defaultIfEmpty(new byte[0])
                    .flatMap(body -> Mono.error(Translation.clientError(context.upstream, status, body)));
        }
        context.status = response.getStatusCode().value();
        HttpHeaders from = response.getHeaders();
        byte[] answered = null;
        JsonNode parsed = null;
        if (answer.outcome() instanceof AttemptOutcome.Delivered d && !d.streaming()) {
            try {
                // translated before the response is committed: an answer that cannot be read still gets an error;
                // the one tree serves both the translation and the meter
                parsed = translated ? Translation.parse(d.body(), d.json()) : d.json();
                answered = translated ? Translation.response(context.endpoint.protocol(), parsed) : d.body();
            } catch (GatewayException e) {
                return Mono.error(e);
            }
        }
        byte[] toClient = answered;
        JsonNode tree = parsed;
        BodyInserter<Void, ReactiveHttpOutputMessage> inserter = switch (answer.outcome()) {
            case AttemptOutcome.Delivered d when !d.streaming() -> (message, ignored) -> {
                context.meter.answer(d.body(), tree, from);
                message.getHeaders().setContentLength(toClient.length);
                // a Mono, not a Flux: Reactor Netty then sends status, headers and body as one response in one
                // write, where a Flux costs a second send (and wakes the client twice)
                return message.writeWith(whenDone(Mono.just(message.bufferFactory().wrap(toClient))
                        .doOnNext(b -> context.firstByteSent()), context, table));
            };
            // writeWith, not writeAndFlushWith: Reactor Netty flushes whenever its queue runs empty, which is
            // after every event that arrives on its own, and it releases the events still queued when the
            // client drops the connection (wrapped one per Mono, they leaked)
            case AttemptOutcome.Delivered d -> (message, ignored) -> message.writeWith(
                    stream(response, answer, context, message, table));
            default -> (message, ignored) -> message.writeWith(response.getBody()
                    .doOnNext(b -> context.firstByteSent())
                    .transform(body -> whenDone(body, context, table)));
        };
        return ServerResponse.status(response.getStatusCode())
                .headers(to -> {
                    for (String name : PASSED_BACK) {
                        List<String> values = from.get(name);
                        if (values != null) to.put(name, values);
                    }
                    if (translated) {
                        to.remove(HttpHeaders.CONTENT_LENGTH); // the body is not the upstream's
                        to.setContentType(answer.outcome() instanceof AttemptOutcome.Delivered d && d.streaming()
                                ? MediaType.TEXT_EVENT_STREAM : MediaType.APPLICATION_JSON);
                    }
                    to.set(UPSTREAM_HEADER, context.upstream);
                    to.set(ATTEMPTS_HEADER, Integer.toString(context.attempts));
                })
                .body(inserter);
    }

    /**
     * A stream, whole events at a time. Its end is the target's health verdict: complete is a success, a break
     * is a failure and becomes an error event for the client, a client leaving says nothing about the target.
     */
    private Flux<DataBuffer> stream(ClientHttpResponse response, FailoverLoop.Answer answer, RequestContext context,
                                    ReactiveHttpOutputMessage message, RouteTable table) {
        TargetHealth health = answer.health();
        boolean translated = Translation.needed(context.endpoint.protocol(), answer.target());
        // the tap reads the upstream's own events; a translated stream's usage chunk goes to the translator
        StreamUsageTap tap = context.meter.tap(!translated && UpstreamExchange.injectsStreamUsage(answer.target(), context.streamUsageWanted));
        Flux<DataBuffer> events = SseFrames.whole(response.getBody())
                .<DataBuffer>handle((buffer, sink) -> {
                    DataBuffer passed = tap.inspect(buffer);
                    if (passed != null) sink.next(passed);
                });
        if (translated) {
            StreamTranslator translator = Translation.stream(context.endpoint.protocol(), context.streamUsageAsked);
            events = events.<DataBuffer>handle((buffer, sink) -> {
                        byte[] out = translate(translator, buffer);
                        if (out.length > 0) sink.next(message.bufferFactory().wrap(out));
                    })
                    .concatWith(Mono.fromCallable(translator::end)
                            .filter(end -> end.length > 0)
                            .map(end -> message.bufferFactory().wrap(end)));
        }
        return events
                .doOnNext(b -> context.firstByteSent())
                .doOnComplete(() -> health.succeeded(sinceStart(answer)))
                .onErrorResume(e -> {
                    GatewayException broken = streamBroken(context, e);
                    context.streamBroke = true;
                    health.failed(sinceStart(answer), broken.getMessage());
                    log.warn("request id={} upstream={} stream broke after it started: {}", context.requestId, context.upstream,
                            broken.getMessage());
                    return Mono.just(message.bufferFactory().wrap(ErrorEnvelope.streamEvent(context.endpoint.protocol(), broken)));
                })
                .doOnCancel(health::release)
                .transform(body -> whenDone(body, context, table));
    }

    /** One buffer of whole upstream events, translated; the buffer is released here. */
    private static byte[] translate(StreamTranslator translator, DataBuffer buffer) {
        byte[] upstream = new byte[buffer.readableByteCount()];
        buffer.read(upstream);
        DataBufferUtils.release(buffer);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (SseEvent event : SseEvent.parseAll(upstream)) out.writeBytes(translator.event(event));
        return out.toByteArray();
    }

    private static GatewayException streamBroken(RequestContext context, Throwable e) {
        String who = "Upstream '" + context.upstream + "'";
        if (e instanceof UpstreamTimeoutException) {
            return new GatewayException(ErrorKind.UPSTREAM_TIMEOUT, who + " stream timed out: " + e.getMessage());
        }
        return new GatewayException(ErrorKind.UPSTREAM_UNREACHABLE, who + " broke off the stream: " + e.getClass().getSimpleName()
                + (e.getMessage() == null ? "" : ": " + e.getMessage()));
    }

    private static Duration sinceStart(FailoverLoop.Answer answer) {
        return Duration.ofNanos(System.nanoTime() - answer.startNanos());
    }

    /**
     * Records the request as its body ends, before the end reaches the server: a graceful shutdown that waits
     * for in-flight responses then also finds their usage records queued.
     */
    private <T> Flux<T> whenDone(Flux<T> body, RequestContext context, RouteTable table) {
        return body.doOnComplete(() -> finished(context, SignalType.ON_COMPLETE, table))
                .doOnError(e -> finished(context, SignalType.ON_ERROR, table))
                .doOnCancel(() -> finished(context, SignalType.CANCEL, table));
    }

    /** The same for a body of one buffer, recorded as that buffer goes to the server. */
    private <T> Mono<T> whenDone(Mono<T> body, RequestContext context, RouteTable table) {
        return body.doOnSuccess(b -> finished(context, SignalType.ON_COMPLETE, table))
                .doOnError(e -> finished(context, SignalType.ON_ERROR, table))
                .doOnCancel(() -> finished(context, SignalType.CANCEL, table));
    }

    private void finished(RequestContext context, SignalType signal, RouteTable table) {
        String outcome = context.streamBroke ? UsageRecord.STREAM_BROKEN : switch (signal) {
            case ON_COMPLETE -> context.status < 300 ? UsageRecord.OK : UsageRecord.UPSTREAM_ERROR;
            case CANCEL -> UsageRecord.CLIENT_CANCELLED;
            default -> context.stream ? UsageRecord.STREAM_BROKEN : UsageRecord.UPSTREAM_ERROR;
        };
        if (!context.record(ledger, outcome, table)) return;
        metrics.request(context.alias, context.upstream, context.status, outcome, context.elapsedNanos());
        if (access.isInfoEnabled()) {
            access.info("request id={} key={} endpoint={} alias={} upstream={} attempts={} stream={} status={} outcome={} latency_ms={}",
                    context.requestId, context.keyName, context.endpoint, context.alias, context.upstream, context.attempts,
                    context.stream, context.status, outcome, context.elapsedMillis());
        }
    }
}
