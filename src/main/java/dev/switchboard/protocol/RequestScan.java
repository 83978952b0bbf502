package dev.switchboard.protocol;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.TokenStreamLocation;

/**
 * One pass of a streaming JSON parser over a request body (no tree is built): it checks that the body is
 * one well-formed JSON object and records where each top-level field sits, so the alias and stream flag
 * can be read and the body rewritten by splicing bytes rather than re-serialising it.
 */
public final class RequestScan {
    /**
     * Top-level fields one body may have. A request of either protocol has a few dozen; a body with more is
     * refused, so what a hostile body can make the gateway keep per request stays small.
     */
    public static final int MAX_FIELDS = 1_000;

    /** A top-level field: byte offsets of its quoted name and of its value, ends exclusive. */
    public record Field(String name, JsonToken valueToken, int nameStart, int nameEnd, int valueStart, int valueEnd) {}

    private final byte[] body;
    private final int objectStart;
    private final List<Field> fields;
    /** The same fields by name: one lookup per name, whatever the body holds. */
    private final Map<String, Field> byName;
    private final String model;

    private RequestScan(byte[] body, int objectStart, List<Field> fields, Map<String, Field> byName, String model) {
        this.body = body;
        this.objectStart = objectStart;
        this.fields = fields;
        this.byName = byName;
        this.model = model;
    }

    /**
     * @throws GatewayException (400) when the body is not exactly one JSON object with unique top-level names,
     *                          at most {@link #MAX_FIELDS} of them
     */
    public static RequestScan of(byte[] body) {
        List<Field> fields = new ArrayList<>(16);
        Map<String, Field> byName = new HashMap<>(32);
        String model = null;
        try (JsonParser p = Json.FACTORY.createParser(ObjectReadContext.empty(), body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) throw invalid("the request body must be a JSON object");
            int objectStart = offset(p.currentTokenLocation());
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                int nameStart = offset(p.currentTokenLocation());
                JsonToken value = p.nextToken();
                int valueStart = offset(p.currentTokenLocation());
                if (value.isStructStart()) p.skipChildren();
                else if (value == JsonToken.VALUE_STRING && name.equals("model")) model = p.getString();
                else p.finishToken();
                int valueEnd = offset(p.currentLocation());
                Field field = new Field(name, value, nameStart, nameEnd(body, nameStart), valueStart, valueEnd);
                if (byName.putIfAbsent(name, field) != null) {
                    throw new GatewayException(ErrorKind.INVALID_REQUEST,
                            "The request body has the field \"" + EchoedText.of(name) + "\" twice", EchoedText.of(name), null);
                }
                if (fields.size() == MAX_FIELDS) {
                    throw invalid("the request body has more than " + MAX_FIELDS + " top-level fields");
                }
                fields.add(field);
            }
            if (p.nextToken() != null) throw invalid("the request body has content after its JSON object");
            return new RequestScan(body, objectStart, fields, byName, model);
        } catch (JacksonException e) {
            TokenStreamLocation at = e.getLocation();
            String where = at == null ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")";
            throw new GatewayException(ErrorKind.INVALID_REQUEST,
                    "The request body is not valid JSON: " + withoutSource(e.getOriginalMessage()) + where, null, e);
        }
    }

    public byte[] body() {
        return body;
    }

    /** Offset of the object's opening brace. */
    public int objectStart() {
        return objectStart;
    }

    public List<Field> fields() {
        return fields;
    }

    public Field field(String name) {
        return byName.get(name);
    }

    /** The {@code model} field's string value, or null when it is absent or not a string. */
    public String model() {
        return model;
    }

    /** The value of a top-level integer field, or null if absent, not an integer or out of range. */
    public Long longValue(String name) {
        Field f = field(name);
        if (f == null || f.valueToken() != JsonToken.VALUE_NUMBER_INT) return null;
        try {
            return Long.parseLong(new String(body, f.valueStart(), f.valueEnd() - f.valueStart(), java.nio.charset.StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A top-level field's value as a tree (for small nested values only), or null if absent. */
    public tools.jackson.databind.JsonNode valueTree(String name) {
        Field f = field(name);
        if (f == null) return null;
        try (JsonParser p = Json.FACTORY.createParser(ObjectReadContext.empty(), body, f.valueStart(), f.valueEnd() - f.valueStart())) {
            return Json.MAPPER.readTree(p);
        }
    }

    /** The client asked for usage in its stream: {@code "stream_options": {"include_usage": true}}. */
    public boolean asksForStreamUsage() {
        tools.jackson.databind.JsonNode options = valueTree("stream_options");
        return options != null && options.path("include_usage").asBoolean(false);
    }

    /** True only for {@code "stream": true}. */
    public boolean stream() {
        Field f = field("stream");
        return f != null && f.valueToken() == JsonToken.VALUE_TRUE;
    }

    /** Jackson's messages point at a "[Source: ...]" that means nothing to a client. */
    private static String withoutSource(String message) {
        return message == null ? "unreadable" : message.replaceAll(" ?\\(start marker at \\[Source[^\\]]*\\]\\)", "")
                .replaceAll(" ?\\[Source[^\\]]*\\]", "").strip();
    }

    private static GatewayException invalid(String message) {
        return new GatewayException(ErrorKind.INVALID_REQUEST, "Malformed request: " + message);
    }

    private static int offset(TokenStreamLocation location) {
        return (int) location.getByteOffset();
    }

    /** The offset just past the closing quote of the name that opens at {@code start}. */
    private static int nameEnd(byte[] body, int start) {
        int i = start + 1;
        while (body[i] != '"') i += body[i] == '\\' ? 2 : 1;
        return i + 1;
    }
}
