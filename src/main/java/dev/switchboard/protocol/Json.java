package dev.switchboard.protocol;

import tools.jackson.databind.json.JsonMapper;

/** The one JSON mapper for bodies the gateway writes itself (errors, model lists); never used on passthrough bytes. */
public final class Json {
    public static final JsonMapper MAPPER = JsonMapper.builder().build();

    private Json() {}
}
