package dev.switchboard.config;

import java.net.URI;
import java.util.Map;

/**
 * One provider endpoint, validated. {@code enabled} is false when its key resolved to empty: routes then
 * skip it, so the gateway runs with whichever provider keys the user has.
 */
public record Upstream(
        String name,
        Protocol protocol,
        URI baseUrl,
        AuthStyle auth,
        String apiKey,
        String bodyKeyField,
        String modelField,
        Map<String, String> headers,
        Timeouts timeouts,
        StreamUsage streamUsage,
        HttpVersion httpVersion,
        boolean enabled) {

    /** The upstream's URL for an endpoint path such as {@code /chat/completions} or {@code /v1/messages}. */
    public URI resolve(String endpointPath) {
        return URI.create(baseUrl + endpointPath);
    }

    /** The key and header values, to be kept out of whatever the upstream says that is passed on. */
    public Secrets secrets() {
        return Secrets.of(apiKey, headers.values());
    }

    /** Never prints the key or header values: records end up in logs. */
    @Override
    public String toString() {
        return "Upstream[" + name + ", " + protocol + ", " + baseUrl + ", auth=" + auth
                + (httpVersion == HttpVersion.HTTP_2 ? ", http/2" : "") + (enabled ? "" : ", disabled") + "]";
    }
}
