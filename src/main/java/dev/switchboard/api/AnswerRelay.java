package dev.switchboard.api;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBufferFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ClientHttpResponse;
import org.springframework.stereotype.Component;

import dev.switchboard.limits.RateLimitHeaders;
import dev.switchboard.limits.RateLimitedException;
import dev.switchboard.config.GatewayProperties;
import dev.switchboard.config.Secrets;
import dev.switchboard.health.TargetHealth;
import dev.switchboard.protocol.BodyBytes;
import dev.switchboard.protocol.ErrorEnvelope;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.SseEvent;
import dev.switchboard.protocol.SseFrames;
import dev.switchboard.protocol.SseScanner;
import dev.switchboard.protocol.StreamUsageTap;
import dev.switchboard.translate.StreamTranslator;
import dev.switchboard.translate.Translator;
import dev.switchboard.translate.Translators;
import dev.switchboard.upstream.AttemptOutcome;
import dev.switchboard.upstream.UpstreamExchange;
import dev.switchboard.upstream.UpstreamTimeoutException;
import dev.switchboard.usage.TokenEstimator;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.EventExecutor;
import reactor.core.Disposable;
import reactor.core.observability.DefaultSignalListener;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;
import reactor.netty.channel.AbortedException;
import reactor.netty.http.server.HttpServerResponse;
import tools.jackson.databind.JsonNode;

/**
 * A request's way out: the answer a target gave, passed to the client as the upstream's own bytes (each
 * stream event flushed as it comes) or through the attempt's translator; or the gateway's own answer, an
 * error in the client's envelope or a token count. Once the client has an event there is no failover: a broken
 * stream ends with an error event in the client's protocol.
 */
@Component
class AnswerRelay {
    private static final Logger log = LoggerFactory.getLogger(AnswerRelay.class);
    static final String UPSTREAM_HEADER = "x-switchboard-upstream";
    static final String ATTEMPTS_HEADER = "x-switchboard-attempts";
    /** How long the gateway itself took, in ms: {@link RequestContext#overheadMillis}. */
    static final String OVERHEAD_HEADER = "x-switchboard-overhead-ms";
    /** Set on a count_tokens answer the gateway counted itself. */
    static final String TOKEN_COUNT_HEADER = "x-switchboard-token-count";
    private static final int MAX_ERROR_BODY = 64 * 1024;
    /** Wraps what the gateway writes itself into a stream (translated events, the error event). */
    private static final NettyDataBufferFactory BUFFERS = new NettyDataBufferFactory(ByteBufAllocator.DEFAULT);
    /** Upstream response headers a client may rely on; the rest (cookies, provider internals) stay behind. */
    private static final List<String> PASSED_BACK = List.of(
            HttpHeaders.CONTENT_TYPE, HttpHeaders.CONTENT_LENGTH, HttpHeaders.RETRY_AFTER, HttpHeaders.CACHE_CONTROL);

    private static final Map<EventExecutor, Scheduler> LOOP_TIMERS = new ConcurrentHashMap<>();

    private final RequestCompletion completion;
    private final GatewayMetrics metrics;
    private final StreamKeepalive keepalive;

    AnswerRelay(RequestCompletion completion, GatewayMetrics metrics, GatewayProperties properties) {
        this.completion = completion;
        this.metrics = metrics;
        this.keepalive = new StreamKeepalive(properties.streamKeepalive());
    }

    /**
     * The answer of the plan's targets, once there is one. A client that asked for a stream is not left
     * waiting in silence for it: when {@code stream-keepalive} passes with no answer yet, its head goes out
     * (200, {@code text/event-stream}) with a comment, and comments follow each silence while the failover
     * goes on behind them. The client has had no event yet, so a later target may still answer; but what
     * would have been an error status (every target failed, an upstream's 4xx) then comes as an error event
     * in the client's protocol, and the head names no upstream.
     */
    Mono<Void> relay(Mono<FailoverLoop.Answer> answer, RequestContext context, HttpServerResponse response) {
        if (!context.stream || !keepalive.on()) {
            return answer.flatMap(a -> relayAnswer(a, context, response));
        }
        return Mono.defer(() -> {
            AwaitedAnswer awaited = new AwaitedAnswer(answer, context);
            return awaited.arrived.asMono().map(Optional::of)
                    .timeout(keepalive.silence(), Mono.fromSupplier(Optional::empty), timerOf(response))
                    .flatMap(first -> first.isPresent()
                            ? awaited.take().flatMap(a -> relayAnswer(a, context, response))
                            : relayCommittedEarly(awaited, context, response))
                    .doOnCancel(awaited::abandon);
        });
    }

