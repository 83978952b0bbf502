package dev.switchboard.bench;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.server.HttpServer;

/**
 * A mock provider fast enough never to be the bottleneck: fixed OpenAI and Anthropic answers, plain and
 * streaming, with usage, from pre-built buffers. {@code java ... MockUpstream <port>}.
 */
public final class MockUpstream {
    static final byte[] COMPLETION = """
            {"id":"chatcmpl-bench","object":"chat.completion","created":1,"model":"bench","choices":[{"index":0,\
            "message":{"role":"assistant","content":"Benchmarks measure what you ask them to, nothing more."},\
            "finish_reason":"stop"}],"usage":{"prompt_tokens":250,"completion_tokens":12,"total_tokens":262}}""".getBytes(StandardCharsets.UTF_8);
    static final byte[][] CHUNKS = sse(
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Bench\"},\"finish_reason\":null}],\"usage\":null}\n\n",
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"marks\"},\"finish_reason\":null}],\"usage\":null}\n\n",
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" measure.\"},\"finish_reason\":null}],\"usage\":null}\n\n",
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":250,\"completion_tokens\":3,\"total_tokens\":253}}\n\n",
            "data: [DONE]\n\n");
    static final byte[] MESSAGE = """
            {"id":"msg_bench","type":"message","role":"assistant","model":"bench","content":[{"type":"text",\
            "text":"Benchmarks measure what you ask them to."}],"stop_reason":"end_turn","stop_sequence":null,\
            "usage":{"input_tokens":250,"output_tokens":10}}""".getBytes(StandardCharsets.UTF_8);

    private static final AtomicLong TRACE_EXPORTS = new AtomicLong();

    private MockUpstream() {}

    private static byte[][] sse(String... events) {
        byte[][] out = new byte[events.length][];
        for (int i = 0; i < events.length; i++) out[i] = events[i].getBytes(StandardCharsets.UTF_8);
        return out;
    }

    /**
     * A stream held open: its first event at once, then one a second for {@link #HOLD_SECONDS} s, then usage
     * and [DONE]; {@code -Dbench.hold-seconds} sets the length (15 s by default).
     */
    static final int HOLD_SECONDS = Integer.getInteger("bench.hold-seconds", 15);

    private static Flux<ByteBuf> held() {
        return Flux.concat(
                Mono.just(CHUNKS[0]),
                Flux.interval(Duration.ofSeconds(1)).take(HOLD_SECONDS).map(tick -> CHUNKS[1]),
                Flux.fromArray(CHUNKS).skip(2)).map(Unpooled::wrappedBuffer);
    }

    /** Model "hold" through the gateway (its alias bench-hold), "bench-hold" as the bare proxy passes it on. */
    private static boolean held(String body) {
        return body.contains("\"model\":\"hold\"") || body.contains("\"model\":\"bench-hold\"");
    }

    private static boolean streaming(String body) {
        return body.contains("\"stream\":true") || body.contains("\"stream\": true");
    }

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        // h2c too, for a client that opens with HTTP/2's preface (an upstream set to http-version: 2)
        DisposableServer server = HttpServer.create().host("127.0.0.1").port(port).protocol(HttpProtocol.HTTP11, HttpProtocol.H2C)
                .route(routes -> routes
                        .post("/v1/chat/completions", (request, response) -> request.receive().aggregate().asString()
                                .defaultIfEmpty("")
                                .flatMap(body -> held(body)
                                        ? response.header("content-type", "text/event-stream").send(held(), b -> true).then()
                                        : streaming(body)
                                        ? response.header("content-type", "text/event-stream")
                                                .send(Flux.fromArray(CHUNKS).map(Unpooled::wrappedBuffer), b -> true).then()
                                        : response.header("content-type", "application/json")
                                                .header("content-length", Integer.toString(COMPLETION.length))
                                                .send(Mono.just(Unpooled.wrappedBuffer(COMPLETION))).then()))
                        .post("/v1/messages", (request, response) -> request.receive().then(
                                response.header("content-type", "application/json")
                                        .header("content-length", Integer.toString(MESSAGE.length))
                                        .send(Mono.<ByteBuf>just(Unpooled.wrappedBuffer(MESSAGE))).then()))
                        // an OTLP/HTTP sink for the gateway's traces (run.sh tracing), counting the exports it takes
                        .post("/v1/traces", (request, response) -> request.receive().then(Mono.fromRunnable(TRACE_EXPORTS::incrementAndGet))
                                .then(response.status(200).header("content-length", "0").send()))
                        .get("/v1/traces/count", (request, response) -> response.sendString(Mono.fromSupplier(() -> Long.toString(TRACE_EXPORTS.get())))))
                .bindNow(Duration.ofSeconds(10));
        System.out.println("mock upstream listening on " + server.port());
        server.onDispose().block();
    }
}
