package dev.switchboard.tracing;

import java.time.Duration;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;

/**
 * Traces are off unless {@code switchboard.tracing.enabled=true}; then every request is traced (or the share
 * {@code switchboard.tracing.sampling} says, the client's sampled flag deciding when it sent a
 * {@code traceparent}) and sent in batches over OTLP/HTTP to {@code switchboard.tracing.otlp-endpoint}. A
 * {@link SpanExporter} bean, a test's, takes the OTLP exporter's place.
 */
@Configuration(proxyBeanMethods = false)
public class TracingConfiguration {
    @Bean
    SdkTracerProvider tracerProvider(@Value("${switchboard.tracing.enabled:false}") boolean enabled,
                                     @Value("${switchboard.tracing.otlp-endpoint:http://localhost:4318/v1/traces}") String endpoint,
                                     @Value("${switchboard.tracing.sampling:1.0}") double sampling,
                                     ObjectProvider<SpanExporter> exporters) {
        if (!enabled) return null;
        SpanExporter exporter = exporters.getIfAvailable(() -> OtlpHttpSpanExporter.builder().setEndpoint(endpoint)
                .setTimeout(Duration.ofSeconds(10)).build());
        return SdkTracerProvider.builder()
                .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
                        io.opentelemetry.api.common.AttributeKey.stringKey("service.name"), "switchboard"))))
                .setSampler(Sampler.parentBased(Sampler.traceIdRatioBased(sampling)))
                // a bounded queue, dropped from when the collector is slow or away: never the request's wait
                .addSpanProcessor(BatchSpanProcessor.builder(exporter).setMaxQueueSize(8_192).setScheduleDelay(Duration.ofSeconds(1)).build())
                .build();
    }

    @Bean
    GatewayTracing gatewayTracing(ObjectProvider<SdkTracerProvider> provider) {
        SdkTracerProvider tracers = provider.getIfAvailable();
        if (tracers == null) return GatewayTracing.OFF;
        // the context storage loads its provider (a service lookup, class loading) on first use: here, at
        // start-up, not on the first request's event loop
        io.opentelemetry.context.Context.root();
        return new GatewayTracing(tracers.get("dev.switchboard"));
    }
}
