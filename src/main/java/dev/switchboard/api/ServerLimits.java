package dev.switchboard.api;

import java.time.Duration;

import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.switchboard.config.GatewayProperties;

/**
 * What a client connection may hold of the server ({@code switchboard.limits}): how many connections, how
 * long a request's head and body may take to arrive, how long a kept-alive connection may wait for its next
 * request. Without them, slow and idle connections were held for ever. And how the connections end at
 * shutdown ({@link ConnectionDrain}).
 */
@Configuration(proxyBeanMethods = false)
class ServerLimits {
    @Bean
    ConnectionDrain connectionDrain(GatewayProperties properties,
                                    @Value("${spring.lifecycle.timeout-per-shutdown-phase:30s}") Duration grace) {
        return new ConnectionDrain(properties.shutdownDrain(), grace);
    }

    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> limitsOnClientConnections(GatewayProperties properties,
                                                                                       ConnectionDrain drain) {
        GatewayProperties.Limits limits = properties.limits();
        return factory -> factory.addServerCustomizers(server -> server
                .maxConnections(limits.maxConnections())
                .idleTimeout(limits.idleTimeout())
                .requestTimeout(limits.bodyReadTimeout())
                .doOnBound(drain::bound)
                .doOnChannelInit((observer, channel, remote) -> {
                    HeadReadTimeout.install(channel, limits.headerReadTimeout());
                    drain.install(channel);
                }));
    }

    /**
     * Drains the client connections when the application stops, before Spring's graceful shutdown of the web
     * server (which finds nothing left to wait for) and before the ledger, which then stores every record.
     */
    @Bean
    SmartLifecycle drainClientConnections(ConnectionDrain drain) {
        return new SmartLifecycle() {
            private volatile boolean running;

            @Override
            public void start() {
                running = true;
            }

            @Override
            public void stop() {
                running = false;
                drain.drain();
            }

            @Override
            public boolean isRunning() {
                return running;
            }

            @Override
            public int getPhase() {
                return WebServerApplicationContext.GRACEFUL_SHUTDOWN_PHASE + 512;
            }
        };
    }
}
