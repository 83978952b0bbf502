package dev.switchboard.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.management.OperatingSystemMXBean;
import io.netty.handler.codec.http.HttpHeaderNames;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.ByteBufFlux;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import reactor.netty.resources.LoopResources;

/**
 * Opens {@code streams} streaming requests, each on its own connection, {@code per-second} a second (1,000 by
 * default: clients arrive over time, and ten thousand connects in one millisecond measure the kernel's SYN
 * queue, whose overflow costs seconds of retransmits, not the gateway), on an alias whose upstream
 * holds every stream open for {@code hold-seconds} (its first event at once); counts the streams that ended
 * with {@code [DONE]} and those that did not, and times each stream's first event from its request's send.
 * Prints {@code streams=N complete=N failed=N peak_open=N}, then {@code first_event_ms p50=.. p99=.. max=..},
 * then the first failures. {@code java ... HeldStreams <port> <streams> [hold-seconds [per-second]]}; gives up
 * 120 s after the last stream's hold would end.
 * <p>
 * With {@code -Dbench.warm-port=<the mock's port>} it first opens short streams straight to the mock, each on a
 * new connection, at the same pace ({@code -Dbench.warm-streams}, 3,000 by default), none of them timed: a fresh
 * JVM interprets its client's code, and a mock warmed only by keep-alive connections has never accepted many.
 * Left cold, both counted in the first streams' times (a few hundred milliseconds in the first tenth, straight
 * to the mock too), whatever proxy stood between them. {@code -Dbench.warmed-file} names a file it writes once
 * warm, before the first measured stream; the CPU it prints is its own from then on.
 */
public final class HeldStreams {
    private HeldStreams() {}

    public static void main(String[] args) {
        int port = Integer.parseInt(args[0]);
        int streams = Integer.parseInt(args[1]);
        int holdSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        int perSecond = args.length > 3 ? Integer.parseInt(args[3]) : 1_000;
        long[] firstEventNanos = new long[streams];
        String body = "{\"model\":\"bench-hold\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Hold on.\"}]}";
        ConnectionProvider pool = ConnectionProvider.builder("held").maxConnections(streams).pendingAcquireMaxCount(-1).build();
        HttpClient client = HttpClient.create(pool).runOn(LoopResources.create("held", 2, true))
                .responseTimeout(Duration.ofSeconds(60))
                .headers(h -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer bench-key").set(HttpHeaderNames.CONTENT_TYPE, "application/json"));
        Integer warmPort = Integer.getInteger("bench.warm-port");
        if (warmPort != null) warmUp(client, warmPort, Integer.getInteger("bench.warm-streams", 3_000), perSecond);
        long warmCpuNanos = cpuNanos();
        // run.sh starts its CPU and heap readings of the proxy when this appears
        String warmedFile = System.getProperty("bench.warmed-file");
        if (warmedFile != null) {
            try {
                Files.writeString(Path.of(warmedFile), "warmed\n");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        AtomicInteger open = new AtomicInteger();
        AtomicInteger peak = new AtomicInteger();
        AtomicInteger complete = new AtomicInteger();
        ConcurrentHashMap<String, AtomicInteger> failures = new ConcurrentHashMap<>();
        Flux.range(0, streams)
                .delayElements(Duration.ofNanos(1_000_000_000L / perSecond))
                .flatMap(i -> Mono.defer(() -> {
                    long sent = System.nanoTime();
                    return client.post().uri("http://127.0.0.1:" + port + "/v1/chat/completions")
                        .send(ByteBufFlux.fromString(Mono.just(body)))
                        .response((response, content) -> {
                            if (response.status().code() != 200) {
                                return content.aggregate().asString().defaultIfEmpty("")
                                        .flatMap(text -> Mono.<String>error(new IllegalStateException("status " + response.status().code() + ": " + text)));
                            }
                            int now = open.incrementAndGet();
                            peak.accumulateAndGet(now, Math::max);
                            return content.asString()
                                    .doOnNext(text -> {
                                        if (firstEventNanos[i] == 0 && text.contains("data: ")) firstEventNanos[i] = System.nanoTime() - sent;
                                    })
                                    .reduce(new StringBuilder(), StringBuilder::append).map(StringBuilder::toString)
                                    .doFinally(signal -> open.decrementAndGet());
                        })
                        .single();
                    })
                        .doOnNext(text -> {
                            if (text.endsWith("data: [DONE]\n\n")) complete.incrementAndGet();
                            else failures.computeIfAbsent("ended without [DONE]", k -> new AtomicInteger()).incrementAndGet();
                        })
                        .onErrorResume(e -> {
                            failures.computeIfAbsent(String.valueOf(e), k -> new AtomicInteger()).incrementAndGet();
                            return Mono.empty();
                        }), streams)
                .then()
                .block(Duration.ofSeconds(holdSeconds + 120L + streams / perSecond));
        int failed = failures.values().stream().mapToInt(AtomicInteger::get).sum();
        System.out.printf("streams=%d complete=%d failed=%d peak_open=%d%n", streams, complete.get(), failed, peak.get());
        long[] first = Arrays.stream(firstEventNanos).filter(n -> n > 0).sorted().toArray();
        if (first.length > 0) {
            System.out.printf("first_event_ms p50=%.1f p99=%.1f max=%.1f (of %d streams)%n", first[first.length / 2] / 1e6,
                    first[Math.min(first.length - 1, (int) (first.length * 0.99))] / 1e6, first[first.length - 1] / 1e6, first.length);
        }
        // the first event's p50 for each tenth of the streams in the order they were sent: a queue that builds up
        // as streams arrive shows as a rising line, a pause (a collection) as one slow tenth
        StringBuilder byTenth = new StringBuilder("first_event_ms p50 by tenth sent:");
        for (int tenth = 0; tenth < 10; tenth++) {
            long[] part = Arrays.stream(firstEventNanos, tenth * streams / 10, (tenth + 1) * streams / 10).filter(n -> n > 0).sorted().toArray();
            byTenth.append(part.length == 0 ? " -" : String.format(" %.0f", part[part.length / 2] / 1e6));
        }
        System.out.println(byTenth);
        System.out.printf("client_cpu_s=%.1f%n", (cpuNanos() - warmCpuNanos) / 1e9);
        failures.entrySet().stream().limit(5).forEach(f -> System.out.println("  " + f.getValue() + " x " + f.getKey()));
        pool.dispose();
        System.exit(failed == 0 && complete.get() == streams ? 0 : 1);
    }

    private static long cpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    /**
     * Short streams straight to the mock, each on its own connection, paced as the measured ones; not timed.
     * Failures are counted on stderr (a warm-up that failed warmed less), not fatal.
     */
    private static void warmUp(HttpClient client, int port, int streams, int perSecond) {
        String body = "{\"model\":\"bench\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Warm up.\"}]}";
        HttpClient fresh = client.newConnection();
        AtomicInteger failed = new AtomicInteger();
        Flux.range(0, streams)
                .delayElements(Duration.ofNanos(1_000_000_000L / perSecond))
                .flatMap(i -> fresh.post().uri("http://127.0.0.1:" + port + "/v1/chat/completions")
                        .send(ByteBufFlux.fromString(Mono.just(body)))
                        .responseContent().aggregate().asString()
                        .onErrorResume(e -> {
                            failed.incrementAndGet();
                            return Mono.empty();
                        }), streams)
                .then()
                .block(Duration.ofSeconds(60L + streams / perSecond));
        if (failed.get() > 0) System.err.printf("warm-up: %d of %d streams to port %d failed%n", failed.get(), streams, port);
    }
}
