package dev.switchboard.api;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.support.Netty4HeadersAdapter;
import org.springframework.stereotype.Component;

import dev.switchboard.auth.ClientAuthenticator;
import dev.switchboard.budget.Budgets;
import dev.switchboard.config.ClientKey;
import dev.switchboard.config.GatewayProperties;
import dev.switchboard.config.Protocol;
import dev.switchboard.config.Route;
import dev.switchboard.config.Target;
import dev.switchboard.limits.KeyRateLimits;
import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.RequestScan;
import dev.switchboard.protocol.responses.ResponsesInput;
import dev.switchboard.responses.ConversationHistory;
import dev.switchboard.routing.CostEstimator;
import dev.switchboard.routing.RequestFacts;
import dev.switchboard.routing.RoutePlan;
import dev.switchboard.routing.RoutePlanner;
import dev.switchboard.translate.Translators;
import dev.switchboard.usage.Pricing;
import dev.switchboard.usage.UsageMeter;
import io.netty.channel.ChannelException;
import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.Exceptions;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Signal;
import reactor.netty.http.server.HttpServerRequest;
import reactor.util.context.Context;

/**
 * A request's way in: the client's key and budget, its body read within the limits, checked to be what the
 * endpoint takes, and the plan of the targets that may serve it.
 */
@Component
class RequestIntake {
    private static final Logger log = LoggerFactory.getLogger(RequestIntake.class);

    /** A request the gateway takes: its body scanned, its alias named, its headers for the upstream. */
    record Accepted(RequestScan scan, String alias, HttpHeaders headers) {}

    private final ClientAuthenticator authenticator;
    private final KeyRateLimits limits;
    private final ConversationHistory history;
    private final Budgets budgets;
    private final RoutePlanner planner;
    private final int maxBodyBytes;
    private final BodyBudget bodies;
    private final Duration bodyReadTimeout;

    RequestIntake(ClientAuthenticator authenticator, ConversationHistory history, Budgets budgets, KeyRateLimits limits,
                  RoutePlanner planner, GatewayProperties properties, GatewayMetrics metrics) {
        this.authenticator = authenticator;
        this.limits = limits;
        this.history = history;
        this.budgets = budgets;
        this.planner = planner;
        this.maxBodyBytes = (int) Math.min(Integer.MAX_VALUE - 8, properties.maxBodySize().toBytes());
        this.bodies = new BodyBudget(properties.limits().bodiesInFlightBytes());
        this.bodyReadTimeout = properties.limits().bodyReadTimeout();
        metrics.bodies(bodies);
    }

    /** Authenticates, admits the key against its budget, reads and checks the body. */
    Mono<Accepted> accept(HttpServerRequest request, RequestContext context) {
        HttpHeaders headers = new HttpHeaders(new Netty4HeadersAdapter(request.requestHeaders()));
        ApiEndpoint endpoint = context.endpoint;
        int question = request.uri().indexOf('?');
        context.query = question < 0 ? null : request.uri().substring(question + 1);
        return Mono.fromCallable(() -> authenticator.authenticate(context.table, headers))
                .flatMap(key -> {
                    context.key = key;
                    context.keyName = key.name();
                    context.meter = new UsageMeter(endpoint.protocol(), endpoint.billed());
                    budgets.admit(key);
                    return readBody(request, context);
                })
                .flatMap(body -> {
                    context.meter.request(body);
                    RequestScan scan = RequestScan.of(body);
                    String alias = endpoint.validate(scan);
                    permitted(context, alias);
                    context.stream = scan.stream();
                    context.streamUsageWanted = endpoint == ApiEndpoint.CHAT_COMPLETIONS && scan.stream() && !scan.asksForStreamUsage();
                    if (endpoint != ApiEndpoint.RESPONSES) return Mono.just(new Accepted(scan, alias, headers));
                    return history.continueFrom(scan, context.keyName).flatMap(continued -> {
                        context.conversation = continued.conversation();
                        context.meter.request(continued.scan().body()); // the whole conversation is what the upstream reads
                        return Mono.just(new Accepted(continued.scan(), alias, headers));
                    });
                });
    }

    /**
     * A key restricted to some aliases is refused (403) any other, before its rate limits count the request and
     * before anything goes upstream. A model name no route serves is left to routing's 404.
     */
    private static void permitted(RequestContext context, String name) {
        if (context.key.aliases().isEmpty()) return; // no lookup for a key that may use every alias
        Route route = context.table.route(name);
        if (route == null || context.key.allows(route.alias())) return;
        throw new GatewayException(ErrorKind.PERMISSION, "Key '" + context.key.name() + "' may not use model '" + route.alias()
                + "': ask an administrator to add it to the key's aliases", "model", null);
    }

    /** The answer's length the request allows, in tokens, or null if it sets none. */
    static Long maxTokens(RequestScan scan, ApiEndpoint endpoint) {
        if (endpoint == ApiEndpoint.EMBEDDINGS) return 0L; // priced by its input alone
        Long maxTokens = scan.longValue("max_tokens");
        if (maxTokens == null) maxTokens = scan.longValue("max_completion_tokens");
        if (maxTokens == null) maxTokens = scan.longValue("max_output_tokens");
        return maxTokens;
    }

