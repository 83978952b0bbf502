package dev.switchboard.config;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.switchboard.support.GatewayTestBase;
import dev.switchboard.support.ProviderShapes;
import dev.switchboard.support.RawHttp;
import tools.jackson.databind.JsonNode;

/**
 * The routes file changed under live traffic: a good change applies, a bad one is refused, no request
 * fails. Its own context, on its own copy of the routes file.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ReloadIT extends GatewayTestBase {
    private static final Path ORIGINAL = Path.of("src/test/resources/switchboard-it.yaml");
    private static final Path CONFIG = DATA.resolve("switchboard-reload.yaml");

    @DynamicPropertySource
    static void reloadableConfig(DynamicPropertyRegistry registry) throws IOException {
        Files.createDirectories(DATA);
        Files.copy(ORIGINAL, CONFIG, StandardCopyOption.REPLACE_EXISTING);
        properties(registry, CONFIG);
        registry.add("switchboard.reload-interval", () -> "200ms");
    }

    /** Writes beside the file and moves it in, as editors and config-map updates do. */
    private static void replaceConfig(String text) {
        try {
            Path next = CONFIG.resolveSibling("next.yaml");
            Files.writeString(next, text);
            Files.move(next, CONFIG, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode admin(RawHttp raw, String path) {
        return RawHttp.json(raw.send(raw.request(path).header("Authorization", "Bearer it-admin-key").GET().build()));
    }

    private static int chat(RawHttp raw, String alias) {
        return raw.post("/v1/chat/completions", "{\"model\":\"" + alias + "\",\"messages\":[]}", "Authorization", "Bearer " + KEY).statusCode();
    }

    @Test
    void aGoodChangeAppliesAndABadOneIsRefusedWhileTrafficFlows() throws Exception {
        RawHttp raw = new RawHttp(gatewayUrl());
        wireMock().stubFor(post("/together/v1/chat/completions").willReturn(okJson(ProviderShapes.MODELSLAB_COMPLETION)));
        wireMock().stubFor(post("/cheap/v1/chat/completions").willReturn(aResponse().withStatus(500)));
        wireMock().stubFor(post("/mid/v1/chat/completions").willReturn(okJson(ProviderShapes.MODELSLAB_COMPLETION)));
        String original = Files.readString(ORIGINAL);

        // a failing target whose state must survive the reloads
        chat(raw, "failover");
        chat(raw, "failover");
        assertThat(targetCircuit(raw, "cheap/c")).isEqualTo("OPEN");

        List<Integer> statuses = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        CompletableFuture<Void> traffic = CompletableFuture.runAsync(() -> {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            for (int i = 0; i < 5000 && !stop.get() && System.nanoTime() < deadline; i++) statuses.add(chat(raw, "m1-together"));
        });

        String added = original.replace("routes:\n", "routes:\n  m1-hot:\n    targets:\n"
                + "      - {upstream: together, model: hot-model, price: {input: 1, output: 1}}\n");
        replaceConfig(added);
        await().atMost(Duration.ofSeconds(10)).until(() -> chat(raw, "m1-hot") == 200);
        assertThat(admin(raw, "/admin/config").get("reload_error").isNull()).isTrue();

        replaceConfig(added.replaceFirst("upstream: together, model: MiniMaxAI", "upstream: nowhere, model: MiniMaxAI"));
        await().atMost(Duration.ofSeconds(10)).until(() -> !admin(raw, "/admin/config").get("reload_error").isNull());
        String problem = admin(raw, "/admin/config").get("reload_error").get("problems").get(0).asString();
        assertThat(problem).matches(".*switchboard-reload\\.yaml:\\d+: routes\\.m1-together\\.targets\\[0\\]\\.upstream: unknown upstream 'nowhere'.*");
        assertThat(chat(raw, "m1-hot")).as("the previous routes stay in force").isEqualTo(200);

        HttpResponse<byte[]> reload = raw.send(raw.request("/admin/reload").header("Authorization", "Bearer it-admin-key")
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertThat(reload.statusCode()).isEqualTo(422);
        assertThat(RawHttp.json(reload).get("problems").get(0).asString()).contains("unknown upstream 'nowhere'");

        stop.set(true);
        traffic.get(60, TimeUnit.SECONDS);
        assertThat(statuses).hasSizeGreaterThan(10).containsOnly(200);
        // OPEN, or HALF_OPEN once its one-second open wait has passed on a slow machine; a breaker the reloads had
        // made anew would be CLOSED
        assertThat(targetCircuit(raw, "cheap/c")).as("health survives reloads").isIn("OPEN", "HALF_OPEN");

        replaceConfig(original);
        await().atMost(Duration.ofSeconds(10)).until(() -> admin(raw, "/admin/config").get("reload_error").isNull());
        assertThat(chat(raw, "m1-hot")).isEqualTo(404);
    }

    private String targetCircuit(RawHttp raw, String id) {
        for (JsonNode t : admin(raw, "/admin/upstreams").get("targets")) {
            if (t.get("id").asString().equals(id)) return t.get("circuit").asString();
        }
        throw new AssertionError("no target " + id);
    }
}
