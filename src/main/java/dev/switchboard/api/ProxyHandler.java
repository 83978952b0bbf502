package dev.switchboard.api;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ClientHttpResponse;
import org.springframework.http.support.Netty4HeadersAdapter;
import org.springframework.stereotype.Component;

import dev.switchboard.auth.ClientAuthenticator;
import dev.switchboard.config.CurrentRouteTable;
import dev.switchboard.config.GatewayProperties;
import dev.switchboard.config.Secrets;
import dev.switchboard.config.RouteTable;
import dev.switchboard.health.TargetHealth;
import dev.switchboard.protocol.BodyBytes;
import dev.switchboard.protocol.EchoedText;
import dev.switchboard.protocol.ErrorEnvelope;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.RequestScan;
import dev.switchboard.protocol.SseEvent;
import dev.switchboard.protocol.SseFrames;
import dev.switchboard.protocol.StreamUsageTap;
import dev.switchboard.routing.RequestFacts;
import dev.switchboard.routing.RoutePlan;
import dev.switchboard.routing.RoutePlanner;
import dev.switchboard.translate.StreamTranslator;
import dev.switchboard.translate.Translation;
import dev.switchboard.upstream.AttemptOutcome;
import dev.switchboard.upstream.UpstreamExchange;
import dev.switchboard.upstream.UpstreamTimeoutException;
import dev.switchboard.usage.TokenEstimator;
import dev.switchboard.usage.UsageLedger;
import dev.switchboard.usage.UsageMeter;
import dev.switchboard.usage.UsageRecord;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;
import reactor.netty.channel.AbortedException;
import reactor.netty.http.server.HttpServerRequest;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.JsonNode;

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
    /** Wraps what the gateway writes itself into a stream (translated events, the error event). */
    private static final NettyDataBufferFactory BUFFERS = new NettyDataBufferFactory(ByteBufAllocator.DEFAULT);
    /** Upstream response headers a client may rely on; the rest (cookies, provider internals) stay behind. */
    private static final List<String> PASSED_BACK = List.of(
            HttpHeaders.CONTENT_TYPE, HttpHeaders.CONTENT_LENGTH, HttpHeaders.RETRY_AFTER, HttpHeaders.CACHE_CONTROL);

    private final CurrentRouteTable routes;
    private final ClientAuthenticator authenticator;
    private final RoutePlanner planner;
    private final FailoverLoop failover;
    private final GatewayMetrics metrics;
    private final UsageLedger ledger;
    private final ConnectionDrain drain;
    private final int maxBodyBytes;
    private final BodyBudget bodies;
    private final Duration bodyReadTimeout;

    public ProxyHandler(CurrentRouteTable routes, ClientAuthenticator authenticator, RoutePlanner planner,
                        FailoverLoop failover, GatewayMetrics metrics, UsageLedger ledger, GatewayProperties properties,
                        ConnectionDrain drain) {
        this.ledger = ledger;
        this.drain = drain;
        this.routes = routes;
        this.authenticator = authenticator;
        this.planner = planner;
        this.failover = failover;
        this.metrics = metrics;
        this.maxBodyBytes = (int) Math.min(Integer.MAX_VALUE - 8, properties.maxBodySize().toBytes());
        this.bodies = new BodyBudget(properties.limits().bodiesInFlightBytes());
        metrics.bodies(bodies);
        this.bodyReadTimeout = properties.limits().bodyReadTimeout();
    }

    /**
     * One proxied request, on Reactor Netty's own request and response: these endpoints are routed ahead of
     * Spring WebFlux ({@link GatewayRouter}), whose exchange, filter chain and response building cost a share
     * of the gateway's CPU a request and add nothing here.
     */
    public Mono<Void> handle(HttpServerRequest request, HttpServerResponse response, ApiEndpoint endpoint) {
        RequestContext context = new RequestContext(RequestIdFilter.idFor(request.requestHeaders().get(RequestIdFilter.HEADER)), endpoint);
        response.header(RequestIdFilter.HEADER, context.requestId);
        RouteTable table = routes.get();
        HttpHeaders headers = new HttpHeaders(new Netty4HeadersAdapter(request.requestHeaders()));
        return Mono.fromCallable(() -> authenticator.authenticate(table, headers))
                .flatMap(key -> {
                    context.keyName = key.name();
                    context.meter = new UsageMeter(endpoint.protocol(), endpoint.billed());
                    ledger.admit(key);
                    return readBody(request, context);
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
                        return countedHere(body, response, context, table); // no Anthropic upstream to ask: the tokenizer's estimate
                    }
                    return follow(plan, table, scan, headers, context).flatMap(answer -> relay(answer, context, table, response));
                })
                .onErrorResume(e -> clientLeft(e, context, table)
                        ? Mono.empty()
                        : ErrorResponses.render(endpoint.protocol(), e, context, metrics, ledger, table, response))
                // the connection closed while the upstream was still working on the request: the server cancels
                // the exchange, which closes the upstream connection; the request is recorded, as cancelled.
                // doFinally sees only the first of complete and cancel: a cancel after the answer records nothing
                .doFinally(signal -> {
                    if (signal == SignalType.CANCEL && context.meter != null) finished(context, SignalType.CANCEL, table);
                    if (context.body != null) context.body.release();
                });
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
        return sendJson(response, ErrorEnvelope.body(endpoint.protocol(), error));
    }

    /**
     * The client closed its connection before the answer could be sent: nothing is left to answer, and the
     * gateway did nothing wrong. An identified client's request is still recorded, as cancelled.
     */
    private boolean clientLeft(Throwable e, RequestContext context, RouteTable table) {
        if (!(e instanceof AbortedException)) return false;
        if (context.meter != null) finished(context, SignalType.CANCEL, table);
        return true;
    }

    /**
     * A JSON body the gateway wrote itself, sent with its length in one write; deferred, as Reactor Netty
     * throws at once when the client is gone already.
     */
    static Mono<Void> sendJson(HttpServerResponse response, byte[] json) {
        response.responseHeaders().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, json.length);
        return Mono.defer(() -> response.send(Mono.just(Unpooled.wrappedBuffer(json))).then());
    }

    /** The answer of the plan's targets, or the error that says why there is none. */
    private Mono<FailoverLoop.Answer> follow(RoutePlan plan, RouteTable table, RequestScan scan, HttpHeaders headers,
                                             RequestContext context) {
        return switch (plan) {
            case RoutePlan.Attempts attempts -> failover.run(attempts, table.health(), scan, headers, context);
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

    /**
     * The whole body, each chunk copied as it arrives (Reactor Netty releases it after): 413 past the size
     * limit, 503 past the budget of all bodies in flight. Its memory is held until the request ends.
     */
    private Mono<byte[]> readBody(HttpServerRequest request, RequestContext context) {
        long declared = contentLength(request.requestHeaders().get(HttpHeaderNames.CONTENT_LENGTH));
        if (declared > maxBodyBytes) return Mono.error(tooLarge());
        RequestBody body = new RequestBody(declared, maxBodyBytes, bodies);
        context.body = body;
        return request.receive()
                .doOnNext(chunk -> {
                    switch (body.add(chunk)) {
                        case TAKEN -> { }
                        case TOO_LARGE -> throw tooLarge();
                        case OVER_BUDGET -> throw overloaded();
                    }
                })
                .onErrorMap(ProxyHandler::bodyReadTimedOut, e -> new GatewayException(ErrorKind.REQUEST_TIMEOUT,
                        "The request body did not arrive in time: " + body.size() + " bytes came in " + bodyReadTimeout.toSeconds() + " s"))
                .then(Mono.defer(() -> body.size() == 0
                        ? Mono.error(new GatewayException(ErrorKind.INVALID_REQUEST, "The request body is empty"))
                        : Mono.just(body.bytes())))
                .contextWrite(BODY_ERRORS_DROPPED);
    }

    /**
     * Reactor Netty signals a body read timeout to the body's reader twice when the reader answers at once
     * (its answer completes the exchange, which disposes the body with the same error), and Reactor's default
     * logs the second at ERROR. This reader's errors dropped that way are the timeout it answered already.
     * The key is Reactor's own name for an operator chain's local onErrorDropped hook.
     */
    private static final reactor.util.context.Context BODY_ERRORS_DROPPED = reactor.util.context.Context.of(
            "reactor.onErrorDropped.local", (java.util.function.Consumer<Throwable>) e -> {
                if (bodyReadTimedOut(e)) log.debug("A body read timeout was signalled again after it was answered");
                else log.error("An error arrived after the request body had ended", e);
            });

    /** Reactor Netty's request timeout ({@code switchboard.limits.body-read-timeout}); its exception class is not public. */
    private static boolean bodyReadTimedOut(Throwable e) {
        return e instanceof io.netty.channel.ChannelException && e.getClass().getSimpleName().equals("RequestTimeoutException");
    }

    private GatewayException overloaded() {
        return new GatewayException(ErrorKind.OVERLOADED, "The gateway holds as many request bodies as it may ("
                + bodies.limit() / (1024 * 1024) + " MB); retry shortly", null, null, Duration.ofSeconds(1));
    }

    /** -1 when absent or not a number; the body's own length then decides. */
    private static long contentLength(String value) {
        if (value == null) return -1;
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private GatewayException tooLarge() {
        return new GatewayException(ErrorKind.REQUEST_TOO_LARGE,
                "The request body is larger than the gateway's limit of " + maxBodyBytes + " bytes");
    }

    /**
     * count_tokens for an alias with no Anthropic-protocol target: o200k_base's count, said to be an estimate.
     * Recorded as every identified client's request is, with no upstream and no cost.
     */
    private Mono<Void> countedHere(byte[] body, HttpServerResponse response, RequestContext context, RouteTable table) {
        return TokenEstimator.offLoop(body.length, () -> TokenEstimator.estimate(body, "").prompt())
                .flatMap(tokens -> {
                    context.status = HttpResponseStatus.OK.code();
                    response.status(HttpResponseStatus.OK).header(TOKEN_COUNT_HEADER, "estimated");
                    return whenDone(sendJson(response, ("{\"input_tokens\":" + tokens + "}").getBytes(StandardCharsets.UTF_8)),
                            context, table);
                });
    }

    /**
     * Status, a few headers and the body as the upstream sent them; or, from a target of the other protocol,
     * the answer translated (a 4xx becomes the gateway's error in the client's envelope).
     */
    private Mono<Void> relay(FailoverLoop.Answer answer, RequestContext context, RouteTable table, HttpServerResponse response) {
        return switch (answer.outcome()) {
            case AttemptOutcome.Delivered d -> deliver(d, answer, context, table, response);
            case AttemptOutcome.ClientError c -> passBackClientError(c.response(), answer, context, table, response);
            default -> Mono.error(new IllegalStateException("not an answer: " + answer.outcome()));
        };
    }

    private Mono<Void> deliver(AttemptOutcome.Delivered delivered, FailoverLoop.Answer answer, RequestContext context,
                               RouteTable table, HttpServerResponse response) {
        ClientHttpResponse upstream = delivered.response();
        boolean translated = Translation.needed(context.endpoint.protocol(), answer.target());
        context.status = upstream.getStatusCode().value();
        HttpHeaders from = upstream.getHeaders();
        if (delivered.streaming()) {
            writeHead(response, from, context, translated ? MediaType.TEXT_EVENT_STREAM_VALUE : null);
            // Reactor Netty flushes whenever its queue runs empty, which is after every event that arrives on its
            // own, and it releases the events still queued when the client drops the connection
            return sendBuffers(response, stream(upstream, answer, context, table).map(NettyDataBufferFactory::toByteBuf));
        }
        byte[] toClient;
        try {
            // translated before the response is committed: an answer that cannot be read still gets an error;
            // the one tree serves both the translation and the meter
            JsonNode tree = translated ? Translation.parse(delivered.body(), delivered.json()) : delivered.json();
            toClient = translated ? Translation.response(context.endpoint.protocol(), tree) : delivered.body();
            context.meter.answer(delivered.body(), tree, from);
        } catch (GatewayException e) {
            return Mono.error(e);
        }
        writeHead(response, from, context, translated ? MediaType.APPLICATION_JSON_VALUE : null);
        return sendWhole(response, toClient, context, table);
    }

    /**
     * An upstream's 4xx: the client's request was at fault. Read whole (error bodies are short) so that the
     * upstream's secrets can be taken out first: some providers echo the request in their error, the key the
     * gateway inserted included. Then passed back as the upstream wrote it, or, from a target of the other
     * protocol, as the gateway's error in the client's envelope.
     */
    private Mono<Void> passBackClientError(ClientHttpResponse upstream, FailoverLoop.Answer answer, RequestContext context,
                                           RouteTable table, HttpServerResponse response) {
        int status = upstream.getStatusCode().value();
        boolean translated = Translation.needed(context.endpoint.protocol(), answer.target());
        Secrets secrets = answer.target().upstream().secrets();
        return BodyBytes.read(upstream.getBody(), MAX_ERROR_BODY).defaultIfEmpty(new byte[0])
                .onErrorMap(DataBufferLimitException.class, e -> Translation.clientError(context.upstream, status,
                        ("its error body was over " + MAX_ERROR_BODY + " bytes and is not passed on").getBytes(StandardCharsets.US_ASCII)))
                .flatMap(raw -> {
                    byte[] body = secrets.redact(raw);
                    if (translated) return Mono.error(Translation.clientError(context.upstream, status, body));
                    context.status = status;
                    writeHead(response, upstream.getHeaders(), context, null);
                    return sendWhole(response, body, context, table);
                });
    }

    /**
     * The status, the upstream's headers a client may rely on, and the gateway's own.
     *
     * @param contentType the body's type when the gateway wrote the body (translated), else null
     */
    private static void writeHead(HttpServerResponse response, HttpHeaders from, RequestContext context, String contentType) {
        response.status(context.status);
        io.netty.handler.codec.http.HttpHeaders to = response.responseHeaders();
        for (String name : PASSED_BACK) {
            List<String> values = from.get(name);
            if (values != null) to.set(name, values);
        }
        if (contentType != null) {
            to.remove(HttpHeaderNames.CONTENT_LENGTH); // the body is not the upstream's
            to.set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        to.set(UPSTREAM_HEADER, context.upstream);
        to.set(ATTEMPTS_HEADER, Integer.toString(context.attempts));
    }

    /**
     * A body held whole, as a Mono with the length set: Reactor Netty sends status, headers and body as one
     * response in one write, where a stream of buffers costs a second send (and wakes the client twice);
     * deferred, as Reactor Netty throws at once when the client is gone already.
     */
    private Mono<Void> sendWhole(HttpServerResponse response, byte[] body, RequestContext context, RouteTable table) {
        response.responseHeaders().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        Mono<ByteBuf> whole = whenDone(Mono.just(Unpooled.wrappedBuffer(body)).doOnNext(b -> context.firstByteSent()), context, table);
        return Mono.defer(() -> response.send(whole).then());
    }

    /**
     * A stream, its status and headers sent once its first buffer is there. Reactor Netty writes the head
     * before it subscribes to the body: sent as soon as the upstream's head came, the first event went out in a
     * later write, and a client gone before that write left the body unsubscribed and the upstream connection
     * open. Subscribed first, the body is cancelled with the exchange, which closes the upstream connection;
     * a first buffer the send never took is released here.
     */
    private static Mono<Void> sendBuffers(HttpServerResponse response, Flux<ByteBuf> body) {
        return body.switchOnFirst((first, events) -> {
            boolean[] taken = {false}; // one exchange, one event loop
            return Mono.defer(() -> response.send(events.doOnSubscribe(s -> taken[0] = true)).then())
                    .doFinally(signal -> {
                        if (!taken[0] && first.hasValue()) ReferenceCountUtil.release(first.get());
                    });
        }).then();
    }

    /**
     * A stream, whole events at a time. Its end is the target's health verdict: complete is a success, a break
     * is a failure and becomes an error event for the client, a client leaving says nothing about the target.
     */
    private Flux<DataBuffer> stream(ClientHttpResponse response, FailoverLoop.Answer answer, RequestContext context,
                                    RouteTable table) {
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
                        if (out.length > 0) sink.next(BUFFERS.wrap(out));
                    })
                    .concatWith(Mono.fromCallable(translator::end)
                            .filter(end -> end.length > 0)
                            .map(BUFFERS::wrap));
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
                    return Mono.just(BUFFERS.wrap(ErrorEnvelope.streamEvent(context.endpoint.protocol(), broken)));
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
            case CANCEL -> drain.cutting() ? UsageRecord.GATEWAY_STOPPED : UsageRecord.CLIENT_CANCELLED;
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
