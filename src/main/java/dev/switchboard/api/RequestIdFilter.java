package dev.switchboard.api;

import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.server.ServerWebExchange;
import org.springframework.web.server.WebFilter;
import org.springframework.web.server.WebFilterChain;

import reactor.core.publisher.Mono;

/**
 * Gives every response of the Spring-served routes an {@code x-request-id}: the client's own when it is well-formed (so a caller can
 * correlate), otherwise a fresh one. The id is forwarded upstream and written in the request's log line. These
 * routes call no upstream, so their {@value AnswerRelay#OVERHEAD_HEADER} is all their time until the head.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class RequestIdFilter implements WebFilter {
    public static final String HEADER = "x-request-id";
    private static final Pattern WELL_FORMED = Pattern.compile("[A-Za-z0-9._:\\-]{1,128}");

    @Override
    public Mono<Void> filter(ServerWebExchange exchange, WebFilterChain chain) {
        long start = System.nanoTime();
        String id = idFor(exchange.getRequest().getHeaders().getFirst(HEADER));
        exchange.getResponse().getHeaders().set(HEADER, id);
        exchange.getResponse().beforeCommit(() -> {
            exchange.getResponse().getHeaders().set(AnswerRelay.OVERHEAD_HEADER, RequestContext.millis(System.nanoTime() - start));
            return Mono.empty();
        });
        return chain.filter(exchange);
    }

    /** The client's id when it is well-formed, else a fresh one; also for the proxied endpoints, served outside this filter. */
    static String idFor(String given) {
        return given == null || !WELL_FORMED.matcher(given).matches() ? fresh() : given;
    }

    /**
     * {@code req_}, then the time in milliseconds (12 hex digits), then 80 random bits: ids the gateway makes
     * sort by time, so the usage ledger's request-id index grows at its end instead of reading a random page
     * of a large table for every insert.
     */
    static String fresh() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        HexFormat hex = HexFormat.of();
        return "req_" + hex.toHexDigits(System.currentTimeMillis()).substring(4)
                + hex.toHexDigits((short) random.nextInt()) + hex.toHexDigits(random.nextLong());
    }
}
