package dev.switchboard.ops;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.switchboard.support.GatewayProcess;
import dev.switchboard.support.RawHttp;
import dev.switchboard.support.TestUpstreams;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The packaged gateway with Spring Boot's structured logging on ({@code logging.structured.format.console=logstash})
 * and the request line on: every line is one JSON object, and the request line's fields are JSON fields.
 * Every kind of secret is fed through every path that takes one (client keys by header and by x-api-key, a
 * wrong key, the admin key by Bearer and by the dashboard's sign-in, a new virtual key, upstream keys echoed in
 * an upstream's error) together with a prompt and an answer, and none of them, nor any body, is in the log.
 */
class StructuredLogsIT {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String PROMPT = "my prompt is private-prompt-7f3a";
    private static final String ANSWER_TEXT = "private-answer-9c1d";

    @Test
    void everyLineIsJsonTheRequestLineHasItsFieldsAndNoSecretOrBodyIsLogged() throws Exception {
        var wireMock = TestUpstreams.get().wireMock();
        wireMock.stubFor(post("/together/v1/chat/completions").willReturn(okJson("{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,"
                + "\"model\":\"m\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"" + ANSWER_TEXT + "\"},"
                + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}")));
        // a provider that echoes the gateway's credentials in its error
        wireMock.stubFor(post("/minimax/anthropic/v1/messages").willReturn(aResponse().withStatus(500)
                .withBody("{\"error\":\"bad key minimax-upstream-secret for " + PROMPT + "\"}")));
        try (GatewayProcess gateway = GatewayProcess.start("src/test/resources/switchboard-it.yaml", "--it.closed-port=1",
                "--logging.structured.format.console=logstash", "--logging.level.switchboard.access=info")) {
            RawHttp raw = gateway.http();
            String chat = "{\"model\":\"m1-cached-openai\",\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}";
            assertThat(raw.post("/v1/chat/completions", chat, "Authorization", "Bearer sk-team-a", "x-request-id", "logs-1").statusCode()).isEqualTo(200);
            assertThat(raw.post("/v1/chat/completions", chat, "Authorization", "Bearer sk-wrong-secret-5521").statusCode()).isEqualTo(401);
            String messages = "{\"model\":\"m1-cached-anthropic\",\"max_tokens\":16,\"messages\":[{\"role\":\"user\",\"content\":\"" + PROMPT + "\"}]}";
            assertThat(raw.post("/v1/messages", messages, "x-api-key", "sk-team-a", "anthropic-version", "2023-06-01").statusCode())
                    .isGreaterThanOrEqualTo(500);
            HttpResponse<byte[]> created = raw.post("/admin/keys", "{\"name\":\"logs-key\"}", "Authorization", "Bearer it-admin-key",
                    "Content-Type", "application/json");
            assertThat(created.statusCode()).isEqualTo(201);
            String virtual = RawHttp.json(created).get("key").asString();
            assertThat(raw.post("/v1/chat/completions", chat, "Authorization", "Bearer " + virtual).statusCode()).isEqualTo(200);
            assertThat(raw.send(raw.request("/admin/keys").header("Authorization", "Bearer wrong-admin-key-3390").GET().build()).statusCode())
                    .isEqualTo(401);
            for (String key : List.of("it-admin-key", "wrong-admin-key-3390")) {
                raw.send(raw.request("/ui/login").header("Content-Type", "application/x-www-form-urlencoded")
                        .POST(HttpRequest.BodyPublishers.ofString("key=" + key)).build());
            }

            await().atMost(Duration.ofSeconds(10)).until(() -> gateway.log().contains("logs-1"));
            String log = gateway.log();
            for (String secret : List.of("sk-team-a", "sk-wrong-secret-5521", "it-admin-key", "wrong-admin-key-3390", virtual,
                    "minimax-upstream-secret", "together-upstream-secret", PROMPT, ANSWER_TEXT)) {
                assertThat(log).as("the log holds no " + secret).doesNotContain(secret);
            }
            List<String> lines = log.lines().filter(l -> !l.isBlank()).toList();
            assertThat(lines).hasSizeGreaterThan(10);
            JsonNode requestLine = null;
            for (String line : lines) {
                JsonNode node = JSON.readTree(line); // throws on a line that is not JSON
                if (node.has("request_id") && "logs-1".equals(node.get("request_id").asString())) requestLine = node;
            }
            assertThat(requestLine).as("the request line of logs-1").isNotNull();
            assertThat(Map.of("key", requestLine.get("key").asString(), "alias", requestLine.get("alias").asString(),
                    "status", requestLine.get("status").asString(), "outcome", requestLine.get("outcome").asString()))
                    .containsEntry("key", "team-a").containsEntry("alias", "m1-cached-openai").containsEntry("status", "200")
                    .containsEntry("outcome", "ok");
            assertThat(requestLine.get("latency_ms").asLong()).isNotNegative();
        }
    }
}