    /**
     * The client connection's own event loop, as the scheduler of its stream's timers: a timer set and cancelled
     * there takes no lock and wakes no other thread, where one on a shared scheduler did both for every stream.
     * One per event loop, and the loops are fixed for the server's life.
     */
    private static Scheduler timerOf(HttpServerResponse response) {
        EventLoop loop = loopOf(response);
        return loop == null ? Schedulers.parallel() : LOOP_TIMERS.computeIfAbsent(loop, l -> Schedulers.fromExecutorService(l, "event-loop-timer"));
    }

    /** The client connection's event loop, whose sweep keeps its streams alive; null if it has no connection any more. */
    private static EventLoop loopOf(HttpServerResponse response) {
        EventLoop[] loop = {null};
        // a channel closed and deregistered already has no loop, and its stream ends at once
        response.withConnection(connection -> {
            if (connection.channel().isRegistered()) loop[0] = connection.channel().eventLoop();
        });
        return loop[0];
    }

    /**
     * An answer the failover is still working on, taken once by the relay. Subscribed here rather than in the
     * relay's chain, so that the keepalive's timer can go first without cancelling it; and so a client that
     * leaves reaches the upstream only through {@link #abandon}.
     */
    private static final class AwaitedAnswer {
        final Sinks.One<FailoverLoop.Answer> arrived = Sinks.one();
        private final AtomicBoolean taken = new AtomicBoolean();
        private final Disposable waiting;
        private final RequestContext context;

        AwaitedAnswer(Mono<FailoverLoop.Answer> answer, RequestContext context) {
            this.context = context;
            waiting = answer.subscribe(arrived::tryEmitValue, arrived::tryEmitError, arrived::tryEmitEmpty);
        }

        Mono<FailoverLoop.Answer> take() {
            return arrived.asMono().filter(a -> taken.compareAndSet(false, true));
        }

        /**
         * The client left: the attempt under way is cancelled, and an answer that came is closed, taken or
         * not. The relay may have taken it on the upstream's event loop just as the cancel came on the
         * client's, and then never read its body.
         */
        void abandon() {
            waiting.dispose();
            arrived.asMono().subscribe(a -> {
                boolean unclaimed = taken.compareAndSet(false, true);
                switch (a.outcome()) {
                    case AttemptOutcome.Delivered d when d.streaming() -> {
                        // a stream holds its target's permission until it ends; one the relay started releases
                        // it as it is cancelled
                        if (unclaimed || !context.streamRelayed) a.health().release();
                        UpstreamExchange.abandon(d.response());
                    }
                    case AttemptOutcome.ClientError c -> UpstreamExchange.abandon(c.response());
                    default -> { }
                }
            }, e -> {});
        }
    }

    /**
     * The head now, before the answer: a comment first, the answer's events once they come (kept alive as
     * every stream is), or the failover's error as the stream's one event.
     */
    private Mono<Void> relayCommittedEarly(AwaitedAnswer awaited, RequestContext context, HttpServerResponse response) {
        context.status = HttpResponseStatus.OK.code();
        response.status(HttpResponseStatus.OK);
        io.netty.handler.codec.http.HttpHeaders headers = response.responseHeaders();
        headers.set(HttpHeaderNames.CONTENT_TYPE, MediaType.TEXT_EVENT_STREAM_VALUE);
        headers.set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        headers.set(OVERHEAD_HEADER, context.overheadMillis());
        RateLimitHeaders limits = context.admission.headers();
        if (limits != null) limits.writeTo(headers);
        Flux<ByteBuf> events = awaited.take()
                .flatMapMany(answer -> eventsAfterEarlyHead(answer, context, loopOf(response)))
                .onErrorResume(e -> Mono.fromSupplier(() -> Unpooled.wrappedBuffer(
                        ErrorEnvelope.streamEvent(context.endpoint.protocol(), answeredWithError(e, context)))));
        // a client that leaves while the failover still works is seen here, as the body is cancelled
        Flux<ByteBuf> body = completion.whenDone(Flux.concat(Mono.fromSupplier(() -> Unpooled.wrappedBuffer(StreamKeepalive.COMMENT)), events),
                context).doOnCancel(awaited::abandon);
        return Mono.defer(() -> response.send(keepalive.around(body, loopOf(response), () -> context.answered)).then());
    }

