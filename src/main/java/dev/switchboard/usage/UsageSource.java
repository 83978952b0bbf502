package dev.switchboard.usage;

import java.util.Locale;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;

/** Where a record's token counts come from; named in lower case. */
public enum UsageSource {
    /** The provider reported them. */
    UPSTREAM,
    /** The gateway counted them with its tokenizer, as the provider reported none. */
    ESTIMATED;

    /** Lower-cased once: records and metrics name it on every request. */
    private final String wireName = name().toLowerCase(Locale.ROOT);

    @JsonValue
    public String wireName() {
        return wireName;
    }

    @JsonCreator
    public static UsageSource of(String name) {
        return valueOf(name.toUpperCase(Locale.ROOT));
    }
}
