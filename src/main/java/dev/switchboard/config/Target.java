package dev.switchboard.config;

/** One way to serve an alias: an upstream, the upstream's own model id, and what it charges. */
public record Target(Upstream upstream, String model, Price price) {}
