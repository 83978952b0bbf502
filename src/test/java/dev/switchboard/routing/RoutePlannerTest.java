package dev.switchboard.routing;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.switchboard.config.AuthStyle;
import dev.switchboard.config.HealthPolicy;
import dev.switchboard.config.HttpVersion;
import dev.switchboard.config.Price;
import dev.switchboard.config.Protocol;
import dev.switchboard.config.Route;
import dev.switchboard.config.RouteTable;
import dev.switchboard.config.StreamUsage;
import dev.switchboard.config.Target;
import dev.switchboard.config.Timeouts;
import dev.switchboard.config.Upstream;
import dev.switchboard.health.HealthRegistry;
import dev.switchboard.translate.Translators;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

class RoutePlannerTest {
    private static final HealthPolicy POLICY = new HealthPolicy(50, 4, 2, Duration.ofMinutes(5), 1, Duration.ofSeconds(10), Duration.ofMinutes(10));
    private final HealthRegistry health = new HealthRegistry(new SimpleMeterRegistry());
    private final RoutePlanner planner = new RoutePlanner(health);

    private static Target target(String name, Protocol protocol, boolean enabled, String input, String output, String perRequest) {
        Upstream u = new Upstream(name, protocol, URI.create("http://127.0.0.1:1"), AuthStyle.BEARER, enabled ? "k" : "",
                null, "model", Map.of(), Timeouts.DEFAULTS, StreamUsage.INJECT, HttpVersion.HTTP_1_1, enabled);
        return new Target(u, name + "-model", new Price(new BigDecimal(input), new BigDecimal(output),
                new BigDecimal(input), new BigDecimal(input), new BigDecimal(perRequest)));
    }

    private static Target target(String name, String input, String output) {
        return target(name, Protocol.OPENAI, true, input, output, "0");
    }

    private static RouteTable table(Target... targets) {
        return table(true, targets);
    }

    private static RouteTable table(boolean translate, Target... targets) {
        Map<String, Route> routes = new LinkedHashMap<>();
        routes.put("m", new Route("m", List.of(targets), 256, 3, translate));
        return new RouteTable("t", Instant.now(), Map.of(), routes, Map.of(), "", "", POLICY, RouteTable.DEFAULT_CREDITS_PER_USD, dev.switchboard.config.ModelNames.NONE);
    }

    private RoutePlan plan(RouteTable table, Long maxTokens) {
        return planner.plan(table, new RequestFacts("m", 400, maxTokens), Protocol.OPENAI, Translators.servable(Protocol.OPENAI));
    }

    private static List<String> order(RoutePlan plan) {
        assertThat(plan).isInstanceOf(RoutePlan.Attempts.class);
        return ((RoutePlan.Attempts) plan).targets().stream().map(t -> t.upstream().name()).toList();
    }

    @Test
    void cheapestEstimateFirstRegardlessOfFileOrder() {
        RouteTable table = table(target("dear", "3", "15"), target("cheap", "0.1", "0.5"), target("mid", "1", "5"));
        assertThat(order(plan(table, null))).containsExactly("cheap", "mid", "dear");
    }

    @Test
    void theEstimateUsesMaxTokensAndPerRequestFees() {
        Target perToken = target("per-token", "1", "1");
        Target flat = target("flat", Protocol.OPENAI, true, "0", "0", "0.01");
        RouteTable table = table(flat, perToken);
        assertThat(order(plan(table, null))).as("100 + 256 tokens at $1/M < $0.01").containsExactly("per-token", "flat");
        assertThat(order(plan(table, 20_000L))).containsExactly("flat", "per-token");
    }

    @Test
    void costEstimateIsExact() {
        Target t = target("x", "0.40", "2.20");
        // 100 prompt tokens, 256 output: (0.40 * 100 + 2.20 * 256) / 1e6
        assertThat(CostEstimator.estimate(t, 100, 256)).isEqualByComparingTo("0.0006032");
        assertThat(CostEstimator.promptTokens(new RequestFacts("m", 401, null))).isEqualTo(101);
    }

    @Test
    void equalTargetsTakeTurns() {
        RouteTable table = table(target("a", "1", "1"), target("b", "1", "1"), target("c", "9", "9"));
        List<String> first = order(plan(table, null));
        List<String> second = order(plan(table, null));
        assertThat(first.getFirst()).isNotEqualTo(second.getFirst());
        assertThat(first.getLast()).isEqualTo("c");
        assertThat(second.getLast()).isEqualTo("c");
    }

