package dev.switchboard.api;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;
import org.springframework.web.reactive.function.server.support.RouterFunctionMapping;

/**
 * The client-facing API. OpenAI SDKs use base URL {@code http://host:8080/v1}, Anthropic SDKs
 * {@code http://host:8080}; both land on these paths.
 */
@Configuration(proxyBeanMethods = false)
class GatewayRouter {
    @Bean
    RouterFunction<ServerResponse> gatewayRoutes(ProxyHandler proxy, ModelsHandler models) {
        return route(POST("/v1/chat/completions"), r -> proxy.handle(r, ApiEndpoint.CHAT_COMPLETIONS))
                .andRoute(POST("/v1/messages"), r -> proxy.handle(r, ApiEndpoint.MESSAGES))
                .andRoute(POST("/v1/messages/count_tokens"), r -> proxy.handle(r, ApiEndpoint.COUNT_TOKENS))
                .andRoute(GET("/v1/models"), models::list);
    }

    /**
     * The routes above (and the admin API's) are looked up first. Spring asks the actuator's endpoint mapping
     * before the router functions, and for a path it does not serve that mapping works out why not (which
     * methods and media types would have matched) on every proxied request. No router function matches an
     * actuator path, so the actuator still answers its own.
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
