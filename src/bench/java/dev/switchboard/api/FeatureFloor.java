package dev.switchboard.api;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

import org.springframework.http.HttpHeaders;
import org.springframework.http.support.Netty4HeadersAdapter;

import dev.switchboard.auth.ClientAuthenticator;
import dev.switchboard.config.ClientKey;
import dev.switchboard.config.ConfigLoader;
import dev.switchboard.config.RouteTable;
import dev.switchboard.config.Target;
import dev.switchboard.health.HealthRegistry;
import dev.switchboard.health.TargetHealth;
import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.protocol.RequestScan;
import dev.switchboard.routing.RequestFacts;
import dev.switchboard.routing.RoutePlan;
import dev.switchboard.routing.RoutePlanner;
import dev.switchboard.translate.Translator;
import dev.switchboard.translate.Translators;
import dev.switchboard.upstream.RequestBodyRewriter;
import dev.switchboard.usage.FloorLedger;
import dev.switchboard.usage.Outcome;
import dev.switchboard.usage.UsageMeter;
import dev.switchboard.usage.UsageRecord;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.client.HttpClient;
import reactor.netty.http.server.HttpServer;
import reactor.netty.resources.ConnectionProvider;

/**
 * The bare Reactor Netty proxy of {@code BareReactorNettyProxy}, with the ledger, doing inline each piece of
 * work a plain chat completion costs Switchboard because of what it must do, with Switchboard's own code for
 * each: the request id, the client's key looked up by its digest, the body copied and scanned for its model
 * and checked, the route planned over the targets' health, the body rewritten for the target's model, the
 * upstream's own key sent, the target's breaker and latency told, the answer's usage read and priced, the
 * metrics counted, and the record built from all of it. What it leaves out is the gateway's structure: the
 * operator chain, the failover loop, the relay's and completion's bookkeeping, the limits and budgets a key
 * without any skips anyway, and the exchange's timers. Its req/s against the bare proxy's is what this stack
 * allows a gateway with these features; Switchboard's against it is what its structure costs on top.
 * Plain chat completions on {@code /v1/chat/completions} only, with the first target of the plan: the
 * benchmark's load, nothing else.
 * {@code java ... FeatureFloor <port> <mock port> <ledger folder> <routes file>} (the mock's port is also the
 * routes file's {@code BENCH_MOCK_PORT}).
 */
public final class FeatureFloor {
    private FeatureFloor() {}

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        String mockPort = Integer.toString(Integer.parseInt(args[1]));
        FloorLedger ledger = FloorLedger.open(Path.of(args[2]));
        RouteTable table = new ConfigLoader(name -> name.equals("BENCH_MOCK_PORT") ? mockPort : System.getenv(name)).load(Path.of(args[3]));
        start(port, table, ledger::record).onDispose().block();
    }

    /** Serves on 127.0.0.1:{@code port}, each answered request's record handed to {@code ledger}. */
    static DisposableServer start(int port, RouteTable table, Consumer<UsageRecord> ledger) {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        HealthRegistry health = new HealthRegistry(registry);
        RoutePlanner planner = new RoutePlanner(health);
        GatewayMetrics metrics = new GatewayMetrics(registry);
        // every key of the benchmark is in the routes file: the admin API's directory is never asked
        ClientAuthenticator authenticator = new ClientAuthenticator(null);
        ApiEndpoint endpoint = ApiEndpoint.CHAT_COMPLETIONS;
        var servable = EnumSet.of(endpoint.protocol());
        ConcurrentHashMap<String, URI> uris = new ConcurrentHashMap<>();
        ConnectionProvider pool = ConnectionProvider.builder("mock").maxConnections(10_000).pendingAcquireMaxCount(-1).build();
        HttpClient client = HttpClient.create(pool);
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(port)
                .handle((request, response) -> {
                    long started = System.nanoTime();
                    String requestId = RequestIdFilter.idFor(request.requestHeaders().get(RequestIdFilter.HEADER));
                    response.header(RequestIdFilter.HEADER, requestId);
                    ClientKey key = authenticator.authenticate(table, new HttpHeaders(new Netty4HeadersAdapter(request.requestHeaders())));
                    UsageMeter meter = new UsageMeter(endpoint.protocol(), endpoint.billed());
                    return request.receive().aggregate().asByteArray().flatMap(body -> {
                        meter.request(body);
                        RequestScan scan = RequestScan.of(body);
                        String alias = endpoint.validate(scan);
                        RoutePlan.Attempts plan = (RoutePlan.Attempts) planner.plan(table,
                                new RequestFacts(alias, body.length, RequestIntake.maxTokens(scan, endpoint)),
                                endpoint.protocol(), servable);
                        Target target = plan.targets().getFirst();
                        TargetHealth breaker = health.of(target, table.health());
                        if (!breaker.tryAcquire()) return Mono.error(new IllegalStateException("the mock's breaker is open"));
                        meter.target(target);
                        Translator translator = Translators.of(endpoint.protocol(), target.upstream().protocol(), scan);
                        ByteBuf sent = RequestBodyRewriter.rewrite(translator.request(scan, target), target, false);
                        String upstreamName = target.upstream().name();
                        String routeAlias = plan.route().alias();
                        URI uri = uris.computeIfAbsent(upstreamName,
                                name -> target.upstream().resolve(endpoint.upstreamPath(target.upstream().protocol())));
                        long attemptStart = System.nanoTime();
                        return client.headers(h -> h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                                        .setInt(HttpHeaderNames.CONTENT_LENGTH, sent.readableBytes())
                                        .set(HttpHeaderNames.AUTHORIZATION, "Bearer " + target.upstream().apiKey())
                                        .set(RequestIdFilter.HEADER, requestId))
                                .post().uri(uri)
                                .send(Mono.just(sent))
                                .response((upstream, content) -> {
                                    long firstByte = System.nanoTime() - attemptStart;
                                    breaker.answered(Duration.ofNanos(firstByte));
                                    metrics.firstByte(routeAlias, upstreamName, firstByte);
                                    int status = upstream.status().code();
                                    return content.aggregate().asByteArray().flatMap(answer -> {
                                        breaker.succeeded(Duration.ofNanos(System.nanoTime() - attemptStart));
                                        metrics.attempt(routeAlias, upstreamName, "delivered");
                                        meter.answer(answer, null, new HttpHeaders(new Netty4HeadersAdapter(upstream.responseHeaders())));
                                        response.status(HttpResponseStatus.valueOf(status))
                                                .header(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
                                                .header(HttpHeaderNames.CONTENT_LENGTH, Integer.toString(answer.length));
                                        return response.send(Mono.just(Unpooled.wrappedBuffer(answer))).then().doOnSuccess(done -> {
                                            long nanos = System.nanoTime() - started;
                                            metrics.request(routeAlias, upstreamName, status, "ok", nanos);
                                            ledger.accept(meter.toRecord(requestId, key.name(), endpoint, routeAlias, false, status, Outcome.OK,
                                                    1, nanos / 1_000_000, null, table));
                                        });
                                    });
                                })
                                .then();
                    });
                })
                .bindNow(Duration.ofSeconds(10));
        server.onDispose(pool::dispose);
        return server;
    }
}
