package dev.switchboard.config;

import java.nio.file.Path;
import java.time.Duration;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Process-level settings (Spring properties, so also env vars such as {@code SWITCHBOARD_CONFIG}).
 * Routes live in the YAML file at {@code config}, not here.
 *
 * @param config the routes file
 * @param maxBodySize larger request bodies are refused with 413
 * @param reloadInterval how often the routes file is checked for changes; 0 turns watching off
 * @param reloadSettle how long a changed routes file must stay unchanged before it is read: a file being
 *                     written is read once it is complete
 * @param shutdownDrain at SIGTERM, how long an idle kept-alive connection may still send a request (answered
 *                      with {@code Connection: close}) before it is closed
 * @param limits what one client, or all of them together, can make the gateway hold
 * @param streamKeepalive how long a stream to a client may be silent before the gateway sends it an SSE
 *                        comment ({@code : keepalive}), so that proxies and load balancers do not close it as
 *                        idle; 0 turns it off
 */
@ConfigurationProperties("switchboard")
public record GatewayProperties(
        @DefaultValue("config/switchboard.yaml") Path config,
        @DefaultValue("10MB") DataSize maxBodySize,
        @DefaultValue("2s") Duration reloadInterval,
        @DefaultValue("1s") Duration reloadSettle,
        @DefaultValue("1s") Duration shutdownDrain,
        @DefaultValue Limits limits,
        @DefaultValue("15s") Duration streamKeepalive) {

    /**
     * @param bodiesInFlight    the heap all request bodies in flight may hold together; past it a request is
     *                          refused with 503 at once. Unset: a quarter of the JVM's maximum heap
     * @param headerReadTimeout the longest a request's head (request line and headers) may take to arrive,
     *                          from its first byte; then the connection is closed
     * @param bodyReadTimeout   the longest a request's body may take to arrive; then 408 and the connection closes
     * @param idleTimeout       how long a connection may wait for its next request (keep-alive); then it is closed
     * @param maxConnections    client connections open at once; more are closed as they arrive. Sized to the
     *                          container's heap, which holds this many open streams (about 20 KB of heap each)
     */
    public record Limits(
            DataSize bodiesInFlight,
            @DefaultValue("10s") Duration headerReadTimeout,
            @DefaultValue("60s") Duration bodyReadTimeout,
            @DefaultValue("60s") Duration idleTimeout,
            @DefaultValue("10000") int maxConnections) {

        /** The body budget in bytes: as set, or a quarter of the maximum heap. */
        public long bodiesInFlightBytes() {
            return bodiesInFlight != null ? bodiesInFlight.toBytes() : Runtime.getRuntime().maxMemory() / 4;
        }
    }
}
