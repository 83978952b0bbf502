package dev.switchboard.api;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.matchingJsonPath;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.RequestOptions;
import com.openai.errors.BadRequestException;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;

import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.RawHttp;
import tools.jackson.databind.JsonNode;

/** {@code POST /v1/embeddings}: routed by alias to OpenAI-protocol targets, cheapest input first, failing over, billed by input. */
class EmbeddingsIT extends GatewayIT {
    private static final String EMBEDDING = """
            {"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,-0.2,0.3]},
                                     {"object":"embedding","index":1,"embedding":[0.4,0.5,-0.6]}],
             "model":"%s","usage":{"prompt_tokens":%d,"total_tokens":%d,"cost":0.0000021}}""";
    private OpenAIClient client;

    @BeforeEach
    void client() {
        client = OpenAIOkHttpClient.builder().baseUrl(gatewayUrl() + "/v1").apiKey(KEY).maxRetries(0).build();
    }

    @AfterEach
    void close() {
        client.close();
    }

    @Test
    void theSdksEmbeddingsGoToTheCheapestInputPriceAndAreBilledByInputTokens() {
        wireMock().stubFor(post("/cheap/v1/embeddings").willReturn(okJson(EMBEDDING.formatted("c-embed", 1000, 1000))));
        String requestId = "emb-" + UUID.randomUUID();
        CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("emb-failover").inputOfArrayOfStrings(List.of("first text", "second text")).build(),
                RequestOptions.builder().responseValidation(true).build());
        assertThat(response.data()).hasSize(2);
        assertThat(response.data().get(1).embedding()).containsExactly(0.4f, 0.5f, -0.6f);
        assertThat(response.usage().promptTokens()).isEqualTo(1000);
        wireMock().verify(postRequestedFor(urlEqualTo("/cheap/v1/embeddings"))
                .withRequestBody(matchingJsonPath("$.model", com.github.tomakehurst.wiremock.client.WireMock.equalTo("c-embed")))
                .withRequestBody(matchingJsonPath("$.input[1]", com.github.tomakehurst.wiremock.client.WireMock.equalTo("second text"))));

        // the same through the raw API, to find the record: 1000 input tokens at $0.02 a million
        HttpResponse<byte[]> raw = new RawHttp(gatewayUrl()).post("/v1/embeddings", "{\"model\":\"emb-failover\",\"input\":\"x\"}",
                "Authorization", "Bearer " + KEY, "x-request-id", requestId);
        assertThat(raw.statusCode()).isEqualTo(200);
        JsonNode record = usageRecord(requestId);
        assertThat(record.get("endpoint").asString()).isEqualTo("embeddings");
        assertThat(record.get("prompt_tokens").asLong()).isEqualTo(1000);
        assertThat(record.get("completion_tokens").asLong()).isZero();
        assertThat(new BigDecimal(record.get("cost_usd").asString())).isEqualByComparingTo("0.00002");
        assertThat(new BigDecimal(record.get("upstream_cost_usd").asString())).isEqualByComparingTo("0.0000021");
        assertThat(record.get("upstream").asString()).isEqualTo("cheap");
    }

    @Test
    void aFailingTargetIsLeftForTheNextOne() {
        wireMock().stubFor(post("/cheap/v1/embeddings").willReturn(aResponse().withStatus(503).withBody("down")));
        wireMock().stubFor(post("/dear/v1/embeddings").willReturn(okJson(EMBEDDING.formatted("d-embed", 7, 7))));
        CreateEmbeddingResponse response = client.embeddings().create(EmbeddingCreateParams.builder()
                .model("emb-failover").input("hello").build());
        assertThat(response.model()).isEqualTo("d-embed");
        assertThat(response.usage().promptTokens()).isEqualTo(7);
    }

    @Test
    void badInputIsA400InTheOpenAiEnvelopeAndAnAliasWithOnlyAnthropicTargetsA503() {
        RawHttp raw = new RawHttp(gatewayUrl());
        for (String input : new String[] {"42", "{\"text\":\"x\"}", "[]", "[\"a\", 1]", "\"\"", "null"}) {
            HttpResponse<byte[]> response = raw.post("/v1/embeddings", "{\"model\":\"emb-failover\",\"input\":" + input + "}",
                    "Authorization", "Bearer " + KEY);
            assertThat(response.statusCode()).as("input %s", input).isEqualTo(400);
            JsonNode error = RawHttp.json(response).get("error");
            assertThat(error.get("param").asString()).isEqualTo("input");
            assertThat(error.get("type").asString()).isEqualTo("invalid_request_error");
        }
        assertThat(raw.post("/v1/embeddings", "{\"model\":\"emb-failover\",\"input\":[[1,2],[3]]}", "Authorization", "Bearer " + KEY)
                .statusCode()).as("token ids reach the upstream, whose answer this is").isNotEqualTo(400);
        assertThatThrownBy(() -> client.embeddings().create(EmbeddingCreateParams.builder().model("emb-failover")
                .inputOfArrayOfStrings(List.of()).build())).isInstanceOf(BadRequestException.class);
        HttpResponse<byte[]> anthropicOnly = raw.post("/v1/embeddings", "{\"model\":\"tx-anthropic-only\",\"input\":\"x\"}",
                "Authorization", "Bearer " + KEY);
        assertThat(anthropicOnly.statusCode()).isEqualTo(503);
        assertThat(RawHttp.json(anthropicOnly).get("error").get("message").asString()).contains("tx-anthropic-only");
    }
}
