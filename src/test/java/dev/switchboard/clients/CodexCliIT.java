package dev.switchboard.clients;

import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;

import dev.switchboard.protocol.Json;
import dev.switchboard.support.ClientClis;
import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.RawHttp;
import tools.jackson.databind.JsonNode;

/**
 * Codex CLI, the npm release, pointed at the gateway with a base URL and a key in its config.toml and
 * nothing else (web search off, as the README's setup says): a turn that runs a shell command through the
 * agent's tool and answers with its output, on an upstream of each protocol. The CLI must print the
 * upstream's answer, the upstream must see the tool's output, and the ledger must hold the turns.
 */
class CodexCliIT extends GatewayIT {
    @TempDir
    Path home;

    private ClientClis.Run codex(String model) throws IOException {
        Path codexHome = home.resolve("codex");
        Files.createDirectories(codexHome);
        Files.writeString(codexHome.resolve("config.toml"), """
                model = "%s"
                model_provider = "switchboard"
                web_search = "disabled"

                [model_providers.switchboard]
                name = "Switchboard"
                base_url = "%s/v1"
                env_key = "SWITCHBOARD_API_KEY"
                wire_api = "responses"
                """.formatted(model, gatewayUrl()));
        return ClientClis.run(List.of(ClientClis.codex().toString(), "exec", "--skip-git-repo-check",
                        "--dangerously-bypass-approvals-and-sandbox", "Run the echo command, then tell me what it printed"),
                home.resolve("work"), Map.of("HOME", home.toString(), "CODEX_HOME", codexHome.toString(), "SWITCHBOARD_API_KEY", KEY,
                        "NO_COLOR", "1"),
                Duration.ofSeconds(180));
    }

    private void assertTurnsRecorded(String alias) {
        RawHttp raw = new RawHttp(gatewayUrl());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode records = RawHttp.json(raw.send(raw.request("/admin/usage?alias=" + alias)
                    .header("Authorization", "Bearer it-admin-key").GET().build())).get("records");
            assertThat(records).as("usage records of %s", alias).hasSizeGreaterThanOrEqualTo(2);
            for (JsonNode r : records) {
                assertThat(r.get("endpoint").asString()).isEqualTo("responses");
                assertThat(r.get("outcome").asString()).isEqualTo("ok");
                assertThat(r.get("prompt_tokens").asLong()).isEqualTo(20);
            }
        });
    }

    private List<LoggedRequest> upstreamRequests(String path) {
        return wireMock().findAll(postRequestedFor(urlPathEqualTo(path)));
    }

    @Test
    void codexRunsItsToolThroughAChatCompletionsUpstream() throws IOException {
        AgentTurns.chat(wireMock(), "/cli-chat/v1/chat/completions", AgentTurns.Tool.codex());
        ClientClis.Run run = codex("codex-chat");
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains(AgentTurns.ANSWER);
        List<LoggedRequest> sent = upstreamRequests("/cli-chat/v1/chat/completions");
        assertThat(sent).hasSize(2);
        JsonNode second = Json.MAPPER.readTree(sent.get(1).getBodyAsString());
        JsonNode toolMessage = second.path("messages").get(second.path("messages").size() - 1);
        assertThat(toolMessage.path("role").asString()).isEqualTo("tool");
        assertThat(toolMessage.path("content").asString()).contains(AgentTurns.TOOL_OUTPUT);
        assertTurnsRecorded("codex-chat");
    }

    @Test
    void codexRunsItsToolThroughAnAnthropicUpstream() throws IOException {
        AgentTurns.anthropic(wireMock(), "/cli-anthropic/v1/messages", AgentTurns.Tool.codex());
        ClientClis.Run run = codex("codex-anthropic");
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains(AgentTurns.ANSWER);
        List<LoggedRequest> sent = upstreamRequests("/cli-anthropic/v1/messages");
        assertThat(sent).hasSize(2);
        assertThat(sent.get(1).getBodyAsString()).contains("\"tool_result\"").contains(AgentTurns.TOOL_OUTPUT);
        assertTurnsRecorded("codex-anthropic");
    }

    @Test
    void codexRunsItsToolThroughAResponsesUpstream() throws IOException {
        AgentTurns.responses(wireMock(), "/cli-native/v1/responses", AgentTurns.Tool.codex());
        ClientClis.Run run = codex("codex-native");
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains(AgentTurns.ANSWER);
        List<LoggedRequest> sent = upstreamRequests("/cli-native/v1/responses");
        assertThat(sent).hasSize(2);
        JsonNode first = Json.MAPPER.readTree(sent.getFirst().getBodyAsString());
        assertThat(first.path("model").asString()).as("the client's request, with the target's model").isEqualTo("native-model");
        assertThat(sent.get(1).getBodyAsString()).contains("\"function_call_output\"").contains(AgentTurns.TOOL_OUTPUT);
        assertTurnsRecorded("codex-native");
    }
}
