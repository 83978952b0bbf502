package dev.switchboard.config;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * Loads the routes file at start-up (a bad file stops start-up: see {@link ConfigFailureAnalyzer}) and
 * reloads it when it changes ({@link RouteReloader}).
 */
@Configuration(proxyBeanMethods = false)
class RoutesConfiguration {
    private static final Logger log = LoggerFactory.getLogger(RoutesConfiguration.class);

    @Bean
    ConfigLoader configLoader(Environment environment) {
        return new ConfigLoader(environment::getProperty);
    }

    @Bean
    CurrentRouteTable currentRouteTable(ConfigLoader loader, GatewayProperties properties) {
        RouteTable table = loader.load(properties.config());
        log.info("Loaded {}: {} upstreams ({} enabled), {} routes, {} client keys", table.source(),
                table.upstreams().size(), table.upstreams().values().stream().filter(Upstream::enabled).count(),
                table.routes().size(), table.keysByDigest().size());
        return new CurrentRouteTable(table);
    }

    @Bean
    RouteReloader routeReloader(ConfigLoader loader, CurrentRouteTable current, GatewayProperties properties) {
        return new RouteReloader(loader, current, properties.config(), properties.reloadInterval(), properties.reloadSettle());
    }
}
