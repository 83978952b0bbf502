package dev.switchboard.upstream;

import java.io.IOException;
import java.net.ConnectException;
import java.util.List;
import java.util.concurrent.TimeoutException;

import org.springframework.http.HttpHeaders;
import org.springframework.http.client.reactive.ClientHttpResponse;
import org.springframework.stereotype.Component;

import dev.switchboard.config.Protocol;
import dev.switchboard.config.StreamUsage;
import dev.switchboard.config.Target;
import dev.switchboard.config.Upstream;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.protocol.RequestScan;
import dev.switchboard.translate.Translator;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelException;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import reactor.core.publisher.Mono;

/**
 * Sends one client request to one target: the body rewritten for it, the upstream's credential in the
 * upstream's style, a few client headers that matter to the provider, and never the client's credential.
 */
@Component
public class UpstreamExchange {
    /** Client headers a provider may need; everything else the client sent stays at the gateway. */
    private static final List<String> FORWARDED = List.of(
            HttpHeaders.ACCEPT, "anthropic-version", "anthropic-beta", "traceparent", "tracestate");
    private static final String DEFAULT_ANTHROPIC_VERSION = "2023-06-01";

    private final UpstreamClients clients;

    public UpstreamExchange(UpstreamClients clients) {
        this.clients = clients;
    }

    /**
     * The upstream's response once its status and headers arrived. Failures before that are
     * {@link GatewayException}s: 502 when the upstream could not be reached, 504 when it did not answer in time.
     *
     * @param streamUsageWanted the request is an OpenAI stream whose client did not ask for usage: the
     *                          gateway adds {@code include_usage} where the upstream allows it
     */
    /**
     * @param query the client's query string, raw, or null: passed on when the client and the upstream both
     *              speak Anthropic's protocol (Claude Code's {@code ?beta=true}); other protocols define no
     *              query on these endpoints, and a provider may refuse one it does not know
     * @param traceparent the W3C header of this attempt's span, or null when the gateway does not trace
     */
    public Mono<ClientHttpResponse> open(Target target, Translator translator, String path, String query, RequestScan scan,
                                         HttpHeaders client, String requestId, boolean streamUsageWanted, String traceparent) {
        Upstream upstream = target.upstream();
        return Mono.defer(() -> {
                    // a translated request is written anew, then gets the same per-upstream edits as passthrough
                    boolean injectUsage = translator.passthrough() && injectsStreamUsage(target, streamUsageWanted);
                    ByteBuf body = RequestBodyRewriter.rewrite(translator.request(scan, target), target, injectUsage);
                    UpstreamClient http = clients.of(upstream);
                    // the length, not the body, in the headers' function: the request's config keeps that while
                    // the exchange lasts, a stream's whole life
                    int length = body.readableBytes();
                    return http.post(http.uri(path, translator.passthrough() && upstream.protocol() == Protocol.ANTHROPIC ? query : null),
                            h -> headers(h, upstream, client, requestId, traceparent, length), body);
                })
                .onErrorMap(e -> !(e instanceof GatewayException), e -> failure(upstream, e));
    }

    /** Whether the request sent to this target carries the gateway's own {@code include_usage}. */
    public static boolean injectsStreamUsage(Target target, boolean streamUsageWanted) {
        return streamUsageWanted && target.upstream().protocol() == Protocol.OPENAI
                && target.upstream().streamUsage() == StreamUsage.INJECT;
    }

    /** Written into the Netty request's own headers (no copy through a second map). */
    private static void headers(io.netty.handler.codec.http.HttpHeaders out, Upstream upstream, HttpHeaders client,
                                String requestId, String traceparent, int contentLength) {
        for (String name : FORWARDED) {
            // anthropic-version and anthropic-beta mean something only to an upstream that speaks Anthropic
            if (name.startsWith("anthropic-") && upstream.protocol() != Protocol.ANTHROPIC) continue;
            List<String> values = client.get(name);
            if (values != null) out.set(name, values);
        }
        out.set("x-request-id", requestId);
        // the attempt's own span when the gateway traces; else the client's traceparent went on unchanged above
        if (traceparent != null) out.set("traceparent", traceparent);
        out.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        out.setInt(HttpHeaderNames.CONTENT_LENGTH, contentLength);
        switch (upstream.auth()) {
            case BEARER -> out.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + upstream.apiKey());
            case X_API_KEY -> out.set("x-api-key", upstream.apiKey());
            case BODY, NONE -> { }
        }
        if (upstream.protocol() == Protocol.ANTHROPIC && !out.contains("anthropic-version")) {
            out.set("anthropic-version", DEFAULT_ANTHROPIC_VERSION);
        }
        upstream.headers().forEach(out::set);
    }

    private static GatewayException failure(Upstream upstream, Throwable e) {
        String who = "Upstream '" + upstream.name() + "'";
        if (e instanceof UpstreamTimeoutException || e instanceof TimeoutException) {
            return new GatewayException(ErrorKind.UPSTREAM_TIMEOUT, who + " timed out: " + e.getMessage(), null, e);
        }
        if (e instanceof ConnectException || e instanceof ChannelException || e instanceof IOException) {
            return new GatewayException(ErrorKind.UPSTREAM_UNREACHABLE, who + " could not be reached: " + e.getMessage(), null, e);
        }
        return new GatewayException(ErrorKind.UPSTREAM_UNREACHABLE, who + " failed: " + e, null, e);
    }

    /**
     * Closes the connection of an upstream response the gateway will not read to its end, because its client
     * left; a response read whole is left alone.
     */
    public static void abandon(ClientHttpResponse response) {
        if (response instanceof UpstreamResponse upstream) upstream.abandon();
    }
}
