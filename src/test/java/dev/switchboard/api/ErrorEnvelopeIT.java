package dev.switchboard.api;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.concurrent.Flow;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.web.reactive.DispatcherHandler;
import org.springframework.web.reactive.function.server.support.RouterFunctionMapping;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.ProviderShapes;
import dev.switchboard.support.RawHttp;
import dev.switchboard.support.WebFluxRequests;
import tools.jackson.databind.JsonNode;

/** Every bad input and every upstream failure, answered with its status in the client protocol's envelope. */
@ExtendWith(OutputCaptureExtension.class)
class ErrorEnvelopeIT extends GatewayIT {
    private static final String CHAT = "/v1/chat/completions";
    private static final String MESSAGES = "/v1/messages";
    private RawHttp raw;

    @BeforeEach
    void raw() {
        raw = new RawHttp(gatewayUrl());
    }

    private HttpResponse<byte[]> chat(String body) {
        return raw.post(CHAT, body, "Authorization", "Bearer " + KEY, "Content-Type", "application/json");
    }

    private HttpResponse<byte[]> messages(String body) {
        return raw.post(MESSAGES, body, "x-api-key", KEY, "anthropic-version", "2023-06-01", "Content-Type", "application/json");
    }

    /** OpenAI's {"error":{"message","type","param","code"}}; returns the inner object. */
    private static JsonNode openAiError(HttpResponse<byte[]> response, int status, String code) {
        assertThat(response.statusCode()).isEqualTo(status);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        assertThat(response.headers().firstValue("x-request-id")).isPresent();
        JsonNode error = RawHttp.json(response).get("error");
        assertThat(error.has("message") && error.has("type") && error.has("param") && error.has("code")).isTrue();
        assertThat(error.get("message").asString()).isNotBlank();
        if (code != null) assertThat(error.get("code").asString()).isEqualTo(code);
        return error;
    }

    /** Anthropic's {"type":"error","error":{"type","message"}}; returns the inner object. */
    private static JsonNode anthropicError(HttpResponse<byte[]> response, int status, String type) {
        assertThat(response.statusCode()).isEqualTo(status);
        JsonNode root = RawHttp.json(response);
        assertThat(root.get("type").asString()).isEqualTo("error");
        assertThat(root.get("error").get("type").asString()).isEqualTo(type);
        assertThat(root.get("error").get("message").asString()).isNotBlank();
        return root.get("error");
    }

    @Test
    void missingOrWrongKeyIs401() {
        openAiError(raw.post(CHAT, "{\"model\":\"m1-aimlapi\"}"), 401, "invalid_api_key");
        openAiError(raw.post(CHAT, "{\"model\":\"m1-aimlapi\"}", "Authorization", "Bearer nope"), 401, "invalid_api_key");
        anthropicError(raw.post(MESSAGES, "{}"), 401, "authentication_error");
        anthropicError(raw.post(MESSAGES, "{}", "x-api-key", "nope"), 401, "authentication_error");
        openAiError(raw.send(raw.request("/v1/models").GET().build()), 401, "invalid_api_key");
    }

    @Test
    void unknownAliasIs404() {
        JsonNode error = openAiError(chat("{\"model\":\"gpt-99\",\"messages\":[]}"), 404, "model_not_found");
        assertThat(error.get("param").asString()).isEqualTo("model");
        assertThat(error.get("message").asString()).contains("gpt-99");
        anthropicError(messages("{\"model\":\"gpt-99\",\"max_tokens\":5,\"messages\":[]}"), 404, "not_found_error");
    }

    @Test
    void malformedBodiesAre400NamingTheProblem() {
        assertThat(openAiError(chat("{\"model\":\"m1-aimlapi\",\"messages\":[}"), 400, null).get("message").asString())
                .contains("not valid JSON");
        assertThat(anthropicError(messages("{\"model\":"), 400, "invalid_request_error").get("message").asString())
                .contains("not valid JSON");
        openAiError(chat("[{\"model\":\"m1-aimlapi\"}]"), 400, null);
        openAiError(chat(""), 400, null);
        assertThat(openAiError(chat("{\"model\":\"m1-aimlapi\",\"model\":\"m1-together\"}"), 400, null).get("param").asString())
                .isEqualTo("model");
    }

