package dev.switchboard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
    private static final Map<String, String> ENV = Map.of("AIMLAPI_API_KEY", "sk-aiml", "TEAM_A_KEY", "team-a-secret");
    private final ConfigLoader loader = new ConfigLoader(ENV::get);

    private static final String VALID = """
            upstreams:
              aimlapi:
                protocol: openai                  # openai | anthropic
                base-url: https://api.aimlapi.com/v1/
                auth: bearer
                api-key: ${AIMLAPI_API_KEY}
              modelslab:
                protocol: openai
                base-url: https://modelslab.com/api/v7/llm
                auth: body
                body-key-field: key
                model-field: model_id
                api-key: ${MODELSLAB_API_KEY:}
              minimax:
                protocol: anthropic
                base-url: https://api.minimax.io/anthropic
                auth: x-api-key
                api-key: ${MINIMAX_API_KEY:mm-default}
                headers: {X-Title: switchboard}
                timeouts: {connect: 2s, first-byte: 500ms, idle: 60s, total: 10m}
            routes:
              minimax-m1:
                targets:
                  - upstream: aimlapi
                    model: minimax/m1
                    price: {input: 0.40, output: 2.20}
                  - upstream: modelslab
                    model: minimax-minimax-m1
                    price: {input: 0.40, output: 2.20, cached-input: 0.10, cache-write: 0.50, per-request: 0}
            keys:
              - name: team-a
                key: ${TEAM_A_KEY}
              - name: team-b
                key-sha256: 0c0b6e0bd3a0a8e2c0b7f7a8a01c8f0b3f3dd64c5b3e1ba8e1e1bd2a9d2a1c0f
            admin-key: ${SWITCHBOARD_ADMIN_KEY:}
            """;

    @Test
    void readsTheDocumentedShape() {
        RouteTable table = loader.parse("routes.yaml", VALID);

        Upstream aimlapi = table.upstreams().get("aimlapi");
        assertThat(aimlapi.protocol()).isEqualTo(Protocol.OPENAI);
        assertThat(aimlapi.baseUrl()).hasToString("https://api.aimlapi.com/v1");
        assertThat(aimlapi.resolve("/chat/completions")).hasToString("https://api.aimlapi.com/v1/chat/completions");
        assertThat(aimlapi.apiKey()).isEqualTo("sk-aiml");
        assertThat(aimlapi.enabled()).isTrue();
        assertThat(aimlapi.timeouts()).isEqualTo(Timeouts.DEFAULTS);

        Upstream modelslab = table.upstreams().get("modelslab");
        assertThat(modelslab.auth()).isEqualTo(AuthStyle.BODY);
        assertThat(modelslab.bodyKeyField()).isEqualTo("key");
        assertThat(modelslab.modelField()).isEqualTo("model_id");
        assertThat(modelslab.enabled()).as("empty key disables the upstream").isFalse();

        Upstream minimax = table.upstreams().get("minimax");
        assertThat(minimax.apiKey()).isEqualTo("mm-default");
        assertThat(minimax.headers()).containsEntry("X-Title", "switchboard");
        assertThat(minimax.timeouts().firstByte()).isEqualTo(Duration.ofMillis(500));
        assertThat(minimax.timeouts().total()).isEqualTo(Duration.ofMinutes(10));

        Route route = table.routes().get("minimax-m1");
        assertThat(route.targets()).extracting(t -> t.upstream().name()).containsExactly("aimlapi", "modelslab");
        Price defaulted = route.targets().get(0).price();
        assertThat(defaulted.input()).isEqualByComparingTo("0.40");
        assertThat(defaulted.cachedInput()).as("cached-input defaults to input").isEqualByComparingTo("0.40");
        assertThat(defaulted.cacheWrite()).as("cache-write defaults to input").isEqualByComparingTo("0.40");
        assertThat(defaulted.perRequest()).isEqualByComparingTo(BigDecimal.ZERO);
        assertThat(route.targets().get(1).price().cachedInput()).isEqualByComparingTo("0.10");

        assertThat(table.keysByDigest())
                .containsEntry(KeyDigest.sha256Hex("team-a-secret"), new ClientKey("team-a", null))
                .containsEntry("0c0b6e0bd3a0a8e2c0b7f7a8a01c8f0b3f3dd64c5b3e1ba8e1e1bd2a9d2a1c0f", new ClientKey("team-b", null));
        assertThat(table.adminKey()).isEmpty();
        assertThat(table.toString()).doesNotContain("sk-aiml", "team-a-secret");
        assertThat(aimlapi.toString()).doesNotContain("sk-aiml");
    }

    @Test
    void routingAndHealthSettings() {
        String yaml = VALID.replace("routes:\n  minimax-m1:\n", """
                routes:
                  minimax-m1:
                    expected-output-tokens: 1024
                    routing: {max-attempts: 5}
                """) + """
                routing: {max-attempts: 2}
                health: {failure-rate-threshold: 25, sliding-window: 10, minimum-calls: 4, open-wait: 5s, half-open-calls: 2,
                         rate-limit-cooldown: 3s, auth-failure-cooldown: 1h}
                """;
        RouteTable table = loader.parse("routes.yaml", yaml);
        Route route = table.routes().get("minimax-m1");
        assertThat(route.expectedOutputTokens()).isEqualTo(1024);
        assertThat(route.maxAttempts()).isEqualTo(5);
        assertThat(table.health()).isEqualTo(new HealthPolicy(25, 10, 4, Duration.ofSeconds(5), 2, Duration.ofSeconds(3), Duration.ofHours(1)));

        RouteTable defaults = loader.parse("routes.yaml", VALID);
        assertThat(defaults.routes().get("minimax-m1").maxAttempts()).isEqualTo(3);
        assertThat(defaults.routes().get("minimax-m1").expectedOutputTokens()).isEqualTo(256);
        assertThat(defaults.health()).isEqualTo(HealthPolicy.DEFAULTS);
        assertThatThrownBy(() -> loader.parse("routes.yaml", VALID + "routing: {max-attempts: 0}\n"))
                .hasMessageContaining("routes.yaml:36: routing.max-attempts: must be at least 1");
        assertThatThrownBy(() -> loader.parse("routes.yaml", VALID + "health: {sliding-window: 1}\n"))
                .hasMessageContaining("routes.yaml:36: health.sliding-window: must be at least 2");
    }

    @Test
    void theViewerKeyNeedsAnAdminKeyAndMustDifferFromIt() {
        String withAdmin = VALID.replace("admin-key: ${SWITCHBOARD_ADMIN_KEY:}", "admin-key: the-admin");
        assertThat(loader.parse("routes.yaml", withAdmin + "viewer-key: the-viewer\n").viewerKey()).isEqualTo("the-viewer");
        assertThat(loader.parse("routes.yaml", withAdmin).viewerKey()).isEmpty();
        assertThatThrownBy(() -> loader.parse("routes.yaml", withAdmin + "viewer-key: the-admin\n"))
                .hasMessageContaining("viewer-key: must differ from admin-key");
        assertThatThrownBy(() -> loader.parse("routes.yaml", VALID.replace("admin-key: ${SWITCHBOARD_ADMIN_KEY:}", "admin-key: \"\"") + "viewer-key: the-viewer\n"))
                .hasMessageContaining("viewer-key: needs an admin-key");
    }

    @Test
    void creditsStreamUsageAndKeyBudgets() {
        String yaml = VALID.replace("    auth: bearer\n    api-key: ${AIMLAPI_API_KEY}", "    auth: bearer\n    api-key: ${AIMLAPI_API_KEY}\n    stream-usage: off")
                .replace("    key: ${TEAM_A_KEY}", "    key: ${TEAM_A_KEY}\n    credits: 5000000") + "credits: {per-usd: 2000000}\n";
        RouteTable table = loader.parse("routes.yaml", yaml);
        assertThat(table.upstreams().get("aimlapi").streamUsage()).isEqualTo(StreamUsage.OFF);
        assertThat(table.upstreams().get("modelslab").streamUsage()).isEqualTo(StreamUsage.INJECT);
        assertThat(table.creditsPerUsd()).isEqualByComparingTo("2000000");
        assertThat(table.keysByDigest().get(KeyDigest.sha256Hex("team-a-secret")).credits()).isEqualTo(5_000_000L);
        assertThat(loader.parse("routes.yaml", VALID).creditsPerUsd()).isEqualByComparingTo("1000000");
        assertThatThrownBy(() -> loader.parse("routes.yaml", VALID + "credits: {per-usd: 0}\n"))
                .hasMessageContaining("credits.per-usd: must be positive");
    }

    /**
     * {@code http-version} as a user writes it: YAML reads {@code 2} as a number and {@code 1.1} as a decimal,
     * both meant as the version; anything else is refused, naming the field.
     */
    @Test
    void httpVersionIsOneOneOrTwoAndAnythingElseIsAProblem() {
        String yaml = VALID.replace("    auth: bearer\n    api-key: ${AIMLAPI_API_KEY}", "    auth: bearer\n    api-key: ${AIMLAPI_API_KEY}\n    http-version: 2");
        RouteTable table = loader.parse("routes.yaml", yaml);
        assertThat(table.upstreams().get("aimlapi").httpVersion()).isEqualTo(HttpVersion.HTTP_2);
        assertThat(table.upstreams().get("modelslab").httpVersion()).isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(loader.parse("routes.yaml", yaml.replace("http-version: 2", "http-version: 1.1")).upstreams().get("aimlapi").httpVersion())
                .isEqualTo(HttpVersion.HTTP_1_1);
        assertThat(loader.parse("routes.yaml", yaml.replace("http-version: 2", "http-version: \"2\"")).upstreams().get("aimlapi").httpVersion())
                .isEqualTo(HttpVersion.HTTP_2);
        assertThatThrownBy(() -> loader.parse("routes.yaml", yaml.replace("http-version: 2", "http-version: 3")))
                .hasMessageContaining("upstreams.aimlapi.http-version: not an HTTP version the gateway speaks: '3' (1.1 or 2)");
    }

    @Test
    void keyRateLimitsAreReadAndAValueBelowOneIsAProblemNamingItsField() {
        String yaml = VALID.replace("    key: ${TEAM_A_KEY}", "    key: ${TEAM_A_KEY}\n    limits: {requests-per-minute: 60, tokens-per-minute: 90000, concurrent: 4}");
        assertThat(loader.parse("routes.yaml", yaml).keysByDigest().get(KeyDigest.sha256Hex("team-a-secret")).limits())
                .isEqualTo(new KeyLimits(60, 90_000, 4));
        assertThat(loader.parse("routes.yaml", VALID).keysByDigest().get(KeyDigest.sha256Hex("team-a-secret")).limits())
                .isEqualTo(KeyLimits.NONE);
        assertThatThrownBy(() -> loader.parse("routes.yaml", VALID.replace("    key: ${TEAM_A_KEY}",
                "    key: ${TEAM_A_KEY}\n    limits: {requests-per-minute: 0, concurrent: -2, tokens-per-minute: 1000000000000}")))
                .hasMessageContaining("keys[0].limits.requests-per-minute: must be from 1 to 10000000000")
                .hasMessageContaining("keys[0].limits.concurrent: must be from 1 to")
                // past what a token bucket can refill (one a nanosecond): refused here, not a 500 on every request
                .hasMessageContaining("keys[0].limits.tokens-per-minute: must be from 1 to 10000000000");
        assertThatThrownBy(() -> loader.parse("routes.yaml", VALID.replace("    key: ${TEAM_A_KEY}",
                "    key: ${TEAM_A_KEY}\n    limits: {requests-per-hour: 5}")))
                .hasMessageContaining("requests-per-hour");
    }

    @Test
    void aKeysAliasesAreDeclaredNamesOrPatternsAndAnUnknownNameIsAProblem() {
        ClientKey narrow = loader.parse("routes.yaml", VALID.replace("    key: ${TEAM_A_KEY}", "    key: ${TEAM_A_KEY}\n    aliases: [minimax-m1, \"gpt-*\"]"))
                .keysByDigest().get(KeyDigest.sha256Hex("team-a-secret"));
        assertThat(narrow.allows("minimax-m1")).isTrue();
        assertThat(narrow.allows("gpt-5")).isTrue();
        assertThat(narrow.allows("minimax-m2")).isFalse();
        assertThat(loader.parse("routes.yaml", VALID).keysByDigest().get(KeyDigest.sha256Hex("team-a-secret")).allows("anything")).isTrue();
        assertThatThrownBy(() -> loader.parse("routes.yaml", VALID.replace("    key: ${TEAM_A_KEY}", "    key: ${TEAM_A_KEY}\n    aliases: [nope]")))
                .hasMessageContaining("keys[0].aliases[0]: unknown alias 'nope' (declared: minimax-m1");
        assertThatThrownBy(() -> loader.parse("routes.yaml", VALID.replace("    key: ${TEAM_A_KEY}", "    key: ${TEAM_A_KEY}\n    aliases: []")))
                .hasMessageContaining("keys[0].aliases: empty: leave it out for every alias");
    }

    @Test
    void theShippedConfigStartsWithNoProviderKeys() {
        RouteTable table = new ConfigLoader(name -> null).load(Path.of("config/switchboard.yaml"));
        assertThat(table.routes()).containsKeys("minimax-m1", "minimax-m2.1", "embed-small");
        // the coding agents' default model names land on a route
        assertThat(table.route("claude-opus-4-8").alias()).isEqualTo("minimax-m2.1");
        assertThat(table.route("gpt-5.2-codex").alias()).isEqualTo("minimax-m2.1");
        assertThat(table.route("o3")).isNull();
        assertThat(table.upstreams().values()).filteredOn(Upstream::enabled).extracting(Upstream::name)
                .containsExactly("local");
        assertThat(table.upstreams().get("local").auth()).isEqualTo(AuthStyle.NONE);
    }

    @Test
    void aPlaceholderInAFieldThatFailsIsShownAsWrittenNeverResolved() {
        Map<String, String> env = Map.of("AIMLAPI_API_KEY", "sk-aiml", "TEAM_A_KEY", "team-a-secret",
                "SECRET_URL", "sk-live-0123456789abcdef", "SECRET_PROTOCOL", "sk-proto-0123456789", "SECRET_MODEL", "sk-model-9876543210");
        String yaml = VALID.replace("base-url: https://api.aimlapi.com/v1/", "base-url: ${SECRET_URL}")
                .replace("    protocol: anthropic", "    protocol: ${SECRET_PROTOCOL}")
                .replace("  - upstream: modelslab", "  - upstream: ${SECRET_MODEL}");
        assertThatThrownBy(() -> new ConfigLoader(env::get).parse("routes.yaml", yaml))
                .isInstanceOfSatisfying(ConfigException.class, e -> {
                    String all = e.getMessage() + String.join("\n", e.problems());
                    assertThat(all).doesNotContain("sk-live-0123456789abcdef", "sk-proto-0123456789", "sk-model-9876543210");
                    assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("upstreams.minimax.protocol").contains("${SECRET_PROTOCOL}"));
                });
        // a protocol error alone, so the URL's problem is reported too (the binding stops at the first)
        String urlOnly = VALID.replace("base-url: https://api.aimlapi.com/v1/", "base-url: ${SECRET_URL}");
        assertThatThrownBy(() -> new ConfigLoader(env::get).parse("routes.yaml", urlOnly))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).singleElement().satisfies(p ->
                        assertThat(p).contains("upstreams.aimlapi.base-url").contains("${SECRET_URL}").doesNotContain("sk-live")));
    }

    @Test
    void clientModelNamesAndPatternsLandOnRoutesAndTheDefaultTakesTheRest() {
        String yaml = VALID + """
                model-names:
                  claude-opus-4-8: minimax-m1
                  "claude-*": minimax-m1
                  "gpt-?-codex": minimax-m1
                default-route: minimax-m1
                """;
        RouteTable table = loader.parse("routes.yaml", yaml);
        assertThat(table.route("minimax-m1").alias()).isEqualTo("minimax-m1");
        assertThat(table.route("claude-opus-4-8").alias()).isEqualTo("minimax-m1");
        assertThat(table.route("claude-haiku-4-5-20251001").alias()).isEqualTo("minimax-m1");
        assertThat(table.route("gpt-5-codex").alias()).isEqualTo("minimax-m1");
        assertThat(table.route("anything.else").alias()).as("the default route").isEqualTo("minimax-m1");
        assertThat(table.routes()).as("the model list still shows the routes only").containsOnlyKeys("minimax-m1");

        RouteTable noDefault = loader.parse("routes.yaml", VALID + "model-names: {\"claude-*\": minimax-m1}\n");
        assertThat(noDefault.route("gpt-5")).isNull();
        assertThat(noDefault.route("claude-sonnet-5").alias()).isEqualTo("minimax-m1");
    }

    @Test
    void modelNamesMustNameARouteAndNotShadowOne() {
        String yaml = VALID + """
                model-names:
                  "claude-*": no-such-route
                  minimax-m1: minimax-m1
                default-route: nowhere
                """;
        assertThatThrownBy(() -> loader.parse("routes.yaml", yaml))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems())
                        .anySatisfy(p -> assertThat(p).contains("model-names.claude-*").contains("unknown route 'no-such-route'"))
                        .anySatisfy(p -> assertThat(p).contains("model-names.minimax-m1").contains("own alias"))
                        .anySatisfy(p -> assertThat(p).contains("default-route").contains("unknown route 'nowhere'")));
    }

    @Test
    void unknownUpstreamNamesFileLineAndField() {
        String yaml = VALID.replace("  - upstream: modelslab", "  - upstream: modelsbad");
        assertThatThrownBy(() -> loader.parse("routes.yaml", yaml))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("routes.yaml:27: routes.minimax-m1.targets[1].upstream: unknown upstream 'modelsbad'");
    }

    @Test
    void missingPriceIsAnError() {
        String yaml = VALID.replace("        price: {input: 0.40, output: 2.20}\n", "");
        assertThatThrownBy(() -> loader.parse("routes.yaml", yaml))
                .hasMessageContaining("routes.yaml:24: routes.minimax-m1.targets[0].price: missing");
    }

    @Test
    void missingOutputPriceIsAnError() {
        String yaml = VALID.replace("price: {input: 0.40, output: 2.20}\n", "price: {input: 0.40}\n");
        assertThatThrownBy(() -> loader.parse("routes.yaml", yaml))
                .hasMessageContaining("routes.yaml:26: routes.minimax-m1.targets[0].price.output: missing");
    }

    @Test
    void badUrlIsAnError() {
        String yaml = VALID.replace("https://api.aimlapi.com/v1/", "ftp//nowhere");
        assertThatThrownBy(() -> loader.parse("routes.yaml", yaml))
                .hasMessageContaining("routes.yaml:4: upstreams.aimlapi.base-url: not an http(s) base URL: 'ftp//nowhere'");
    }

    @Test
    void unknownFieldIsAnError() {
        String yaml = VALID.replace("    auth: bearer\n", "    auth: bearer\n    api_key_typo: x\n");
        assertThatThrownBy(() -> loader.parse("routes.yaml", yaml))
                .hasMessageContaining("routes.yaml:6: upstreams.aimlapi.api_key_typo: unknown field");
    }

    @Test
    void unknownSectionIsAnError() {
        assertThatThrownBy(() -> loader.parse("routes.yaml", VALID + "rotues: {}\n"))
                .hasMessageContaining("routes.yaml:36: rotues: unknown field");
    }

    @Test
    void unsetVariableWithoutDefaultIsAnError() {
        ConfigLoader noEnv = new ConfigLoader(name -> null);
        assertThatThrownBy(() -> noEnv.parse("routes.yaml", VALID))
                .hasMessageContaining("routes.yaml:6: upstreams.aimlapi.api-key: environment variable AIMLAPI_API_KEY is not set")
                .hasMessageContaining("routes.yaml:32: keys[0].key: environment variable TEAM_A_KEY is not set");
    }

    @Test
    void placeholdersInCommentsAreLeftAlone() {
        RouteTable table = loader.parse("routes.yaml", "# ${NOT_SET}\n" + VALID);
        assertThat(table.routes()).containsKey("minimax-m1");
    }

    @Test
    void badEnumAndDurationAreErrors() {
        assertThatThrownBy(() -> loader.parse("routes.yaml", VALID.replace("protocol: anthropic", "protocol: grpc")))
                .hasMessageContaining("routes.yaml:15: upstreams.minimax.protocol:");
        assertThatThrownBy(() -> loader.parse("routes.yaml", VALID.replace("first-byte: 500ms", "first-byte: soon")))
                .hasMessageContaining("routes.yaml:20: upstreams.minimax.timeouts.first-byte:");
    }

    @Test
    void bodyAuthNeedsItsFieldName() {
        assertThatThrownBy(() -> loader.parse("routes.yaml", VALID.replace("    body-key-field: key\n", "")))
                .hasMessageContaining("upstreams.modelslab.body-key-field: auth: body needs the JSON field name");
    }

    @Test
    void yamlSyntaxErrorNamesTheLine() {
        assertThatThrownBy(() -> loader.parse("routes.yaml", "upstreams:\n  a: [unclosed\n"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("routes.yaml:");
    }

    @Test
    void duplicateKeysAreErrors() {
        String yaml = VALID.replace("  - name: team-b\n    key-sha256: 0c0b6e0bd3a0a8e2c0b7f7a8a01c8f0b3f3dd64c5b3e1ba8e1e1bd2a9d2a1c0f",
                "  - name: team-a\n    key: other");
        assertThatThrownBy(() -> loader.parse("routes.yaml", yaml))
                .hasMessageContaining("keys[1].name: duplicate key name 'team-a'");
    }

    @Test
    void everyProblemIsReportedAtOnce() {
        String yaml = VALID.replace("https://api.aimlapi.com/v1/", "nope").replace("  - upstream: modelslab", "  - upstream: x");
        assertThatThrownBy(() -> loader.parse("routes.yaml", yaml))
                .isInstanceOfSatisfying(ConfigException.class, e -> assertThat(e.problems()).hasSize(2));
    }
}
