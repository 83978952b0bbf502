package dev.switchboard.support;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.web.server.WebFilter;

/**
 * The requests Spring WebFlux handled, by the x-request-id the client sent: the proxied endpoints are served
 * on Reactor Netty's own routes and must never show up here; the model list and the admin API do.
 */
@TestConfiguration(proxyBeanMethods = false)
public class WebFluxRequests {
    private static final Set<String> SEEN = ConcurrentHashMap.newKeySet();

    public static boolean saw(String requestId) {
        return SEEN.contains(requestId);
    }

    @Bean
    WebFilter webFluxRequestsRecorder() {
        return (exchange, chain) -> {
            String id = exchange.getRequest().getHeaders().getFirst("x-request-id");
            if (id != null) SEEN.add(id);
            return chain.filter(exchange);
        };
    }
}
