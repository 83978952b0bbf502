package dev.switchboard.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The routes file exactly as written (after {@code ${VAR}} substitution), before validation.
 * Property names are kebab-case in YAML ({@code base-url}, {@code api-key}); unknown names are errors.
 * {@link RouteTable} is the validated, request-ready form.
 */
public record SwitchboardFile(
        Map<String, UpstreamSpec> upstreams,
        Map<String, RouteSpec> routes,
        List<KeySpec> keys,
        String adminKey,
        String viewerKey,
        RoutingSpec routing,
        HealthSpec health,
        CreditsSpec credits,
        java.util.LinkedHashMap<String, String> modelNames,
        String defaultRoute) {

    public record UpstreamSpec(
            Protocol protocol,
            String baseUrl,
            AuthStyle auth,
            String apiKey,
            String bodyKeyField,
            String modelField,
            Map<String, String> headers,
            TimeoutSpec timeouts,
            StreamUsage streamUsage,
            String httpVersion) {}

    public record TimeoutSpec(Duration connect, Duration firstByte, Duration idle, Duration total) {}

    public record RouteSpec(List<TargetSpec> targets, Integer expectedOutputTokens, RoutingSpec routing, Boolean translate) {}

    public record RoutingSpec(Integer maxAttempts) {}

    /** Circuit breaker and cooldown settings, the same for every target. */
    public record HealthSpec(
            Integer failureRateThreshold,
            Integer slidingWindow,
            Integer minimumCalls,
            Duration openWait,
            Integer halfOpenCalls,
            Duration rateLimitCooldown,
            Duration authFailureCooldown) {}

    public record TargetSpec(String upstream, String model, PriceSpec price) {}

    /** USD per million tokens, plus a flat USD amount per request. */
    public record PriceSpec(
            BigDecimal input,
            BigDecimal output,
            BigDecimal cachedInput,
            BigDecimal cacheWrite,
            BigDecimal perRequest) {}

    public record KeySpec(String name, String key, String keySha256, Long credits, String period, LimitsSpec limits, List<String> aliases) {}

    /** A key's rate limits; each one left out is no limit. */
    public record LimitsSpec(Long requestsPerMinute, Long tokensPerMinute, Integer concurrent) {}

    /** How many credits make one USD. */
    public record CreditsSpec(BigDecimal perUsd) {}
}
