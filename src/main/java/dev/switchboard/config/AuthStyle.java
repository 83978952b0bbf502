package dev.switchboard.config;

import com.fasterxml.jackson.annotation.JsonProperty;

/** How an upstream wants its API key presented. */
public enum AuthStyle {
    /** {@code Authorization: Bearer <key>} */
    @JsonProperty("bearer") BEARER,
    /** {@code x-api-key: <key>} (Anthropic style) */
    @JsonProperty("x-api-key") X_API_KEY,
    /** a field of the JSON request body (ModelsLab's quick-start style) */
    @JsonProperty("body") BODY,
    /** no credential at all (a local model server) */
    @JsonProperty("none") NONE
}
