package dev.switchboard.protocol;

import java.util.Set;

import tools.jackson.core.JacksonException;
import tools.jackson.core.JsonParser;
import tools.jackson.core.JsonToken;
import tools.jackson.core.ObjectReadContext;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.JsonRecyclerPools;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.ObjectReader;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The one JSON factory, for every parser the gateway runs (requests scanned, answers' usage read, events
 * translated), and the one mapper, for bodies the gateway writes itself (errors, model lists, translations);
 * neither rewrites passthrough bytes.
 */
public final class Json {
    /**
     * The parsers' and generators' factory. Their buffers are pooled per thread: the gateway parses and writes
     * JSON on its few event loops and a few other platform threads (no virtual threads, which would each need
     * a buffer of their own), and Jackson's default pool, one deque shared by every thread, cost two contended
     * atomic updates a parser (docs/benchmark.md).
     */
    public static final JsonFactory FACTORY = JsonFactory.builder().recyclerPool(JsonRecyclerPools.threadLocalPool()).build();
    public static final JsonMapper MAPPER = JsonMapper.builder(FACTORY).build();
    /** Reads one value out of a parser that goes on after it. */
    private static final ObjectReader VALUE_IN_STREAM = MAPPER.reader().without(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Json() {}

    /**
     * Only the named top-level fields of a JSON object, the rest skipped by the streaming parser without
     * building it: reading a response's {@code usage} costs a few of its bytes, not a tree of all of it.
     * Null when the body is not a JSON object.
     */
    public static ObjectNode fields(byte[] body, Set<String> names) {
        try (JsonParser p = FACTORY.createParser(ObjectReadContext.empty(), body)) {
            if (p.nextToken() != JsonToken.START_OBJECT) return null;
            ObjectNode picked = MAPPER.createObjectNode();
            while (p.nextToken() == JsonToken.PROPERTY_NAME) {
                String name = p.currentName();
                p.nextToken();
                if (names.contains(name)) picked.set(name, VALUE_IN_STREAM.readTree(p));
                else p.skipChildren();
            }
            return picked;
        } catch (JacksonException e) {
            return null;
        }
    }
}
