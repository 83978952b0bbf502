package dev.switchboard.tracing;

import java.util.concurrent.TimeUnit;

import dev.switchboard.config.Target;
import dev.switchboard.usage.UsageRecord;
import io.netty.handler.codec.http.HttpHeaders;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.TextMapGetter;

/**
 * The gateway's OpenTelemetry traces, in the GenAI semantic conventions: one server span per proxied request
 * and one client span per upstream attempt under it, a failover as an event of the request's span. The
 * client's W3C {@code traceparent} is the request span's parent, and each attempt's span is the upstream's.
 * <p>
 * Off ({@link #OFF}), every call is a no-op on shared constants: the proxied path pays a few virtual calls.
 * Spans are carried in the request's own context, never in thread-locals, as a request hops threads.
 */
public class GatewayTracing {
    public static final GatewayTracing OFF = new GatewayTracing(null);
    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("gen_ai.operation.name");
    static final AttributeKey<String> REQUEST_MODEL = AttributeKey.stringKey("gen_ai.request.model");
    static final AttributeKey<String> RESPONSE_MODEL = AttributeKey.stringKey("gen_ai.response.model");
    static final AttributeKey<String> PROVIDER = AttributeKey.stringKey("gen_ai.provider.name");
    static final AttributeKey<Long> INPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.input_tokens");
    static final AttributeKey<Long> OUTPUT_TOKENS = AttributeKey.longKey("gen_ai.usage.output_tokens");
    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    static final AttributeKey<Long> STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("switchboard.outcome");
    static final AttributeKey<String> KEY = AttributeKey.stringKey("switchboard.key");
    static final AttributeKey<Long> ATTEMPTS = AttributeKey.longKey("switchboard.attempts");

    private static final TextMapGetter<HttpHeaders> HEADERS = new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(HttpHeaders carrier) {
            return carrier.names();
        }

        @Override
        public String get(HttpHeaders carrier, String key) {
            return carrier == null ? null : carrier.get(key);
        }
    };

    private final Tracer tracer;

    GatewayTracing(Tracer tracer) {
        this.tracer = tracer;
    }

    public boolean on() {
        return tracer != null;
    }

    /** The request's span, a child of the client's {@code traceparent} when it sent one. */
    public RequestSpan request(HttpHeaders clientHeaders, String operation, String requestId) {
        if (tracer == null) return RequestSpan.NONE;
        Context parent = W3CTraceContextPropagator.getInstance().extract(Context.root(), clientHeaders, HEADERS);
        Span span = tracer.spanBuilder(operation).setParent(parent).setSpanKind(SpanKind.SERVER)
                .setAttribute(OPERATION, operation).setAttribute("switchboard.request_id", requestId).startSpan();
        return new RequestSpan(tracer, span, operation);
    }

    /** A proxied request's span: its attempts, its failovers, and its end with what it used. */
    public static class RequestSpan {
        public static final RequestSpan NONE = new RequestSpan(null, null, null);
        private final Tracer tracer;
        private final Span span;
        private final String operation;

        RequestSpan(Tracer tracer, Span span, String operation) {
            this.tracer = tracer;
            this.span = span;
            this.operation = operation;
        }

        /** One attempt at a target, as a client span under the request's. */
        public AttemptSpan attempt(Target target, String alias) {
            if (span == null) return AttemptSpan.NONE;
            Span attempt = tracer.spanBuilder(operation + " " + target.model()).setParent(Context.root().with(span))
                    .setSpanKind(SpanKind.CLIENT)
                    .setAttribute(OPERATION, operation).setAttribute(REQUEST_MODEL, target.model())
                    .setAttribute(PROVIDER, target.upstream().name())
                    .setAttribute(SERVER_ADDRESS, target.upstream().baseUrl().getHost())
                    .setAttribute(SERVER_PORT, (long) port(target))
                    .setAttribute("switchboard.alias", alias).startSpan();
            return new AttemptSpan(attempt);
        }

        /** The gateway moved on from a target that failed. */
        public void failover(String fromTarget, String reason) {
            if (span == null) return;
            span.addEvent("failover", Attributes.of(AttributeKey.stringKey("switchboard.target"), fromTarget,
                    AttributeKey.stringKey("switchboard.reason"), reason == null ? "" : reason));
        }

        /**
         * Ends the span at {@code endEpochNanos} with the request's record: the alias asked for, the model of
         * the target that answered (what the gateway asked that upstream for), the tokens used.
         */
        public void end(UsageRecord record, long endEpochNanos) {
            if (span == null) return;
            span.updateName(operation + " " + record.alias());
            span.setAttribute(REQUEST_MODEL, record.alias());
            if (record.upstreamModel() != null) span.setAttribute(RESPONSE_MODEL, record.upstreamModel());
            if (!"-".equals(record.upstream())) span.setAttribute(PROVIDER, record.upstream());
            span.setAttribute(INPUT_TOKENS, record.promptTokens());
            span.setAttribute(OUTPUT_TOKENS, record.completionTokens());
            span.setAttribute(STATUS, (long) record.status());
            span.setAttribute(OUTCOME, record.outcome().wireName());
            span.setAttribute(KEY, record.key());
            span.setAttribute(ATTEMPTS, (long) record.attempts());
            if (record.status() >= 500 || record.outcome() == dev.switchboard.usage.Outcome.STREAM_BROKEN) span.setStatus(StatusCode.ERROR);
            span.end(endEpochNanos, TimeUnit.NANOSECONDS);
        }

        /** Ends the span of a request that leaves no record (refused before its client was known). */
        public void end(int status) {
            if (span == null) return;
            span.setAttribute(STATUS, (long) status);
            if (status >= 500) span.setStatus(StatusCode.ERROR);
            span.end();
        }
    }

    /** One attempt: its {@code traceparent} for the upstream, and its end with the attempt's outcome. */
    public static class AttemptSpan {
        public static final AttemptSpan NONE = new AttemptSpan(null);
        private final Span span;

        AttemptSpan(Span span) {
            this.span = span;
        }

        /** The W3C header to send the upstream, or null when traces are off. */
        public String traceparent() {
            if (span == null) return null;
            var context = span.getSpanContext();
            return "00-" + context.getTraceId() + "-" + context.getSpanId() + "-" + context.getTraceFlags().asHex();
        }

        public void end(String outcome, boolean failed) {
            if (span == null) return;
            span.setAttribute(OUTCOME, outcome);
            if (failed) span.setStatus(StatusCode.ERROR, outcome);
            span.end();
        }
    }

    private static int port(Target target) {
        java.net.URI uri = target.upstream().baseUrl();
        return uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
    }

}
