package dev.switchboard.api;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import dev.switchboard.config.Secrets;
import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.RawHttp;

/**
 * Upstreams that echo the request in their error bodies, as some providers do, key included: for every auth
 * style (Bearer header, x-api-key header, key in the JSON body), passed back as it came, translated, and
 * summed up in the error of a request no target could serve, the provider key never reaches the client, the
 * admin view or the log.
 */
@ExtendWith(OutputCaptureExtension.class)
class ProviderSecretsIT extends GatewayIT {
    /** Everything the upstream was sent: the headers that carry keys, and the body. */
    private static final String ECHO = "{\"error\":{\"message\":\"bad request {{{request.body}}}\","
            + "\"authorization\":\"{{request.headers.Authorization}}\",\"x-api-key\":\"{{request.headers.x-api-key}}\"}}";
    private RawHttp raw;

    @BeforeEach
    void raw() {
        raw = new RawHttp(gatewayUrl());
    }

    private void echo(String path, int status) {
        wireMock().stubFor(post(path).willReturn(aResponse().withStatus(status).withHeader("Content-Type", "application/json")
                .withBody(ECHO).withTransformers("response-template")));
    }

    private HttpResponse<byte[]> chat(String alias) {
        return raw.post("/v1/chat/completions", "{\"model\":\"" + alias + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "Authorization", "Bearer " + KEY);
    }

    private HttpResponse<byte[]> messages(String alias) {
        return raw.post("/v1/messages", "{\"model\":\"" + alias + "\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "x-api-key", KEY, "anthropic-version", "2023-06-01");
    }

    private static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    @Test
    void aBearerKeyEchoedInA400IsRedactedFromTheBodyPassedBack() {
        echo("/aimlapi/v1/chat/completions", 400);
        HttpResponse<byte[]> response = chat("m1-aimlapi");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(text(response)).doesNotContain("aimlapi-upstream-secret").contains("Bearer " + Secrets.MARK)
                .contains("bad request"); // the rest of the echo is the upstream's, passed on
        assertThat(response.headers().firstValueAsLong("content-length")).hasValue(response.body().length);
        assertThat(text(response)).as("otherwise the upstream's own bytes").startsWith("{\"error\":{\"message\":\"bad request {\"model\":\"minimax/m1\"");
    }

    @Test
    void anXApiKeyEchoedInA422IsRedacted() {
        echo("/minimax/anthropic/v1/messages", 422);
        HttpResponse<byte[]> response = messages("m1-minimax");
        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(text(response)).doesNotContain("minimax-upstream-secret").contains("\"x-api-key\":\"" + Secrets.MARK + "\"");
    }

    @Test
    void aKeyTheGatewayPutInTheBodyIsRedactedWhenTheBodyIsEchoed() {
        echo("/modelslab/api/v7/llm/chat/completions", 404);
        HttpResponse<byte[]> response = chat("m1-modelslab");
        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(text(response)).doesNotContain("modelslab-upstream-secret").contains(Secrets.MARK);
    }

    @Test
    void aTranslatedErrorMessageIsRedacted() {
        echo("/minimax/anthropic/v1/messages", 400);
        HttpResponse<byte[]> response = chat("tx-anthropic-only");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RawHttp.json(response).path("error").path("message").asString()).contains("rejected the request");
        assertThat(text(response)).doesNotContain("minimax-upstream-secret");
    }

    @Test
    void anEchoIn5xxAnswersNeverReachesTheClientTheAdminViewOrTheLog(CapturedOutput output) {
        echo("/together/v1/chat/completions", 500);
        HttpResponse<byte[]> response = chat("m1-together");
        assertThat(response.statusCode()).isEqualTo(502);
        assertThat(text(response)).contains("HTTP 500").doesNotContain("together-upstream-secret");
        HttpResponse<byte[]> admin = raw.send(raw.request("/admin/upstreams").header("Authorization", "Bearer it-admin-key").GET().build());
        assertThat(text(admin)).contains(Secrets.MARK).doesNotContain("together-upstream-secret");
        assertThat(output.getAll()).doesNotContain("together-upstream-secret", "aimlapi-upstream-secret", "minimax-upstream-secret",
                "modelslab-upstream-secret");
    }
}
