package dev.switchboard.api;

import static org.springframework.web.reactive.function.server.RequestPredicates.GET;
import static org.springframework.web.reactive.function.server.RequestPredicates.POST;
import static org.springframework.web.reactive.function.server.RouterFunctions.route;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.server.RouterFunction;
import org.springframework.web.reactive.function.server.ServerResponse;

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
}