    @Test
    void missingModelOrMaxTokensIs400() {
        JsonNode error = openAiError(chat("{\"messages\":[]}"), 400, null);
        assertThat(error.get("param").asString()).isEqualTo("model");
        assertThat(error.get("message").asString()).contains("model");
        openAiError(chat("{\"model\":7,\"messages\":[]}"), 400, null);
        assertThat(anthropicError(messages("{\"model\":\"m1-minimax\",\"messages\":[]}"), 400, "invalid_request_error")
                .get("message").asString()).contains("max_tokens");
        anthropicError(messages("{\"max_tokens\":5,\"messages\":[]}"), 400, "invalid_request_error");
        wireMock().verify(0, postRequestedFor(urlEqualTo("/minimax/anthropic/v1/messages")));
    }

    @Test
    void bodiesOverTheLimitAre413WithOrWithoutContentLength() {
        String big = "{\"model\":\"m1-aimlapi\",\"messages\":[{\"role\":\"user\",\"content\":\"" + "x".repeat(70 * 1024) + "\"}]}";
        openAiError(chat(big), 413, "request_too_large");
        anthropicError(messages(big), 413, "request_too_large");

        // chunked: no Content-Length to check up front, the limit is enforced while reading
        HttpRequest chunked = raw.request(CHAT).header("Authorization", "Bearer " + KEY)
                .POST(HttpRequest.BodyPublishers.fromPublisher(chunks(big))).build();
        openAiError(raw.send(chunked), 413, "request_too_large");
        wireMock().verify(0, postRequestedFor(urlEqualTo("/aimlapi/v1/chat/completions")));
    }

    @Test
    void unreachableUpstreamIs502AndSlowUpstreamIs504() {
        openAiError(chat("{\"model\":\"m1-unreachable\",\"messages\":[]}"), 502, "upstream_unreachable");

        wireMock().stubFor(post("/slow/v1/chat/completions").willReturn(okJson("{}").withFixedDelay(3_000)));
        JsonNode timeout = openAiError(chat("{\"model\":\"m1-slow\",\"messages\":[]}"), 504, "upstream_timeout");
        assertThat(timeout.get("message").asString()).contains("slow").contains("500ms");
    }

    @Test
    void aliasWithNoTargetForThisProtocolIs503Explained() {
        // only routes that forbid translation have no target for a protocol
        assertThat(openAiError(chat("{\"model\":\"tx-forbidden\",\"messages\":[]}"), 503, "no_upstream_available")
                .get("message").asString()).contains("OpenAI Chat Completions protocol", "translate: false");
        assertThat(anthropicError(messages("{\"model\":\"tx-forbidden-openai\",\"max_tokens\":5,\"messages\":[]}"), 503, "api_error")
                .get("message").asString()).contains("Anthropic Messages protocol", "translate: false");
        assertThat(openAiError(chat("{\"model\":\"m1-all-keyless\",\"messages\":[]}"), 503, "no_upstream_available")
                .get("message").asString()).contains("disabled");
    }

