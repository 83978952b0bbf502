package dev.switchboard.api;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.HEAD;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import org.springframework.beans.factory.config.BeanPostProcessor;
import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.protocol.Json;
import reactor.core.publisher.Mono;
import tools.jackson.databind.node.ObjectNode;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.server.ServerRequest;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.function.server.support.RouterFunctionMapping;

import io.netty.handler.codec.http.HttpMethod;

/**
 * The client-facing API. OpenAI SDKs use base URL {@code http://host:8080/v1}, Anthropic SDKs
 * {@code http://host:8080}; both land on these paths.
 */
@Configuration(proxyBeanMethods = false)
class GatewayRouter {
    /**
     * The proxied endpoints, on Reactor Netty's own routes, ahead of Spring WebFlux (which serves everything
     * else: the model list, the admin API, the actuator). They are every request the gateway takes under
     * load, and WebFlux's exchange, filter chain and response building are work they do not need.
     */
    @Bean
    WebServerFactoryCustomizer<NettyReactiveWebServerFactory> proxiedRoutes(ProxyHandler proxy) {
        return factory -> factory.addRouteProviders(routes -> {
            for (ApiEndpoint endpoint : ApiEndpoint.values()) {
                routes.route(request -> endpoint.servedAt(request.uri()),
                        (request, response) -> HttpMethod.POST.equals(request.method())
                                ? proxy.handle(request, response, endpoint)
                                : proxy.methodNotAllowed(request, response, endpoint));
            }
            return routes;
        });
    }

    @Bean
    RouterFunction<ServerResponse> gatewayRoutes(ModelsHandler models) {
        return route(GET("/v1/models"), models::list)
                .andRoute(GET("/v1/models/{id}"), models::retrieve)
                .andRoute(GET("/").or(HEAD("/")), GatewayRouter::root);
    }

    /**
     * What a client that checks the base URL is up gets (Claude Code sends {@code HEAD /}): 200, and what is
     * served here.
     */
    private static Mono<ServerResponse> root(ServerRequest request) {
        ObjectNode body = Json.MAPPER.createObjectNode().put("service", "switchboard");
        UnservedPaths.SERVED.forEach(body.putArray("endpoints")::add);
        return ServerResponse.ok().contentType(MediaType.APPLICATION_JSON).bodyValue(Json.MAPPER.writeValueAsBytes(body));
    }

    /**
     * The router functions (the model list's and the admin API's) are looked up first. Spring asks the
     * actuator's endpoint mapping before them, and for a path it does not serve that mapping works out why not
     * (which methods and media types would have matched) on every request, work wasted on each request when
     * the proxied endpoints were router functions too. No router function matches an actuator path, so the
     * actuator still answers its own.
     */
    @Bean
    static BeanPostProcessor gatewayRoutesFirst() {
        return new BeanPostProcessor() {
            @Override
            public Object postProcessBeforeInitialization(Object bean, String name) {
                if (bean instanceof RouterFunctionMapping mapping) mapping.setOrder(Ordered.HIGHEST_PRECEDENCE);
                return bean;
            }
        };
    }
}
