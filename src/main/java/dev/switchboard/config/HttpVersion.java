package dev.switchboard.config;

/** The HTTP version the gateway speaks to an upstream ({@code http-version} in the routes file). */
public enum HttpVersion {
    /** One connection per exchange in flight: a held stream holds a connection, and a descriptor, of its own. */
    HTTP_1_1("1.1"),
    /**
     * Exchanges multiplexed as streams over a few connections: over TLS asked for through ALPN, with no
     * HTTP/1.1 offered beside it; over plain {@code http} with prior knowledge (h2c).
     */
    HTTP_2("2");

    private final String written;

    HttpVersion(String written) {
        this.written = written;
    }

    /** As the routes file writes it. */
    public String written() {
        return written;
    }
}
