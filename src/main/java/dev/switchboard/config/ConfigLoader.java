package dev.switchboard.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.function.Function;
import java.util.stream.Collectors;

import org.springframework.boot.convert.DurationStyle;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.DeserializationContext;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.module.SimpleModule;

/**
 * Reads the routes file into a {@link RouteTable}: YAML with placeholders and line numbers
 * ({@link YamlDocument}), bound to {@link SwitchboardFile}, validated by {@link RouteTableBuilder}. Every
 * problem is reported at once, each naming the file, the line and the field; a file with any problem yields
 * no table at all.
 */
public final class ConfigLoader {

    private static final JsonMapper BINDER = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .addModule(new SimpleModule().addDeserializer(Duration.class, new DurationDeserializer()))
            .build();

    private final Function<String, String> variables;

    /** @param variables resolves {@code ${NAME}} placeholders (environment, system properties); null if unset */
    public ConfigLoader(Function<String, String> variables) {
        this.variables = variables;
    }

    public RouteTable load(Path file) {
        return load(file, null);
    }

    /**
     * @param running the table in force, when this is a reload: a file that drops every client key or the
     *                admin key without writing {@code keys: []} or {@code admin-key: ""} is refused, as a
     *                file caught half written would otherwise lock every client out
     */
    public RouteTable load(Path file, RouteTable running) {
        String source = file.toString();
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(source, List.of(source + ": cannot read the file: " + e.getMessage()));
        }
        return parse(source, text, running);
    }

    public RouteTable parse(String source, String text) {
        return parse(source, text, null);
    }

    RouteTable parse(String source, String text, RouteTable running) {
        YamlDocument doc = YamlDocument.read(source, text, variables);
        if (!doc.problems().isEmpty()) throw new ConfigException(source, doc.problems());
        SwitchboardFile file;
        try {
            file = BINDER.treeToValue(doc.root(), SwitchboardFile.class);
        } catch (DatabindException e) {
            throw new ConfigException(source, List.of(describe(doc, e)));
        }
        return new RouteTableBuilder(source, doc).build(file, running);
    }

    private static String describe(YamlDocument doc, DatabindException e) {
        StringBuilder path = new StringBuilder();
        for (JacksonException.Reference ref : e.getPath()) {
            if (ref.getPropertyName() != null) {
                if (!path.isEmpty()) path.append('.');
                path.append(ref.getPropertyName());
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        if (e instanceof UnrecognizedPropertyException u) {
            String known = u.getKnownPropertyIds() == null ? "" : u.getKnownPropertyIds().stream()
                    .map(String::valueOf).sorted().collect(Collectors.joining(", "));
            return doc.problem(path.toString(), "unknown field" + (known.isEmpty() ? "" : " (known here: " + known + ")"));
        }
        String message = e.getOriginalMessage() == null ? "invalid value" : e.getOriginalMessage();
        int nl = message.indexOf('\n');
        return doc.problem(path.toString(), nl < 0 ? message : message.substring(0, nl));
    }

    /** "2s", "500ms", "10m" (Spring Boot's simple style) or ISO-8601 ("PT2S"). */
    private static final class DurationDeserializer extends ValueDeserializer<Duration> {
        @Override
        public Duration deserialize(JsonParser p, DeserializationContext ctxt) {
            if (p.currentToken() != JsonToken.VALUE_STRING) {
                return (Duration) ctxt.handleUnexpectedToken(Duration.class, p);
            }
            String text = p.getString().strip();
            try {
                return DurationStyle.detectAndParse(text);
            } catch (IllegalArgumentException e) {
                return (Duration) ctxt.handleWeirdStringValue(Duration.class, text, "not a duration such as 2s, 500ms or 10m");
            }
        }
    }
}
