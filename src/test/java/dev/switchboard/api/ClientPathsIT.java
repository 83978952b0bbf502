package dev.switchboard.api;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.ProviderShapes;
import dev.switchboard.support.RawHttp;
import tools.jackson.databind.JsonNode;

/**
 * What clients other than a plain SDK call send: a check of the base URL, model names of their own, a query
 * on the messages endpoint, paths the gateway does not serve, and a wrong key they must not retry.
 */
@ExtendWith(OutputCaptureExtension.class)
class ClientPathsIT extends GatewayIT {
    private RawHttp raw;

    @BeforeEach
    void raw() {
        raw = new RawHttp(gatewayUrl());
    }

    private HttpResponse<byte[]> get(String path, String... headers) {
        HttpRequest.Builder b = raw.request(path).GET();
        if (headers.length > 0) b.headers(headers);
        return raw.send(b.build());
    }

    @Test
    void theBaseUrlAnswers200ToGetAndHead() {
        HttpResponse<byte[]> root = get("/");
        assertThat(root.statusCode()).isEqualTo(200);
        assertThat(RawHttp.json(root).get("service").asString()).isEqualTo("switchboard");
        HttpResponse<byte[]> head = raw.send(raw.request("/").method("HEAD", HttpRequest.BodyPublishers.noBody()).build());
        assertThat(head.statusCode()).isEqualTo(200);
        assertThat(head.body()).isEmpty();
    }

    @Test
    void anUnservedPathIs404InTheClientsEnvelopeNamingWhatIsServedAndIsLogged(CapturedOutput output) {
        HttpResponse<byte[]> openAi = raw.post("/v1/assistants", "{}", "Authorization", "Bearer " + KEY);
        assertThat(openAi.statusCode()).isEqualTo(404);
        JsonNode error = RawHttp.json(openAi).get("error");
        assertThat(error.get("code").asString()).isEqualTo("unknown_url");
        assertThat(error.get("message").asString()).contains("POST /v1/assistants").contains("POST /v1/chat/completions")
                .contains("POST /v1/messages");
        HttpResponse<byte[]> anthropic = raw.post("/v1/complete", "{}", "x-api-key", KEY, "anthropic-version", "2023-06-01");
        assertThat(anthropic.statusCode()).isEqualTo(404);
        assertThat(RawHttp.json(anthropic).get("type").asString()).isEqualTo("error");
        assertThat(RawHttp.json(anthropic).get("error").get("type").asString()).isEqualTo("not_found_error");
        assertThat(output.getAll()).contains("path=/v1/assistants status=404").contains("path=/v1/complete status=404");
    }

    @Test
    void anotherMethodOnAGetPathIs405() {
        HttpResponse<byte[]> response = raw.post("/v1/models", "{}", "Authorization", "Bearer " + KEY);
        assertThat(response.statusCode()).isEqualTo(405);
        assertThat(response.headers().firstValue("allow")).contains("GET");
        assertThat(RawHttp.json(response).get("error").get("code").asString()).isEqualTo("method_not_allowed");
    }

    @Test
    void oneModelIsRetrievedInEitherShapeByItsAliasOrAnotherNameItGoesBy() {
        HttpResponse<byte[]> openAi = get("/v1/models/m1-together", "Authorization", "Bearer " + KEY);
        assertThat(openAi.statusCode()).isEqualTo(200);
        assertThat(RawHttp.json(openAi).get("object").asString()).isEqualTo("model");
        assertThat(RawHttp.json(openAi).get("id").asString()).isEqualTo("m1-together");
        HttpResponse<byte[]> anthropic = get("/v1/models/claude-test-opus", "x-api-key", KEY, "anthropic-version", "2023-06-01");
        assertThat(anthropic.statusCode()).isEqualTo(200);
        assertThat(RawHttp.json(anthropic).get("type").asString()).isEqualTo("model");
        assertThat(RawHttp.json(anthropic).get("id").asString()).isEqualTo("claude-test-opus");
        HttpResponse<byte[]> unknown = get("/v1/models/no-such-model", "x-api-key", KEY, "anthropic-version", "2023-06-01");
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(RawHttp.json(unknown).get("error").get("type").asString()).isEqualTo("not_found_error");
        assertThat(get("/v1/models/m1-together").statusCode()).as("no key").isEqualTo(401);
    }

    @Test
    void aClientsOwnModelNameLandsOnItsRouteAndTheQueryReachesTheAnthropicUpstream() {
        wireMock().stubFor(post(urlPathEqualTo("/minimax/anthropic/v1/messages")).willReturn(okJson(ProviderShapes.MINIMAX_MESSAGE)));
        String requestId = "names-" + UUID.randomUUID();
        HttpResponse<byte[]> response = raw.post("/v1/messages?beta=true",
                "{\"model\":\"claude-test-sonnet-5\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "x-api-key", KEY, "anthropic-version", "2023-06-01", "anthropic-beta", "interleaved-thinking-2025-05-14",
                "x-request-id", requestId);
        assertThat(response.statusCode()).isEqualTo(200);
        wireMock().verify(postRequestedFor(urlEqualTo("/minimax/anthropic/v1/messages?beta=true"))
                .withRequestBody(com.github.tomakehurst.wiremock.client.WireMock.containing("\"model\":\"MiniMax-M1\""))
                .withHeader("anthropic-beta", com.github.tomakehurst.wiremock.client.WireMock.equalTo("interleaved-thinking-2025-05-14")));
        assertThat(usageRecord(requestId).get("alias").asString()).as("recorded under the route").isEqualTo("m1-minimax");
    }

    @Test
    void aWrongKeySaysNotToRetry() {
        HttpResponse<byte[]> response = raw.post("/v1/messages", "{\"model\":\"m1-minimax\",\"max_tokens\":5,\"messages\":[]}",
                "x-api-key", "sk-wrong", "anthropic-version", "2023-06-01");
        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("x-should-retry")).contains("false");
        HttpResponse<byte[]> overloaded = raw.post("/v1/chat/completions", "{\"model\":\"m1-unreachable\",\"messages\":[]}",
                "Authorization", "Bearer " + KEY);
        assertThat(overloaded.statusCode()).isEqualTo(502);
        assertThat(overloaded.headers().firstValue("x-should-retry")).as("an upstream failure may pass").isEmpty();
    }
}
