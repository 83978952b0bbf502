package dev.switchboard.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Whether the gateway adds {@code stream_options.include_usage} to OpenAI streams it sends this upstream. */
public enum StreamUsage {
    /** add it when the client did not, and withhold the usage-only chunk from that client */
    @JsonProperty("inject") INJECT,
    /** never (for backends that reject {@code stream_options}); usage is then estimated */
    @JsonProperty("off") OFF
}
