package dev.switchboard.upstream;

import java.util.concurrent.ConcurrentHashMap;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

import dev.switchboard.config.GatewayProperties;
import dev.switchboard.config.Upstream;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;
import reactor.netty.http.HttpProtocol;
import reactor.netty.http.client.HttpClient;

/**
 * One {@link UpstreamClient} per upstream name, created on first use and replaced when the upstream's
 * definition changes (a reloaded routes file), so unchanged upstreams keep their warm connections.
 */
@Component
public class UpstreamClients implements DisposableBean {
    private final ConcurrentHashMap<String, UpstreamClient> clients = new ConcurrentHashMap<>();
    /** Each upstream's connections a loop may hold: as many as the gateway takes client connections. */
    private final int maxConnections;
    private final MeterRegistry registry;

    UpstreamClients(GatewayProperties properties, MeterRegistry registry) {
        this.maxConnections = properties.limits().maxConnections();
        this.registry = registry;
        // a client's protocol setting loads Reactor Netty's TLS defaults, whose class initialisation reads jars
        // (it looks for QUIC's native library): done at start-up, not on the event loop of an upstream's first request
        HttpClient.create().protocol(HttpProtocol.HTTP11, HttpProtocol.H2C);
    }

    public UpstreamClient of(Upstream upstream) {
        UpstreamClient client = clients.get(upstream.name());
        if (client != null && (client.upstream() == upstream || client.upstream().equals(upstream))) return client;
        return clients.compute(upstream.name(), (name, existing) -> {
            if (existing != null && existing.upstream().equals(upstream)) return existing;
            if (existing != null) {
                // requests that started on the old definition keep its pool until they cannot be running any more
                Mono.delay(existing.upstream().timeouts().total()).subscribe(tick -> existing.close());
            }
            // a resend happens within one attempt, so the attempt metrics do not show it: an upstream that often
            // closes connections as they are reused shows here
            Counter resends = Counter.builder("switchboard.upstream.resends")
                    .description("Requests sent again on a new connection after a kept-alive one closed unanswered")
                    .tag("upstream", name).register(registry);
            return new UpstreamClient(upstream, maxConnections, resends::increment);
        });
    }

    @Override
    public void destroy() {
        clients.values().forEach(UpstreamClient::close);
        clients.clear();
    }
}
