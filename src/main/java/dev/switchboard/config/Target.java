package dev.switchboard.config;

/** One way to serve an alias: an upstream, the upstream's own model id, and what it charges. */
public record Target(Upstream upstream, String model, Price price) {
    /** Names the target in health state, metrics and the admin view: {@code upstream/model}. */
    public String id() {
        return upstream.name() + "/" + model;
    }
}
