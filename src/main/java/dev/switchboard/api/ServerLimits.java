package dev.switchboard.api;

import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.switchboard.config.GatewayProperties;

/**
 * What a client connection may hold of the server ({@code switchboard.limits}): how many connections, how
 * long a request's head and body may take to arrive, how long a kept-alive connection may wait for its next
 * request. Without them, slow and idle connections were held for ever.
 */
@Configuration(proxyBeanMethods = false)
class ServerLimits {
    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> limitsOnClientConnections(GatewayProperties properties) {
        GatewayProperties.Limits limits = properties.limits();
        return factory -> factory.addServerCustomizers(server -> server
                .maxConnections(limits.maxConnections())
                .idleTimeout(limits.idleTimeout())
                .requestTimeout(limits.bodyReadTimeout())
                .doOnChannelInit((observer, channel, remote) -> HeadReadTimeout.install(channel, limits.headerReadTimeout())));
    }
}
