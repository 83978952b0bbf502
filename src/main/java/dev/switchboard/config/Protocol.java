package dev.switchboard.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The wire protocol an endpoint or an upstream speaks, and where an upstream of it takes a model's requests,
 * under the base URL that protocol's official SDK would be given.
 */
public enum Protocol {
    /** OpenAI Chat Completions. */
    @JsonProperty("openai") OPENAI("OpenAI Chat Completions", "/chat/completions"),
    /** Anthropic Messages. */
    @JsonProperty("anthropic") ANTHROPIC("Anthropic Messages", "/v1/messages"),
    /** OpenAI's Responses API. */
    @JsonProperty("openai-responses") OPENAI_RESPONSES("OpenAI Responses", "/responses");

    private final String displayName;
    private final String generationPath;

    Protocol(String displayName, String generationPath) {
        this.displayName = displayName;
        this.generationPath = generationPath;
    }

    public String displayName() {
        return displayName;
    }

    /** The path, under an upstream's base URL, of this protocol's endpoint that generates an answer. */
    public String generationPath() {
        return generationPath;
    }
}