    /** The targets that may serve the request, in the order to try them, or why there are none. */
    RoutePlan plan(Accepted accepted, RequestContext context) {
        RequestScan scan = accepted.scan();
        Long maxTokens = maxTokens(scan, context.endpoint);
        Protocol client = context.endpoint.protocol();
        Set<Protocol> servable = context.endpoint.translatable() ? Translators.servable(client) : EnumSet.of(client);
        // a hosted tool (web_search, file_search...) runs at the upstream: only one that speaks the Responses API can
        List<String> hosted = context.endpoint == ApiEndpoint.RESPONSES ? ResponsesInput.hostedTools(scan.valueTree("tools")) : List.of();
        if (!hosted.isEmpty()) servable = EnumSet.of(Protocol.OPENAI_RESPONSES);
        RoutePlan plan = planner.plan(context.table, new RequestFacts(accepted.alias(), scan.body().length, maxTokens), client, servable);
        if (!hosted.isEmpty() && plan instanceof RoutePlan.NoTarget none) {
            throw new GatewayException(ErrorKind.INVALID_REQUEST, "The tool '" + hosted.getFirst() + "' runs only on an upstream that"
                    + " speaks the Responses API itself, and model '" + none.route().alias() + "' has none: leave it out of tools"
                    + " (Codex: web_search = \"disabled\" in config.toml)", "tools", null);
        }
        // the route's own alias, whatever name the client gave it: a metric tag, so never client text
        if (plan.route() != null) context.alias = plan.route().alias();
        return plan;
    }

    /**
     * The plan once the request is admitted by its key's and team's rate limits and its worst-case cost is held
     * on their budgets, or the refusal (429, 402) before anything is sent upstream. Limits and holds are asked at
     * once (through Redis, one round trip together), and what one refusal leaves taken of the other is given
     * back. A key without limits or budget goes on as it is, at no cost. The tokens the limits take: the prompt's
     * bytes over four (no tokenizer on the event loop) plus the answer it allows.
     */
    Mono<RoutePlan> held(RoutePlan plan, Accepted accepted, RequestContext context) {
        ClientKey key = context.key;
        RequestScan scan = accepted.scan();
        Long answer = maxTokens(scan, context.endpoint);
        boolean limited = key.limits().any() || (key.team() != null && key.team().limits().any());
        boolean budgeted = plan instanceof RoutePlan.Attempts && key.budgeted() && context.endpoint.billed();
        if (!limited && !budgeted) return Mono.just(plan);
        Mono<KeyRateLimits.Admission> admission = limited
                ? limits.admit(key, scan.body().length / 4 + (answer == null ? 0 : Math.max(0, answer))) : Mono.just(KeyRateLimits.Admission.NONE);
        Mono<Budgets.Reservation> reservation = budgeted
                ? budgets.hold(key, worstCase((RoutePlan.Attempts) plan, scan, answer, context)) : Mono.just(Budgets.Reservation.NONE);
        // each kept as soon as it is taken: a client gone meanwhile has its request's end give it back
        return Mono.zip(admission.doOnNext(a -> context.admission = a).materialize(),
                        reservation.doOnNext(r -> context.reservation = r).materialize()).map(both -> {
            Signal<KeyRateLimits.Admission> admitted = both.getT1();
            Signal<Budgets.Reservation> held = both.getT2();
            if (admitted.isOnNext() && held.isOnNext()) return plan;
            if (admitted.isOnNext()) admitted.get().refund();
            if (held.isOnNext()) held.get().settle(0);
            context.admission = KeyRateLimits.Admission.NONE; // given back already: the request's end has nothing to give
            context.reservation = Budgets.Reservation.NONE;
            // a rate limit's refusal first, as a client that waits for it may then find the budget has room
            throw Exceptions.propagate(admitted.isOnError() ? admitted.getThrowable() : held.getThrowable());
        });
    }

    /**
     * What the request may cost at most, in credits, at the first target's prices (the cheapest healthy one):
     * its prompt estimated from its size, and the whole answer it allows, else the route's expected answer.
     */
    private static long worstCase(RoutePlan.Attempts attempts, RequestScan scan, Long maxTokens, RequestContext context) {
        RequestFacts facts = new RequestFacts(attempts.route().alias(), scan.body().length, maxTokens);
        Target first = attempts.targets().getFirst();
        java.math.BigDecimal usd = CostEstimator.estimate(first, CostEstimator.promptTokens(facts), CostEstimator.outputTokens(facts, attempts.route()));
        return Pricing.credits(usd, context.table.creditsPerUsd());
    }

    /**
     * The whole body, each chunk copied as it arrives (Reactor Netty releases it after): 413 past the size
     * limit, 503 past the budget of all bodies in flight, 408 when it stops coming. Its memory is held until
     * the request ends ({@link ProxyHandler}).
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
                .onErrorMap(RequestIntake::bodyReadTimedOut, e -> new GatewayException(ErrorKind.REQUEST_TIMEOUT,
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
    private static final Context BODY_ERRORS_DROPPED = Context.of("reactor.onErrorDropped.local", (Consumer<Throwable>) e -> {
        if (bodyReadTimedOut(e)) log.debug("A body read timeout was signalled again after it was answered");
        else log.error("An error arrived after the request body had ended", e);
    });

    /** Reactor Netty's request timeout ({@code switchboard.limits.body-read-timeout}); its exception class is not public. */
    private static boolean bodyReadTimedOut(Throwable e) {
        return e instanceof ChannelException && e.getClass().getSimpleName().equals("RequestTimeoutException");
    }

    private GatewayException overloaded() {
        return new GatewayException(ErrorKind.OVERLOADED, "The gateway holds as many request bodies as it may ("
                + bodies.limit() / (1024 * 1024) + " MB); retry shortly", null, null, Duration.ofSeconds(1));
    }

    private GatewayException tooLarge() {
        return new GatewayException(ErrorKind.REQUEST_TOO_LARGE,
                "The request body is larger than the gateway's limit of " + maxBodyBytes + " bytes");
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
}