    /** What follows a head sent early: the stream a target delivered; anything else fails as an error event. */
    private Flux<ByteBuf> eventsAfterEarlyHead(FailoverLoop.Answer answer, RequestContext context, EventLoop loop) {
        return switch (answer.outcome()) {
            case AttemptOutcome.Delivered d when d.streaming() -> {
                context.status = d.response().getStatusCode().value();
                yield stream(d.response(), answer, context, loop).map(NettyDataBufferFactory::toByteBuf);
            }
            case AttemptOutcome.Delivered d -> Flux.error(new GatewayException(ErrorKind.UPSTREAM_UNREACHABLE,
                    "Upstream '" + context.upstream + "' answered the stream request with a whole answer"));
            case AttemptOutcome.ClientError c -> {
                int status = c.response().getStatusCode().value();
                Secrets secrets = answer.target().upstream().secrets();
                yield BodyBytes.read(c.response().getBody(), MAX_ERROR_BODY).defaultIfEmpty(new byte[0])
                        .onErrorMap(DataBufferLimitException.class, e -> Translators.errorTooLarge(context.upstream, status, MAX_ERROR_BODY))
                        .flatMapMany(raw -> Flux.error(Translators.upstreamError(context.upstream, status, secrets.redact(raw))));
            }
            default -> Flux.error(new IllegalStateException("not an answer: " + answer.outcome()));
        };
    }

    /** The answer a target gave: a 2xx delivered, or a 4xx that says the client's request was at fault. */
    private Mono<Void> relayAnswer(FailoverLoop.Answer answer, RequestContext context, HttpServerResponse response) {
        return switch (answer.outcome()) {
            case AttemptOutcome.Delivered d -> deliver(d, answer, context, response);
            case AttemptOutcome.ClientError c -> passBackClientError(c.response(), answer, context, response);
            default -> Mono.error(new IllegalStateException("not an answer: " + answer.outcome()));
        };
    }

    private Mono<Void> deliver(AttemptOutcome.Delivered delivered, FailoverLoop.Answer answer, RequestContext context,
                               HttpServerResponse response) {
        ClientHttpResponse upstream = delivered.response();
        Translator translator = answer.translator();
        context.status = upstream.getStatusCode().value();
        HttpHeaders from = upstream.getHeaders();
        if (delivered.streaming()) {
            writeHead(response, from, context, translator.passthrough() ? null : MediaType.TEXT_EVENT_STREAM_VALUE);
            // Reactor Netty flushes whenever its queue runs empty, which is after every event that arrives on its
            // own, and it releases the events still queued when the client drops the connection
            return sendBuffers(response, keepalive.around(stream(upstream, answer, context, loopOf(response)).map(NettyDataBufferFactory::toByteBuf),
                    loopOf(response), () -> context.answered));
        }
        byte[] toClient;
        try {
            // translated before the response is committed: an answer that cannot be read still gets an error;
            // the one tree serves both the translation and the meter
            JsonNode tree = translator.passthrough() ? delivered.json() : Translators.tree(delivered.body(), delivered.json());
            toClient = translator.answer(delivered.body(), tree);
            context.meter.answer(delivered.body(), tree, from);
            if (context.conversation != null) context.conversation.answered(translator.passthrough() && tree != null ? tree : Json.MAPPER.readTree(toClient));
        } catch (GatewayException e) {
            return Mono.error(e);
        }
        writeHead(response, from, context, translator.passthrough() ? null : MediaType.APPLICATION_JSON_VALUE);
        // a Responses answer goes once its turn is stored; other endpoints' answers have nothing to wait for
        if (context.conversation == null) return sendWhole(response, toClient, context);
        return completion.kept(context, loopOf(response)).then(Mono.defer(() -> sendWhole(response, toClient, context)));
    }

    /**
     * An upstream's 4xx: the client's request was at fault. Read whole (error bodies are short) so that the
     * upstream's secrets can be taken out first: some providers echo the request in their error, the key the
     * gateway inserted included. Then passed back as the upstream wrote it, or, through a translator, as the
     * gateway's error in the client's envelope.
     */
    private Mono<Void> passBackClientError(ClientHttpResponse upstream, FailoverLoop.Answer answer, RequestContext context,
                                           HttpServerResponse response) {
        int status = upstream.getStatusCode().value();
        Translator translator = answer.translator();
        Secrets secrets = answer.target().upstream().secrets();
        return BodyBytes.read(upstream.getBody(), MAX_ERROR_BODY).defaultIfEmpty(new byte[0])
                .onErrorMap(DataBufferLimitException.class, e -> Translators.errorTooLarge(context.upstream, status, MAX_ERROR_BODY))
                .flatMap(raw -> {
                    byte[] body = secrets.redact(raw);
                    GatewayException translated = translator.clientError(context.upstream, status, body);
                    if (translated != null) return Mono.error(translated);
                    context.status = status;
                    writeHead(response, upstream.getHeaders(), context, null);
                    return sendWhole(response, body, context);
                });
    }

