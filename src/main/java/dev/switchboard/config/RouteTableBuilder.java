package dev.switchboard.config;

import java.math.BigDecimal;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.switchboard.config.SwitchboardFile.HealthSpec;
import dev.switchboard.config.SwitchboardFile.KeySpec;
import dev.switchboard.config.SwitchboardFile.PriceSpec;
import dev.switchboard.config.SwitchboardFile.RouteSpec;
import dev.switchboard.config.SwitchboardFile.TargetSpec;
import dev.switchboard.config.SwitchboardFile.TimeoutSpec;
import dev.switchboard.config.SwitchboardFile.UpstreamSpec;

/**
 * Validates the bound routes file while building the {@link RouteTable} from it, collecting every problem
 * (each with file, line and field) before giving up, so one run shows them all.
 */
final class RouteTableBuilder {
    private static final Logger log = LoggerFactory.getLogger(RouteTableBuilder.class);
    private static final Pattern FIELD_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_\\-]*");
    private static final Pattern HEX_SHA256 = Pattern.compile("[0-9a-fA-F]{64}");

    private final String source;
    private final YamlDocument doc;
    private final List<String> problems = new ArrayList<>();

    RouteTableBuilder(String source, YamlDocument doc) {
        this.source = source;
        this.doc = doc;
    }

    /** @param running the table in force when this is a reload, else null */
    RouteTable build(SwitchboardFile file, RouteTable running) {
        Map<String, Upstream> upstreams = new LinkedHashMap<>();
        if (file.upstreams() == null || file.upstreams().isEmpty()) {
            problems.add(doc.problem("upstreams", "at least one upstream is required"));
        } else {
            file.upstreams().forEach((name, spec) -> {
                Upstream u = upstream(name, spec);
                if (u != null) upstreams.put(name, u);
            });
        }
        int defaultMaxAttempts = atLeastOne("routing.max-attempts",
                file.routing() == null ? null : file.routing().maxAttempts(), Route.DEFAULT_MAX_ATTEMPTS);
        HealthPolicy health = health(file.health());
        Map<String, Route> routes = new LinkedHashMap<>();
        if (file.routes() == null || file.routes().isEmpty()) {
            problems.add(doc.problem("routes", "at least one route is required"));
        } else {
            file.routes().forEach((alias, spec) -> {
                Route r = route(alias, spec, upstreams, file.upstreams(), defaultMaxAttempts);
                if (r != null) routes.put(alias, r);
            });
        }
        Map<String, ClientKey> keys = keys(file.keys(), file.routes() == null ? Set.of() : file.routes().keySet());
        BigDecimal perUsd = file.credits() == null || file.credits().perUsd() == null
                ? RouteTable.DEFAULT_CREDITS_PER_USD : file.credits().perUsd();
        if (perUsd.signum() <= 0) problems.add(doc.problem("credits.per-usd", "must be positive"));
        ModelNames names = modelNames(file, routes.keySet());
        String adminKey = file.adminKey() == null ? "" : file.adminKey();
        String viewerKey = file.viewerKey() == null ? "" : file.viewerKey();
        if (!viewerKey.isEmpty() && adminKey.isEmpty()) {
            problems.add(doc.problem("viewer-key", "needs an admin-key: without one the admin API and the dashboard are off"));
        } else if (!viewerKey.isEmpty() && viewerKey.equals(adminKey)) {
            problems.add(doc.problem("viewer-key", "must differ from admin-key"));
        }
        if (running != null) notLockingEveryoneOut(file, keys, adminKey, running);
        if (!problems.isEmpty()) throw new ConfigException(source, problems);

        upstreams.values().stream().filter(u -> !u.enabled()).forEach(u -> log.warn(
                "Upstream '{}' is disabled: its api-key is empty ({}:{}); routes skip it",
                u.name(), source, doc.lineOf("upstreams." + u.name() + ".api-key")));
        if (keys.isEmpty()) log.warn("No client key is configured in {}: every request will be refused with 401", source);
        return new RouteTable(source, Instant.now(), Collections.unmodifiableMap(upstreams),
                Collections.unmodifiableMap(routes), Map.copyOf(keys), adminKey, viewerKey, health, perUsd, names);
    }

    /**
     * {@code model-names} (a name or pattern to a route) and {@code default-route}, each naming a route of the
     * file; a name that is a route's own alias is refused, as the route would always win.
     */
    private ModelNames modelNames(SwitchboardFile file, Set<String> declared) {
        Map<String, String> exact = new LinkedHashMap<>();
        List<ModelNames.NamePattern> patterns = new ArrayList<>();
        if (file.modelNames() != null) {
            file.modelNames().forEach((name, route) -> {
                String at = "model-names." + name;
                if (name.isBlank()) problems.add(doc.problem(at, "a model name may not be empty"));
                else if (route == null || !declared.contains(route)) problems.add(doc.problem(at, unknownRoute(route, declared)));
                else if (declared.contains(name)) problems.add(doc.problem(at, "'" + name + "' is a route's own alias already"));
                else if (ModelNames.isPattern(name)) patterns.add(ModelNames.NamePattern.of(name, route));
                else exact.put(name, route);
            });
        }
        String defaultRoute = file.defaultRoute();
        if (defaultRoute != null && !declared.contains(defaultRoute)) problems.add(doc.problem("default-route", unknownRoute(defaultRoute, declared)));
        return new ModelNames(Map.copyOf(exact), List.copyOf(patterns), defaultRoute);
    }

    private static String unknownRoute(String route, Set<String> declared) {
        return "unknown route '" + route + "' (routes: " + String.join(", ", declared) + ")";
    }

    /**
     * A reload that would leave no client key, or no admin key, where the running table has them, must say
     * so: {@code keys: []}, {@code admin-key: ""}. A section that is simply missing is far more often a file
     * read while being written than a wish to refuse every request.
     */
    private void notLockingEveryoneOut(SwitchboardFile file, Map<String, ClientKey> keys, String adminKey, RouteTable running) {
        if (keys.isEmpty() && !running.keysByDigest().isEmpty() && file.keys() == null) {
            problems.add(doc.problem("keys", "this change removes every client key (" + running.keysByDigest().size()
                    + " in force), so every request would be refused; write keys: [] to mean it"));
        }
        if (adminKey.isEmpty() && !running.adminKey().isEmpty() && file.adminKey() == null) {
            problems.add(doc.problem("admin-key", "this change removes the admin key, which turns the admin API off; write admin-key: \"\" to mean it"));
        }
    }

    private Upstream upstream(String name, UpstreamSpec spec) {
        String at = "upstreams." + name;
        if (spec == null) {
            problems.add(doc.problem(at, "an upstream needs protocol, base-url and api-key"));
            return null;
        }
        int before = problems.size();
        if (spec.protocol() == null) problems.add(doc.problem(at + ".protocol", "missing (openai, anthropic or openai-responses)"));
        URI baseUrl = baseUrl(at + ".base-url", spec.baseUrl());
        AuthStyle auth = spec.auth() == null ? AuthStyle.BEARER : spec.auth();
        String bodyKeyField = spec.bodyKeyField();
        if (auth == AuthStyle.BODY) {
            if (bodyKeyField == null || !FIELD_NAME.matcher(bodyKeyField).matches()) {
                problems.add(doc.problem(at + ".body-key-field",
                        "auth: body needs the JSON field name that carries the key (for example: key)"));
            }
        } else if (bodyKeyField != null) {
            problems.add(doc.problem(at + ".body-key-field", "only used with auth: body"));
        }
        String modelField = spec.modelField() == null ? "model" : spec.modelField();
        if (!FIELD_NAME.matcher(modelField).matches()) {
            problems.add(doc.problem(at + ".model-field", "not a JSON field name: '" + modelField + "'"));
        }
        String apiKey = spec.apiKey() == null ? "" : spec.apiKey().strip();
        if (auth != AuthStyle.NONE && spec.apiKey() == null) {
            problems.add(doc.problem(at + ".api-key",
                    "missing (write api-key: ${ENV_VAR} so the key stays out of the file, or auth: none)"));
        }
        Timeouts timeouts = timeouts(at + ".timeouts", spec.timeouts());
        Map<String, String> headers = spec.headers() == null ? Map.of() : Map.copyOf(spec.headers());
        HttpVersion httpVersion = httpVersion(at + ".http-version", spec.httpVersion());
        if (problems.size() > before) return null;
        boolean enabled = auth == AuthStyle.NONE || !apiKey.isEmpty();
        StreamUsage streamUsage = spec.streamUsage() == null ? StreamUsage.INJECT : spec.streamUsage();
        return new Upstream(name, spec.protocol(), baseUrl, auth, apiKey, bodyKeyField, modelField,
                headers, timeouts, streamUsage, httpVersion, enabled);
    }

    private HttpVersion httpVersion(String at, String value) {
        if (value == null) return HttpVersion.HTTP_1_1;
        for (HttpVersion version : HttpVersion.values()) {
            if (version.written().equals(value.strip())) return version;
        }
        problems.add(doc.problem(at, "not an HTTP version the gateway speaks: '" + value + "' (1.1 or 2)"));
        return null;
    }

    private URI baseUrl(String at, String value) {
        if (value == null || value.isBlank()) {
            problems.add(doc.problem(at, "missing"));
            return null;
        }
        try {
            URI uri = new URI(value.strip());
            boolean http = "http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme());
            if (!http || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null) {
                problems.add(doc.problem(at, "not an http(s) base URL: '" + value + "'"));
                return null;
            }
            String s = uri.toString();
            return URI.create(s.endsWith("/") ? s.substring(0, s.length() - 1) : s);
        } catch (Exception e) {
            problems.add(doc.problem(at, "not a valid URL: '" + value + "'"));
            return null;
        }
    }

    private Timeouts timeouts(String at, TimeoutSpec spec) {
        Timeouts d = Timeouts.DEFAULTS;
        if (spec == null) return d;
        return new Timeouts(
                positive(at + ".connect", spec.connect(), d.connect()),
                positive(at + ".first-byte", spec.firstByte(), d.firstByte()),
                positive(at + ".idle", spec.idle(), d.idle()),
                positive(at + ".total", spec.total(), d.total()));
    }

    private Duration positive(String at, Duration value, Duration fallback) {
        if (value == null) return fallback;
        if (value.isNegative() || value.isZero()) problems.add(doc.problem(at, "must be positive"));
        return value;
    }

    private Route route(String alias, RouteSpec spec, Map<String, Upstream> upstreams,
                        Map<String, UpstreamSpec> declared, int defaultMaxAttempts) {
        String at = "routes." + alias;
        if (spec == null || spec.targets() == null || spec.targets().isEmpty()) {
            problems.add(doc.problem(at + ".targets", "a route needs at least one target"));
            return null;
        }
        List<Target> targets = new ArrayList<>();
        for (int i = 0; i < spec.targets().size(); i++) {
            String t = at + ".targets[" + i + "]";
            TargetSpec ts = spec.targets().get(i);
            if (ts == null) {
                problems.add(doc.problem(t, "a target needs upstream, model and price"));
                continue;
            }
            Upstream upstream = null;
            if (ts.upstream() == null) {
                problems.add(doc.problem(t + ".upstream", "missing"));
            } else if (declared == null || !declared.containsKey(ts.upstream())) {
                problems.add(doc.problem(t + ".upstream", "unknown upstream '" + ts.upstream() + "'"
                        + (declared == null ? "" : " (declared: " + String.join(", ", declared.keySet()) + ")")));
            } else {
                upstream = upstreams.get(ts.upstream());
            }
            if (ts.model() == null || ts.model().isBlank()) {
                problems.add(doc.problem(t + ".model", "missing (the upstream's own model id)"));
            }
            Price price = price(t + ".price", ts.price());
            if (upstream != null && price != null && ts.model() != null && !ts.model().isBlank()) {
                targets.add(new Target(upstream, ts.model(), price));
            }
        }
        int expectedOutput = atLeastOne(at + ".expected-output-tokens", spec.expectedOutputTokens(),
                Route.DEFAULT_EXPECTED_OUTPUT_TOKENS);
        int maxAttempts = atLeastOne(at + ".routing.max-attempts",
                spec.routing() == null ? null : spec.routing().maxAttempts(), defaultMaxAttempts);
        return new Route(alias, List.copyOf(targets), expectedOutput, maxAttempts, !Boolean.FALSE.equals(spec.translate()));
    }

    private int atLeastOne(String at, Integer value, int fallback) {
        if (value == null) return fallback;
        if (value < 1) problems.add(doc.problem(at, "must be at least 1"));
        return value;
    }

    /**
     * A window is a failure rate over at least two attempts: Resilience4j's lock-free window of one slot throws
     * on its second record, and one of one would open the circuit on any single failure.
     */
    private int slidingWindow(Integer value, int fallback) {
        if (value == null) return fallback;
        if (value < 2) problems.add(doc.problem("health.sliding-window", "must be at least 2 (a failure rate over the last attempts)"));
        return value;
    }

    private HealthPolicy health(HealthSpec spec) {
        HealthPolicy d = HealthPolicy.DEFAULTS;
        if (spec == null) return d;
        int threshold = atLeastOne("health.failure-rate-threshold", spec.failureRateThreshold(), d.failureRateThreshold());
        if (threshold > 100) problems.add(doc.problem("health.failure-rate-threshold", "a percentage, at most 100"));
        return new HealthPolicy(threshold,
                slidingWindow(spec.slidingWindow(), d.slidingWindow()),
                atLeastOne("health.minimum-calls", spec.minimumCalls(), d.minimumCalls()),
                positive("health.open-wait", spec.openWait(), d.openWait()),
                atLeastOne("health.half-open-calls", spec.halfOpenCalls(), d.halfOpenCalls()),
                positive("health.rate-limit-cooldown", spec.rateLimitCooldown(), d.rateLimitCooldown()),
                positive("health.auth-failure-cooldown", spec.authFailureCooldown(), d.authFailureCooldown()));
    }

    private Price price(String at, PriceSpec spec) {
        if (spec == null) {
            problems.add(doc.problem(at, "missing (USD per million tokens: {input: 0.40, output: 2.20})"));
            return null;
        }
        int before = problems.size();
        BigDecimal input = amount(at + ".input", spec.input(), null);
        BigDecimal output = amount(at + ".output", spec.output(), null);
        BigDecimal cached = amount(at + ".cached-input", spec.cachedInput(), input);
        BigDecimal cacheWrite = amount(at + ".cache-write", spec.cacheWrite(), input);
        BigDecimal perRequest = amount(at + ".per-request", spec.perRequest(), BigDecimal.ZERO);
        return problems.size() > before ? null : new Price(input, output, cached, cacheWrite, perRequest);
    }

    private BigDecimal amount(String at, BigDecimal value, BigDecimal fallback) {
        if (value == null) {
            if (fallback == null) problems.add(doc.problem(at, "missing"));
            return fallback;
        }
        if (value.signum() < 0) problems.add(doc.problem(at, "must not be negative"));
        return value;
    }

    /** The aliases a key may use: names of declared routes, or patterns; a name no route has is a problem. */
    private List<ModelNames.NamePattern> aliases(List<String> names, Set<String> declared, String at) {
        if (names == null) return List.of();
        if (names.isEmpty()) problems.add(doc.problem(at, "empty: leave it out for every alias"));
        List<ModelNames.NamePattern> patterns = new ArrayList<>(names.size());
        for (int i = 0; i < names.size(); i++) {
            String name = names.get(i);
            if (name == null || name.isBlank()) {
                problems.add(doc.problem(at + "[" + i + "]", "empty"));
                continue;
            }
            if (!ModelNames.isPattern(name) && !declared.contains(name)) {
                problems.add(doc.problem(at + "[" + i + "]", "unknown alias '" + name + "' (declared: " + String.join(", ", declared) + ")"));
                continue;
            }
            patterns.add(ModelNames.NamePattern.of(name, null));
        }
        return List.copyOf(patterns);
    }

    private KeyLimits limits(SwitchboardFile.LimitsSpec spec, String at) {
        if (spec == null) return KeyLimits.NONE;
        long requests = positive(spec.requestsPerMinute(), at + ".requests-per-minute", KeyLimits.MAX_PER_MINUTE);
        long tokens = positive(spec.tokensPerMinute(), at + ".tokens-per-minute", KeyLimits.MAX_PER_MINUTE);
        long concurrent = positive(spec.concurrent() == null ? null : spec.concurrent().longValue(), at + ".concurrent", Integer.MAX_VALUE);
        return new KeyLimits(requests, tokens, (int) concurrent);
    }

    /** A limit's value, or 0 for none; a value below 1 is a problem named by its field. */
    private long positive(Long value, String at, long max) {
        if (value == null) return 0;
        if (value < 1 || value > max) {
            problems.add(doc.problem(at, "must be from 1 to " + max + " (leave it out for no limit)"));
            return 0;
        }
        return value;
    }

    private Map<String, ClientKey> keys(List<KeySpec> specs, Set<String> aliases) {
        Map<String, ClientKey> byDigest = new LinkedHashMap<>();
        if (specs == null) return byDigest;
        Set<String> names = new HashSet<>();
        for (int i = 0; i < specs.size(); i++) {
            String at = "keys[" + i + "]";
            KeySpec k = specs.get(i);
            if (k == null || k.name() == null || k.name().isBlank()) {
                problems.add(doc.problem(at + ".name", "missing"));
                continue;
            }
            if (!names.add(k.name())) problems.add(doc.problem(at + ".name", "duplicate key name '" + k.name() + "'"));
            if ((k.key() == null) == (k.keySha256() == null)) {
                problems.add(doc.problem(at, "give exactly one of key or key-sha256"));
                continue;
            }
            String digest;
            if (k.keySha256() != null) {
                if (!HEX_SHA256.matcher(k.keySha256()).matches()) {
                    problems.add(doc.problem(at + ".key-sha256", "not 64 hexadecimal digits"));
                    continue;
                }
                digest = k.keySha256().toLowerCase();
            } else if (k.key().isBlank()) {
                log.warn("Client key '{}' is disabled: its key is empty ({}:{})", k.name(), source, doc.lineOf(at + ".key"));
                continue;
            } else {
                digest = KeyDigest.sha256Hex(k.key());
            }
            if (k.credits() != null && k.credits() < 0) problems.add(doc.problem(at + ".credits", "must not be negative"));
            BudgetPeriod period = BudgetPeriod.NONE;
            try {
                period = BudgetPeriod.parse(k.period());
            } catch (IllegalArgumentException e) {
                problems.add(doc.problem(at + ".period", e.getMessage()));
            }
            ClientKey previous = byDigest.putIfAbsent(digest, new ClientKey(k.name(), k.credits(), period, limits(k.limits(), at + ".limits"),
                    aliases(k.aliases(), aliases, at + ".aliases"), null));
            if (previous != null) problems.add(doc.problem(at, "the same key as '" + previous.name() + "'"));
        }
        return byDigest;
    }
}