    @Test
    void upstreamErrorsComeBackExactlyAsWritten() {
        wireMock().stubFor(post("/aimlapi/v1/chat/completions").willReturn(aResponse().withStatus(422)
                .withHeader("Content-Type", "application/json").withBody(ProviderShapes.AIMLAPI_UNPROCESSABLE)));
        HttpResponse<byte[]> response = chat("{\"model\":\"m1-aimlapi\",\"messages\":[]}");
        assertThat(response.statusCode()).isEqualTo(422);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(ProviderShapes.AIMLAPI_UNPROCESSABLE);
        assertThat(response.headers().firstValue("x-switchboard-upstream")).contains("aimlapi");

        wireMock().stubFor(post("/minimax/anthropic/v1/messages").willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json").withBody(ProviderShapes.ANTHROPIC_BAD_REQUEST)));
        response = messages("{\"model\":\"m1-minimax\",\"max_tokens\":5,\"messages\":[]}");
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(new String(response.body(), StandardCharsets.UTF_8)).isEqualTo(ProviderShapes.ANTHROPIC_BAD_REQUEST);
    }

    @Test
    void requestIdsAreEchoedWhenWellFormedAndFreshOtherwise() {
        wireMock().stubFor(post("/aimlapi/v1/chat/completions").willReturn(okJson(ProviderShapes.AIMLAPI_COMPLETION)));
        HttpResponse<byte[]> echoed = raw.post(CHAT, "{\"model\":\"m1-aimlapi\",\"messages\":[]}",
                "Authorization", "Bearer " + KEY, "x-request-id", "trace-42.abc");
        assertThat(echoed.headers().firstValue("x-request-id")).contains("trace-42.abc");
        wireMock().verify(postRequestedFor(urlEqualTo("/aimlapi/v1/chat/completions")).withHeader("x-request-id", equalTo("trace-42.abc")));

        HttpResponse<byte[]> replaced = raw.post(CHAT, "{\"model\":\"m1-aimlapi\",\"messages\":[]}",
                "Authorization", "Bearer " + KEY, "x-request-id", "has spaces; and <junk>");
        assertThat(replaced.headers().firstValue("x-request-id")).hasValueSatisfying(id -> assertThat(id).startsWith("req_"));

        HttpResponse<byte[]> unauthorized = raw.post(CHAT, "{}");
        assertThat(unauthorized.headers().firstValue("x-request-id")).hasValueSatisfying(id -> assertThat(id).startsWith("req_"));
    }

    @Test
    void aClientWithoutAnthropicVersionGetsTheDefaultUpstream() {
        wireMock().stubFor(post("/minimax/anthropic/v1/messages").willReturn(okJson(ProviderShapes.MINIMAX_MESSAGE)));
        HttpResponse<byte[]> response = raw.post(MESSAGES, "{\"model\":\"m1-minimax\",\"max_tokens\":5,\"messages\":[]}", "x-api-key", KEY);
        assertThat(response.statusCode()).isEqualTo(200);
        wireMock().verify(postRequestedFor(urlEqualTo("/minimax/anthropic/v1/messages"))
                .withHeader("anthropic-version", equalTo("2023-06-01")));
    }

    @Test
    void readinessIncludesTheLedger() {
        HttpResponse<byte[]> ready = raw.send(raw.request("/actuator/health/readiness").GET().build());
        assertThat(ready.statusCode()).isEqualTo(200);
        JsonNode health = RawHttp.json(ready);
        assertThat(health.get("status").asString()).isEqualTo("UP");
        assertThat(health.get("components").get("usageLedger").get("status").asString()).isEqualTo("UP");
    }

    @Test
    void theGatewaysRoutesAreLookedUpFirstAndTheActuatorStillAnswers(@Autowired DispatcherHandler dispatcher) {
        // the actuator's mapping, asked first, spent time on every proxied request explaining a miss
        assertThat(dispatcher.getHandlerMappings()).first().isInstanceOf(RouterFunctionMapping.class);
        assertThat(raw.send(raw.request("/actuator/prometheus").GET().build()).statusCode()).isEqualTo(200);
        assertThat(raw.send(raw.request("/actuator/info").GET().build()).statusCode()).isEqualTo(200);
        assertThat(raw.send(raw.request("/actuator/nothing-here").GET().build()).statusCode()).isEqualTo(404);
    }

    @Test
    void theProxiedEndpointsAreServedAheadOfWebFluxAndTheRestByIt() {
        wireMock().stubFor(post("/aimlapi/v1/chat/completions").willReturn(okJson(ProviderShapes.AIMLAPI_COMPLETION)));
        String chatId = "route-chat-" + UUID.randomUUID();
        HttpResponse<byte[]> served = raw.post(CHAT + "?trace=1", "{\"model\":\"m1-aimlapi\",\"messages\":[]}",
                "Authorization", "Bearer " + KEY, "x-request-id", chatId);
        assertThat(served.statusCode()).isEqualTo(200);
        assertThat(served.headers().firstValue("x-request-id")).contains(chatId);
        String rejectedId = "route-rejected-" + UUID.randomUUID();
        anthropicError(raw.post(MESSAGES, "{}", "x-request-id", rejectedId), 401, "authentication_error");
        assertThat(WebFluxRequests.saw(chatId)).as("a proxied answer").isFalse();
        assertThat(WebFluxRequests.saw(rejectedId)).as("a proxied error").isFalse();

        String modelsId = "route-models-" + UUID.randomUUID();
        assertThat(raw.send(raw.request("/v1/models").header("Authorization", "Bearer " + KEY).header("x-request-id", modelsId)
                .GET().build()).statusCode()).isEqualTo(200);
        assertThat(WebFluxRequests.saw(modelsId)).as("the model list").isTrue();
        // a path with more to it is not a proxied endpoint
        assertThat(raw.post(CHAT + "/", "{}", "Authorization", "Bearer " + KEY).statusCode()).isEqualTo(404);
    }

    @Test
    void anotherMethodOnAProxiedEndpointIs405InItsEnvelope() {
        for (String method : new String[] {"GET", "PUT", "DELETE"}) {
            HttpResponse<byte[]> chat = raw.send(raw.request(CHAT).header("Authorization", "Bearer " + KEY)
                    .method(method, HttpRequest.BodyPublishers.noBody()).build());
            assertThat(openAiError(chat, 405, "method_not_allowed").get("message").asString()).contains(method).contains("POST");
            assertThat(chat.headers().firstValue("allow")).contains("POST");
            HttpResponse<byte[]> messages = raw.send(raw.request(MESSAGES).header("x-api-key", KEY)
                    .method(method, HttpRequest.BodyPublishers.ofString("{}")).build());
            anthropicError(messages, 405, "invalid_request_error");
        }
    }

    @Test
    void aHugeModelNameIsNotEchoedWhole() {
        String name = "m".repeat(60_000);
        HttpResponse<byte[]> response = chat("{\"model\":\"" + name + "\",\"messages\":[]}");
        String message = openAiError(response, 404, "model_not_found").get("message").asString();
        assertThat(message).hasSizeLessThan(400).contains("m".repeat(200)).contains("more characters");
        assertThat(response.body().length).isLessThan(1000);
    }

    @Test
    void modelsListTakesTheAnthropicShapeForAnthropicClients() {
        HttpResponse<byte[]> response = raw.send(raw.request("/v1/models")
                .header("x-api-key", KEY).header("anthropic-version", "2023-06-01").GET().build());
        JsonNode body = RawHttp.json(response);
        assertThat(body.get("data").get(0).get("type").asString()).isEqualTo("model");
        assertThat(body.get("has_more").asBoolean()).isFalse();
        JsonNode data = body.get("data");
        assertThat(body.get("first_id").asString()).isEqualTo(data.get(0).get("id").asString());
        assertThat(body.get("last_id").asString()).isEqualTo(data.get(data.size() - 1).get("id").asString());
    }

    @Test
    void noKeyOfAClientOrUpstreamIsEverLoggedOrReturned(CapturedOutput output) {
        wireMock().stubFor(post("/aimlapi/v1/chat/completions").willReturn(okJson(ProviderShapes.AIMLAPI_COMPLETION)));
        wireMock().stubFor(post("/modelslab/api/v7/llm/chat/completions").willReturn(aResponse().withStatus(500).withBody("boom")));
        // with the access log on, so the served request's line is checked too
        Logger access = (Logger) LoggerFactory.getLogger("switchboard.access");
        Level before = access.getLevel();
        access.setLevel(Level.INFO);
        HttpResponse<byte[]> ok;
        try {
            ok = chat("{\"model\":\"m1-aimlapi\",\"messages\":[]}");
            chat("{\"model\":\"m1-modelslab\",\"messages\":[]}");
            chat("{\"model\":\"m1-unreachable\",\"messages\":[]}");
            raw.post(CHAT, "{\"model\":\"m1-aimlapi\"}", "Authorization", "Bearer sk-wrong-guess");
        } finally {
            access.setLevel(before);
        }

        assertThat(output.getAll()).contains("key=team-a").contains("upstream=aimlapi")
                .doesNotContain(KEY, "sk-wrong-guess", "aimlapi-upstream-secret", "modelslab-upstream-secret", "unreachable-secret");
        assertThat(ok.headers().map().toString()).doesNotContain("aimlapi-upstream-secret");
    }

    private static Flow.Publisher<ByteBuffer> chunks(String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return subscriber -> subscriber.onSubscribe(new Flow.Subscription() {
            int offset;
            boolean done;

            @Override
            public void request(long n) {
                for (long i = 0; i < n && !done; i++) {
                    if (offset >= bytes.length) {
                        done = true;
                        subscriber.onComplete();
                        return;
                    }
                    int len = Math.min(8 * 1024, bytes.length - offset);
                    subscriber.onNext(ByteBuffer.wrap(bytes, offset, len));
                    offset += len;
                }
            }

            @Override
            public void cancel() {
                done = true;
            }
        });
    }
}
