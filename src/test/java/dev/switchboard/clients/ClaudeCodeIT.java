package dev.switchboard.clients;

import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
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
 * Claude Code, the npm release, with only ANTHROPIC_BASE_URL and ANTHROPIC_API_KEY set: its own model names
 * reach the team's aliases through {@code model-names} (claude-opus-* to an Anthropic upstream, claude-sonnet-*
 * to a Chat Completions one), and a turn runs its Bash tool and answers with the output. A wrong key must end
 * the CLI rather than have it retry.
 */
class ClaudeCodeIT extends GatewayIT {
    @TempDir
    Path home;

    private ClientClis.Run claude(String key, Duration timeout, String... flags) {
        List<String> command = new ArrayList<>(List.of(ClientClis.claude().toString(), "-p",
                "Run the echo command with Bash, then tell me what it printed", "--allowedTools", "Bash"));
        command.addAll(List.of(flags));
        Map<String, String> env = new HashMap<>(Map.of("HOME", home.toString(), "ANTHROPIC_BASE_URL", gatewayUrl(),
                "ANTHROPIC_API_KEY", key, "NO_COLOR", "1"));
        // Claude Code's own traffic to Anthropic (telemetry, updates) would leave loopback: the tests run offline.
        env.putAll(Map.of("DISABLE_TELEMETRY", "1", "DISABLE_AUTOUPDATER", "1", "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC", "1",
                "DISABLE_ERROR_REPORTING", "1"));
        return ClientClis.run(command, home.resolve("work"), env, timeout);
    }

    private JsonNode usage(String alias) {
        RawHttp raw = new RawHttp(gatewayUrl());
        return RawHttp.json(raw.send(raw.request("/admin/usage?alias=" + alias)
                .header("Authorization", "Bearer it-admin-key").GET().build())).get("records");
    }

    @Test
    void claudeCodesOwnModelRunsBashThroughAnAnthropicUpstream() throws Exception {
        AgentTurns.anthropic(wireMock(), "/cli-anthropic/v1/messages", AgentTurns.Tool.claudeCode());
        ClientClis.Run run = claude(KEY, Duration.ofSeconds(180));
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains(AgentTurns.ANSWER);

        List<LoggedRequest> sent = wireMock().findAll(postRequestedFor(urlPathEqualTo("/cli-anthropic/v1/messages")));
        assertThat(sent).hasSize(2);
        LoggedRequest first = sent.getFirst();
        assertThat(first.getUrl()).as("Claude Code's query reaches the upstream").contains("beta=true");
        assertThat(first.getHeader("x-api-key")).isEqualTo("cli-anthropic-secret");
        assertThat(Json.MAPPER.readTree(first.getBodyAsString()).path("model").asString()).isEqualTo("anthropic-model");
        assertThat(sent.get(1).getBodyAsString()).contains("\"tool_result\"").contains(AgentTurns.TOOL_OUTPUT);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode records = usage("claude-code");
            assertThat(records).hasSizeGreaterThanOrEqualTo(2);
            for (JsonNode r : records) {
                assertThat(r.get("endpoint").asString()).isEqualTo("messages");
                assertThat(r.get("outcome").asString()).isEqualTo("ok");
                assertThat(r.get("prompt_tokens").asLong()).isEqualTo(20);
                assertThat(r.get("upstream").asString()).isEqualTo("cli-anthropic");
            }
        });
    }

    @Test
    void claudeCodesSonnetRunsBashThroughAChatCompletionsUpstream() throws Exception {
        AgentTurns.chat(wireMock(), "/cli-chat/v1/chat/completions", AgentTurns.Tool.claudeCode());
        ClientClis.Run run = claude(KEY, Duration.ofSeconds(180), "--model", "sonnet");
        assertThat(run.exitCode()).as(run.output()).isZero();
        assertThat(run.output()).contains(AgentTurns.ANSWER);

        List<LoggedRequest> sent = wireMock().findAll(postRequestedFor(urlPathEqualTo("/cli-chat/v1/chat/completions")));
        assertThat(sent).hasSize(2);
        JsonNode second = Json.MAPPER.readTree(sent.get(1).getBodyAsString());
        JsonNode toolMessage = second.path("messages").get(second.path("messages").size() - 1);
        assertThat(toolMessage.path("role").asString()).isEqualTo("tool");
        assertThat(toolMessage.path("content").toString()).contains(AgentTurns.TOOL_OUTPUT);

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode records = usage("claude-code-chat");
            assertThat(records).hasSizeGreaterThanOrEqualTo(2);
            for (JsonNode r : records) {
                assertThat(r.get("endpoint").asString()).isEqualTo("messages");
                assertThat(r.get("outcome").asString()).isEqualTo("ok");
                assertThat(r.get("completion_tokens").asLong()).isEqualTo(8);
            }
        });
    }

    @Test
    void aWrongKeyEndsClaudeCodeWithoutReachingAnUpstream() {
        // Claude Code retries what it may (429, 5xx, no x-should-retry: false); were the 401 one of those, it would
        // back off for minutes and this run would not end in time.
        ClientClis.Run run = claude("sk-not-a-key", Duration.ofSeconds(60));
        assertThat(run.exitCode()).as(run.output()).isNotZero();
        assertThat(run.output()).containsIgnoringCase("key");
        assertThat(wireMock().findAll(anyRequestedFor(anyUrl()))).isEmpty();
    }
}