    /**
     * A stream, whole events at a time. Its end is the target's health verdict: complete is a success, a break
     * is a failure and becomes an error event for the client, a client leaving says nothing about the target.
     */
    private Flux<DataBuffer> stream(ClientHttpResponse response, FailoverLoop.Answer answer, RequestContext context, EventLoop loop) {
        TargetHealth health = answer.health();
        StreamTranslator translator = answer.translator().stream();
        // the tap reads the upstream's own events; a translated stream's usage chunk goes to the translator
        StreamUsageTap tap = context.meter.tap(translator == null && UpstreamExchange.injectsStreamUsage(answer.target(), context.streamUsageWanted));
        Flux<DataBuffer> events = SseFrames.whole(response.getBody())
                .<DataBuffer>handle((buffer, sink) -> {
                    DataBuffer passed = tap.inspect(buffer);
                    // before the bytes go: a client that reads the closing event may leave at once
                    if (translator == null && tap.answered()) context.answered = true;
                    if (passed != null) sink.next(passed);
                });
        if (translator != null) {
            events = events.<DataBuffer>handle((buffer, sink) -> {
                        byte[] out = translate(translator, buffer);
                        if (translator.answered()) context.answered = true;
                        if (out.length > 0) sink.next(BUFFERS.wrap(out));
                    })
                    // a body cut by the exchange's cancel has no end to translate: it would read as a broken stream
                    .concatWith(Mono.fromCallable(() -> context.cancelled ? new byte[0] : translator.end())
                            .filter(end -> end.length > 0)
                            .map(BUFFERS::wrap));
        }
        // one listener of the events rather than an operator for each of its signals: an open stream keeps them all
        Flux<DataBuffer> relayed = events.tap(() -> new DefaultSignalListener<>() {
            @Override
            public void doOnNext(DataBuffer b) {
                context.firstByteSent();
                // a Responses stream's closing event is about to go: its response is stored from now on
                if (context.conversation != null && context.keeping == null && (translator != null ? translator.answered() : tap.answered())) {
                    context.conversation.answered(translator != null ? translator.finalResponse() : tap.finalResponse());
                    completion.keep(context);
                }
            }

            @Override
            public void doOnComplete() {
                // cut by the exchange's cancel: no verdict on the target, whose permission goes back as a
                // cancelled stream's does, and nothing to store
                if (context.cancelled) {
                    health.release();
                    return;
                }
                health.succeeded(sinceStart(answer));
            }
        });
        // a Responses stream's turn stored before the stream's end goes: a client that read it to its end can
        // continue it anywhere (other endpoints store nothing, and their streams carry no operator for it)
        if (context.conversation != null) relayed = relayed.concatWith(completion.kept(context, loop).then(Mono.empty()));
        return relayed
                .onErrorResume(e -> {
                    if (context.cancelled) { // the cancel's doing, not the upstream's
                        health.release();
                        return Mono.empty();
                    }
                    GatewayException broken = streamBroken(context, e);
                    context.streamBroke = true;
                    health.failed(sinceStart(answer), broken.getMessage());
                    log.warn("request id={} upstream={} stream broke after it started: {}", context.requestId, context.upstream,
                            broken.getMessage());
                    byte[] failed = translator == null ? null : translator.failed(broken.kind().openAiCode(), broken.getMessage());
                    return Mono.just(BUFFERS.wrap(failed != null ? failed : ErrorEnvelope.streamEvent(context.endpoint.protocol(), broken)));
                })
                .tap(() -> new RequestCompletion.Recording<DataBuffer>(completion, context, false) {
                    @Override
                    public void doOnSubscription() {
                        context.streamRelayed = true;
                    }

                    @Override
                    public void doOnCancel() {
                        super.doOnCancel();
                        health.release();
                    }
                });
    }