    @Test
    void thePreviewIsTheCheapestHealthyTargetAndTakesNoTurn() {
        Target cheap = target("cheap", "0.1", "0.1");
        Target a = target("a", "1", "1");
        Target b = target("b", "1", "1");
        RouteTable table = table(b, a, cheap);
        Route route = table.route("m");
        assertThat(planner.preview(table, route)).isSameAs(cheap);
        health.of(cheap, POLICY).rateLimited(Duration.ofSeconds(30), "HTTP 429");
        Target next = planner.preview(table, route);
        assertThat(next).isIn(a, b);
        assertThat(planner.preview(table, route)).as("asking again takes no turn").isSameAs(next);
        assertThat(order(plan(table, null)).getFirst()).as("the first plan of the tie is the preview's").isEqualTo(next.upstream().name());
        health.of(a, POLICY).rateLimited(Duration.ofSeconds(30), "HTTP 429");
        health.of(b, POLICY).rateLimited(Duration.ofSeconds(30), "HTTP 429");
        assertThat(planner.preview(table, route)).as("none healthy").isNull();
    }

    @Test
    void unhealthyTargetsAreLeftOut() {
        Target cheap = target("cheap", "0.1", "0.1");
        RouteTable table = table(cheap, target("dear", "5", "5"));
        health.of(cheap, POLICY).rateLimited(Duration.ofSeconds(30), "HTTP 429");
        assertThat(order(plan(table, null))).containsExactly("dear");
    }

    @Test
    void otherProtocolTargetsAreRankedLikeAnyOtherUnlessTheRouteForbidsTranslation() {
        Target anthropic = target("anthropic", Protocol.ANTHROPIC, true, "1", "1", "0");
        RouteTable table = table(true, target("off", Protocol.OPENAI, false, "0", "0", "0"), anthropic, target("on", "5", "5"));
        assertThat(order(planner.plan(table, new RequestFacts("m", 400, null), Protocol.OPENAI, Translators.servable(Protocol.OPENAI))))
                .containsExactly("anthropic", "on");
        // count_tokens has no translation: only same-protocol targets
        assertThat(order(planner.plan(table, new RequestFacts("m", 400, null), Protocol.OPENAI, java.util.EnumSet.of(Protocol.OPENAI)))).containsExactly("on");

        RouteTable forbidden = table(false, anthropic, target("on", "5", "5"));
        assertThat(order(planner.plan(forbidden, new RequestFacts("m", 400, null), Protocol.OPENAI, Translators.servable(Protocol.OPENAI)))).containsExactly("on");
        assertThat(planner.plan(table(false, anthropic), new RequestFacts("m", 10, null), Protocol.OPENAI, Translators.servable(Protocol.OPENAI)))
                .isInstanceOfSatisfying(RoutePlan.NoTarget.class, none -> assertThat(none.reason()).contains("translate: false"));
        assertThat(planner.plan(table(), new RequestFacts("nope", 10, null), Protocol.OPENAI, Translators.servable(Protocol.OPENAI))).isInstanceOf(RoutePlan.UnknownAlias.class);
    }

    @Test
    void allRateLimitedMeans429AtTheSoonestCooldownEnd() {
        Target a = target("a", "1", "1");
        Target b = target("b", "2", "2");
        health.of(a, POLICY).rateLimited(Duration.ofSeconds(40), "HTTP 429");
        health.of(b, POLICY).rateLimited(Duration.ofSeconds(5), "HTTP 429");
        RoutePlan plan = plan(table(a, b), null);
        assertThat(plan).isInstanceOfSatisfying(RoutePlan.RateLimited.class,
                r -> assertThat(r.retryAfter()).isBetween(Duration.ofSeconds(3), Duration.ofSeconds(5)));
    }

    @Test
    void allCircuitsOpenMeansOneProbeOfTheLongestOpen() throws InterruptedException {
        Target a = target("a", "1", "1");
        Target b = target("b", "2", "2");
        for (Target t : List.of(b, a)) {
            for (int i = 0; i < 2; i++) {
                health.of(t, POLICY).tryAcquire();
                health.of(t, POLICY).failed(Duration.ofMillis(5), "HTTP 500");
            }
            Thread.sleep(5); // distinct opening instants
        }
        RoutePlan plan = plan(table(a, b), null);
        assertThat(plan).isInstanceOfSatisfying(RoutePlan.Attempts.class, p -> {
            assertThat(p.probe()).isTrue();
            assertThat(p.targets()).extracting(t -> t.upstream().name()).containsExactly("b");
        });
    }

    @Test
    void credentialsCooldownLeavesNothingToProbe() {
        Target a = target("a", "1", "1");
        health.of(a, POLICY).credentialsRefused(Duration.ofMinutes(10), "HTTP 401");
        assertThat(plan(table(a), null)).isInstanceOf(RoutePlan.Unavailable.class);
    }

    @Test
    void latencyBandsTreatCloseLatenciesAsEqual() {
        assertThat(RoutePlanner.latencyBand(Double.NaN)).isZero();
        assertThat(RoutePlanner.latencyBand(100)).isEqualTo(RoutePlanner.latencyBand(105));
        assertThat(RoutePlanner.latencyBand(100)).isLessThan(RoutePlanner.latencyBand(300));
    }
}
