package dev.switchboard.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** The wire protocol an endpoint or an upstream speaks. */
public enum Protocol {
    @JsonProperty("openai") OPENAI,
    @JsonProperty("anthropic") ANTHROPIC;

    public String displayName() {
        return this == OPENAI ? "OpenAI" : "Anthropic";
    }
}
