package dev.switchboard.bench;

import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * Opens {@code streams} streaming requests at once, each on its own connection, on an alias whose upstream
 * holds every stream open for 15 s; counts the streams that ended with {@code [DONE]} and those that did not.
 * Prints one line: {@code streams=N complete=N failed=N peak_open=N}, then the first failures.
 * {@code java ... HeldStreams <port> <streams>}; gives up after 120 s.
 */
public final class HeldStreams {
    private HeldStreams() {}

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        int streams = Integer.parseInt(args[1]);
        String body = "{\"model\":\"bench-hold\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hold on.\"}]}";
        ConnectionProvider pool = ConnectionProvider.builder("held").maxConnections(streams).pendingAcquireMaxCount(-1).build();
        HttpClient client = HttpClient.create(pool).runOn(LoopResources.create("held", 2, true))
                .responseTimeout(Duration.ofSeconds(60))
                .headers(h -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer bench-key").set(HttpHeaderNames.CONTENT_TYPE, "application/json"));
        AtomicInteger open = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        AtomicInteger complete = new AtomicInteger();
        ConcurrentHashMap<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        Flux.range(0, streams)
                .flatMap(i -> client.post().uri("http://127.0.0.1:" + port + "/v1/chat/completions")
                        .send(ByteBufFlux.fromString(Mono.just(body)))
                        .response((response, content) -> {
                            if (response.status().code() != 200) {
                                return content.aggregate().asString().defaultIfEmpty("")
                                        .flatMap(text -> Mono.<String>error(new IllegalStateException("status " + response.status().code() + ": " + text)));
                            }
                            int now = open.incrementAndGet();
                            peak.accumulateAndGet(now, Math::max);
                            return content.asString().reduce(new StringBuilder(), StringBuilder::append).map(StringBuilder::toString)
                                    .doFinally(signal -> open.decrementAndGet());
                        })
                        .single()
                        .doOnNext(text -> {
                            if (text.endsWith("data: [DONE]\n\n")) complete.incrementAndGet();
                            else failures.computeIfAbsent("ended without [DONE]", k -> new AtomicInteger()).incrementAndGet();
                        })
                        .onErrorResume(e -> {
                            failures.computeIfAbsent(String.valueOf(e), k -> new AtomicInteger()).incrementAndGet();
                            return Mono.empty();
                        }), streams)
                .then()
                .block(Duration.ofSeconds(120));
        int failed = failures.values().stream().mapToInt(AtomicInteger::get).sum();
        System.out.printf("streams=%d complete=%d failed=%d peak_open=%d%n", streams, complete.get(), failed, peak.get());
        failures.entrySet().stream().limit(5).forEach(f -> System.out.println("  " + f.getValue() + " x " + f.getKey()));
        pool.dispose();
        System.exit(failed == 0 && complete.get() == streams ? 0 : 1);
    }
}