    /** One buffer of whole upstream events, translated; the buffer is released here. */
    private static byte[] translate(StreamTranslator translator, DataBuffer buffer) {
        byte[] upstream = new byte[buffer.readableByteCount()];
        buffer.read(upstream);
        DataBufferUtils.release(buffer);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SseScanner.forEach(upstream, 0, upstream.length, true,
                (bytes, from, to) -> out.writeBytes(translator.event(SseEvent.parse(bytes, from, to))));
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
     * count_tokens for an alias with no Anthropic-protocol target: o200k_base's count, said to be an estimate.
     * Recorded as every identified client's request is, with no upstream and no cost.
     */
    Mono<Void> countedHere(byte[] body, RequestContext context, HttpServerResponse response) {
        return TokenEstimator.offLoop(body.length, () -> TokenEstimator.estimate(body, "").prompt())
                .flatMap(tokens -> {
                    context.status = HttpResponseStatus.OK.code();
                    response.status(HttpResponseStatus.OK).header(TOKEN_COUNT_HEADER, "estimated");
                    return completion.whenDone(sendJson(response, ("{\"input_tokens\":" + tokens + "}").getBytes(StandardCharsets.UTF_8)),
                            context);
                });
    }

    /**
     * The gateway's own error as the request's answer, in the envelope of the protocol the client speaks. A
     * client that left before the answer could be sent gets nothing, and its request is recorded as cancelled;
     * a failure after the status went out cannot be answered any more: it ends the exchange, and Reactor Netty
     * closes the connection.
     */
    Mono<Void> error(Throwable failure, RequestContext context, HttpServerResponse response) {
        if (failure instanceof AbortedException) {
            completion.finished(context, reactor.core.publisher.SignalType.CANCEL);
            return Mono.empty();
        }
        if (response.hasSentHeaders()) return Mono.error(failure);
        GatewayException error = answeredWithError(failure, context);
        response.status(error.kind().status());
        io.netty.handler.codec.http.HttpHeaders headers = response.responseHeaders();
        if (context.attempts > 0) {
            headers.set(UPSTREAM_HEADER, context.upstream);
            headers.set(ATTEMPTS_HEADER, Integer.toString(context.attempts));
        }
        headers.set(OVERHEAD_HEADER, context.overheadMillis());
        if (!retryable(error.kind().status())) {
            // the SDKs (and Claude Code through them) would otherwise retry what cannot succeed, a wrong key too
            headers.set("x-should-retry", "false");
        }
        RateLimitHeaders limits = error instanceof RateLimitedException refused ? refused.headers() : context.admission.headers();
        if (limits != null) limits.writeTo(headers);
        if (error.retryAfter() != null) {
            // whole seconds, rounded up: a client retrying on time must find the cooldown over
            long seconds = Math.max(1, (error.retryAfter().toMillis() + 999) / 1000);
            headers.set(HttpHeaders.RETRY_AFTER, Long.toString(seconds));
        }
        return sendJson(response, ErrorEnvelope.body(context.endpoint.protocol(), error));
    }

    /** The gateway's error as the request's answer, counted, recorded and logged: as a status, or as a stream's event. */
    private GatewayException answeredWithError(Throwable failure, RequestContext context) {
        GatewayException error = failure instanceof GatewayException g ? g
                : new GatewayException(ErrorKind.INTERNAL, "Internal gateway error (request " + context.requestId + ")", null, failure);
        context.status = error.kind().status();
        if (error.kind() == ErrorKind.INTERNAL) {
            log.error("request id={} failed inside the gateway", context.requestId, failure);
        }
        metrics.request(context.alias, context.upstream, context.status, "error", context.elapsedNanos());
        completion.failed(context);
        log.info("request id={} key={} endpoint={} alias={} upstream={} attempts={} status={} error={} latency_ms={}",
                context.requestId, context.keyName, context.endpoint.wireName(), context.alias, context.upstream, context.attempts,
                context.status, error.kind(), context.elapsedMillis());
        return error;
    }

    /** Whether the same request may succeed if sent again: timeouts, conflicts, rate limits and server errors. */
    private static boolean retryable(int status) {
        return status == 408 || status == 409 || status == 429 || status >= 500;
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
        to.set(OVERHEAD_HEADER, context.overheadMillis());
        RateLimitHeaders limits = context.admission.headers();
        if (limits != null) limits.writeTo(to);
    }

    /**
     * A body held whole, as a Mono with the length set: Reactor Netty sends status, headers and body as one
     * response in one write, where a stream of buffers costs a second send (and wakes the client twice);
     * deferred, as Reactor Netty throws at once when the client is gone already.
     */
    private Mono<Void> sendWhole(HttpServerResponse response, byte[] body, RequestContext context) {
        response.responseHeaders().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        Mono<ByteBuf> whole = completion.whenDone(Mono.just(Unpooled.wrappedBuffer(body)), context);
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
     * A JSON body the gateway wrote itself, sent with its length in one write; deferred, as Reactor Netty
     * throws at once when the client is gone already.
     */
    static Mono<Void> sendJson(HttpServerResponse response, byte[] json) {
        response.responseHeaders().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                .setInt(HttpHeaderNames.CONTENT_LENGTH, json.length);
        return Mono.defer(() -> response.send(Mono.just(Unpooled.wrappedBuffer(json))).then());
    }
}
