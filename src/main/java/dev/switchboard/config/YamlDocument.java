package dev.switchboard.config;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;
import tools.jackson.dataformat.yaml.YAMLFactory;

/**
 * A YAML file read into a tree with {@code ${NAME}} / {@code ${NAME:default}} placeholders resolved in
 * scalar values (so a placeholder in a comment is never touched), remembering the line of every field
 * so that later validation can say where a problem is.
 */
final class YamlDocument {
    private static final YAMLFactory YAML = new YAMLFactory();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_.\\-]*)(?::([^}]*))?}");

    private final Map<String, Integer> lines = new HashMap<>();
    /** Scalars that held a placeholder, by path: what the file says and what it resolved to. */
    private final Map<String, Resolved> placeholders = new HashMap<>();

    private record Resolved(String written, String value) {}

    /**
     * Resolved values at least this long are kept out of every problem's message, wherever they appear; a
     * shorter one only out of its own field's (a value of "1" must not turn every 1 of a message into a
     * placeholder).
     */
    private static final int MIN_REDACTED_ELSEWHERE = 8;
    private final List<String> problems = new ArrayList<>();
    private final String source;
    private final Function<String, String> variables;
    private JsonNode root;

    private YamlDocument(String source, Function<String, String> variables) {
        this.source = source;
        this.variables = variables;
    }

    /**
     * Reads {@code text}; syntax errors and unset placeholders end up in {@link #problems()}.
     *
     * @param variables resolves a placeholder's name, null when it is unset
     */
    static YamlDocument read(String source, String text, Function<String, String> variables) {
        YamlDocument doc = new YamlDocument(source, variables);
        try (JsonParser p = YAML.createParser(ObjectReadContext.empty(), text)) {
            JsonToken first = p.nextToken();
            doc.root = first == null ? NODES.objectNode() : doc.readValue(p, first, "");
        } catch (JacksonException e) {
            int line = e.getLocation() == null ? 0 : e.getLocation().getLineNr();
            doc.problems.add(source + ":" + line + ": " + firstLine(e.getOriginalMessage()));
        }
        return doc;
    }

    JsonNode root() {
        return root;
    }

    List<String> problems() {
        return problems;
    }

    /** The line of {@code path} (dotted form), or of its nearest ancestor that has one; 0 if none. */
    int lineOf(String path) {
        String p = path;
        while (true) {
            Integer line = lines.get(p);
            if (line != null) return line;
            int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
            if (cut <= 0) return lines.getOrDefault(p, 0);
            p = p.substring(0, cut);
        }
    }

    /**
     * {@code file:line: field: message}, the one format of every configuration problem. A value that came
     * from a placeholder is shown as the placeholder, never resolved: problems are logged and shown by the
     * admin API, and a placeholder's value is usually a secret.
     */
    String problem(String path, String message) {
        return source + ":" + lineOf(path) + ": " + (path.isEmpty() ? "" : path + ": ") + withoutResolvedValues(path, message);
    }

    private String withoutResolvedValues(String path, String message) {
        String out = message;
        List<Map.Entry<String, Resolved>> byLength = new ArrayList<>(placeholders.entrySet());
        byLength.sort((a, b) -> b.getValue().value().length() - a.getValue().value().length());
        for (Map.Entry<String, Resolved> e : byLength) {
            String value = e.getValue().value();
            if (value.isEmpty()) continue;
            boolean own = e.getKey().equals(path) || e.getKey().startsWith(path + ".") || e.getKey().startsWith(path + "[");
            if (own || value.length() >= MIN_REDACTED_ELSEWHERE) out = out.replace(value, e.getValue().written());
        }
        return out;
    }

    private JsonNode readValue(JsonParser p, JsonToken token, String path) {
        int line = p.currentTokenLocation().getLineNr();
        lines.putIfAbsent(path, line);
        return switch (token) {
            case START_OBJECT -> {
                ObjectNode object = NODES.objectNode();
                while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                    String name = p.currentName();
                    String child = path.isEmpty() ? name : path + "." + name;
                    lines.put(child, p.currentTokenLocation().getLineNr());
                    JsonNode value = readValue(p, p.nextToken(), child);
                    if (object.has(name)) problems.add(problem(child, "appears twice"));
                    object.set(name, value);
                }
                yield object;
            }
            case START_ARRAY -> {
                ArrayNode array = NODES.arrayNode();
                JsonToken t;
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    array.add(readValue(p, t, path + "[" + array.size() + "]"));
                }
                yield array;
            }
            case VALUE_STRING -> NODES.stringNode(substitute(p.getString(), path));
            case VALUE_NUMBER_INT -> NODES.numberNode(p.getBigIntegerValue());
            case VALUE_NUMBER_FLOAT -> NODES.numberNode(p.getDecimalValue());
            case VALUE_TRUE -> NODES.booleanNode(true);
            case VALUE_FALSE -> NODES.booleanNode(false);
            default -> NODES.nullNode();
        };
    }

    private String substitute(String value, String path) {
        if (value.indexOf("${") < 0) return value;
        Matcher m = PLACEHOLDER.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String resolved = variables.apply(m.group(1));
            if (resolved == null) resolved = m.group(2);
            if (resolved == null) {
                problems.add(problem(path, "environment variable " + m.group(1)
                        + " is not set and has no default (write ${" + m.group(1) + ":default})"));
                resolved = "";
            }
            m.appendReplacement(out, Matcher.quoteReplacement(resolved));
        }
        m.appendTail(out);
        placeholders.put(path, new Resolved(value, out.toString()));
        return out.toString();
    }

    private static String firstLine(String message) {
        if (message == null) return "unreadable YAML";
        int nl = message.indexOf('\n');
        return nl < 0 ? message : message.substring(0, nl);
    }
}
