package dev.switchboard.tracing;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.RawHttp;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;

/**
 * Traces on, exported to the SDK's in-memory exporter in place of OTLP: a request that fails over is one
 * server span with two client spans under it, each with the GenAI attributes, the failover an event of the
 * request's span, the client's traceparent its parent, and the answering attempt's traceparent sent upstream.
 */
class TracingIT extends GatewayIT {
    private static final String TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
    private static final String CLIENT_SPAN = "00f067aa0ba902b7";
    private static final String ANSWER = "{\"id\":\"c\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"mid-model-v2\","
            + "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":7,\"total_tokens\":18}}";

    @TestConfiguration
    static class InMemorySpans {
        @Bean
        InMemorySpanExporter spans() {
            return InMemorySpanExporter.create();
        }
    }

    @DynamicPropertySource
    static void tracingOn(DynamicPropertyRegistry registry) {
        registry.add("switchboard.tracing.enabled", () -> "true");
    }

    @Autowired
    InMemorySpanExporter spans;

    @BeforeEach
    void clear() {
        spans.reset();
    }

    @Test
    void aFailoverIsTwoAttemptSpansUnderOneRequestSpanInTheClientsTrace() {
        wireMock().stubFor(post("/cheap/v1/chat/completions").willReturn(aResponse().withStatus(500)));
        wireMock().stubFor(post("/mid/v1/chat/completions").willReturn(okJson(ANSWER)));
        RawHttp raw = new RawHttp(gatewayUrl());
        HttpResponse<byte[]> r = raw.post("/v1/chat/completions", "{\"model\":\"failover\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}",
                "Authorization", "Bearer " + KEY, "traceparent", "00-" + TRACE_ID + "-" + CLIENT_SPAN + "-01");
        assertThat(r.statusCode()).isEqualTo(200);

        await().atMost(Duration.ofSeconds(10)).until(() -> spans.getFinishedSpanItems().size() >= 3);
        List<SpanData> all = spans.getFinishedSpanItems();
        SpanData request = all.stream().filter(s -> s.getKind() == SpanKind.SERVER).findFirst().orElseThrow();
        assertThat(request.getTraceId()).as("the client's trace").isEqualTo(TRACE_ID);
        assertThat(request.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(request.getName()).isEqualTo("chat failover");
        assertThat(request.getAttributes().get(GatewayTracing.OPERATION)).isEqualTo("chat");
        assertThat(request.getAttributes().get(GatewayTracing.REQUEST_MODEL)).isEqualTo("failover");
        assertThat(request.getAttributes().get(GatewayTracing.RESPONSE_MODEL)).as("the answering target's model").isEqualTo("m");
        assertThat(request.getAttributes().get(GatewayTracing.PROVIDER)).isEqualTo("mid");
        assertThat(request.getAttributes().get(GatewayTracing.INPUT_TOKENS)).isEqualTo(11L);
        assertThat(request.getAttributes().get(GatewayTracing.OUTPUT_TOKENS)).isEqualTo(7L);
        assertThat(request.getAttributes().get(GatewayTracing.ATTEMPTS)).isEqualTo(2L);
        assertThat(request.getEvents()).singleElement().satisfies(event -> {
            assertThat(event.getName()).isEqualTo("failover");
            assertThat(event.getAttributes().asMap().values()).contains("cheap/c");
        });

        List<SpanData> attempts = all.stream().filter(s -> s.getKind() == SpanKind.CLIENT)
                .sorted(Comparator.comparingLong(SpanData::getStartEpochNanos)).toList();
        assertThat(attempts).hasSize(2).allSatisfy(a -> {
            assertThat(a.getParentSpanId()).isEqualTo(request.getSpanId());
            assertThat(a.getTraceId()).isEqualTo(TRACE_ID);
            assertThat(a.getAttributes().get(GatewayTracing.OPERATION)).isEqualTo("chat");
            assertThat(a.getAttributes().get(GatewayTracing.SERVER_ADDRESS)).isEqualTo("127.0.0.1");
        });
        SpanData cheap = attempts.get(0), mid = attempts.get(1);
        assertThat(cheap.getAttributes().get(GatewayTracing.PROVIDER)).isEqualTo("cheap");
        assertThat(cheap.getAttributes().get(GatewayTracing.REQUEST_MODEL)).isEqualTo("c");
        assertThat(cheap.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(mid.getAttributes().get(GatewayTracing.PROVIDER)).isEqualTo("mid");
        assertThat(mid.getAttributes().get(GatewayTracing.OUTCOME)).isEqualTo("delivered");
        assertThat(mid.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);

        wireMock().verify(postRequestedFor(urlEqualTo("/mid/v1/chat/completions"))
                .withHeader("traceparent", equalTo("00-" + TRACE_ID + "-" + mid.getSpanId() + "-01")));
        wireMock().verify(postRequestedFor(urlEqualTo("/cheap/v1/chat/completions"))
                .withHeader("traceparent", equalTo("00-" + TRACE_ID + "-" + cheap.getSpanId() + "-01")));
    }

    @Test
    void aRequestRefusedBeforeItsKeyIsKnownStillEndsItsSpan() {
        RawHttp raw = new RawHttp(gatewayUrl());
        assertThat(raw.post("/v1/chat/completions", "{\"model\":\"failover\",\"messages\":[]}", "Authorization", "Bearer nope").statusCode())
                .isEqualTo(401);
        await().atMost(Duration.ofSeconds(10)).until(() -> !spans.getFinishedSpanItems().isEmpty());
        assertThat(spans.getFinishedSpanItems().getFirst().getAttributes().get(GatewayTracing.STATUS)).isEqualTo(401L);
    }
}
