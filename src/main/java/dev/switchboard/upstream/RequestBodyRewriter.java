package dev.switchboard.upstream;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import dev.switchboard.config.AuthStyle;
import dev.switchboard.config.Target;
import dev.switchboard.config.Upstream;
import dev.switchboard.protocol.RequestScan;
import dev.switchboard.protocol.RequestScan.Field;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import tools.jackson.core.io.JsonStringEncoder;

/**
 * Rewrites a client's request body for one target by splicing bytes: the model value is replaced (and its
 * field renamed where the upstream wants another name), and for {@code auth: body} the key is set in the
 * body. Every other byte goes out exactly as the client sent it, and the body is not copied: the result is a
 * composite of slices of the original array.
 */
public final class RequestBodyRewriter {
    private RequestBodyRewriter() {}

    private record Edit(int start, int end, byte[] replacement) {}

    private static final byte[] STREAM_USAGE_FIELD = "\"stream_options\":{\"include_usage\":true},".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /**
     * @param injectStreamUsage add {@code stream_options.include_usage: true} (the client did not ask for it, the
     *                          gateway needs the usage to bill the stream)
     */
    public static ByteBuf rewrite(RequestScan scan, Target target, boolean injectStreamUsage) {
        Upstream upstream = target.upstream();
        byte[] body = scan.body();
        List<Edit> edits = new ArrayList<>(4);
        Field model = scan.field("model");
        edits.add(new Edit(model.valueStart(), model.valueEnd(), quoted(target.model())));
        if (!upstream.modelField().equals("model")) {
            edits.add(new Edit(model.nameStart(), model.nameEnd(), quoted(upstream.modelField())));
            Field clash = scan.field(upstream.modelField());
            if (clash != null) edits.add(removal(scan, clash));
        }
        if (upstream.auth() == AuthStyle.BODY) {
            Field key = scan.field(upstream.bodyKeyField());
            if (key != null) {
                // a client-sent value under the key's name must never reach the upstream beside ours
                edits.add(new Edit(key.valueStart(), key.valueEnd(), quoted(upstream.apiKey())));
            } else {
                int at = scan.objectStart() + 1;
                byte[] field = concat(quoted(upstream.bodyKeyField()), new byte[] {':'}, quoted(upstream.apiKey()), new byte[] {','});
                edits.add(new Edit(at, at, field));
            }
        }
        if (injectStreamUsage) edits.add(streamUsage(scan));
        edits.sort(Comparator.comparingInt(Edit::start).thenComparingInt(Edit::end));
        ByteBuf[] parts = new ByteBuf[edits.size() * 2 + 1];
        int n = 0;
        int position = 0;
        for (Edit e : edits) {
            if (e.start() > position) parts[n++] = Unpooled.wrappedBuffer(body, position, e.start() - position);
            parts[n++] = Unpooled.wrappedBuffer(e.replacement());
            position = Math.max(position, e.end());
        }
        if (position < body.length) parts[n++] = Unpooled.wrappedBuffer(body, position, body.length - position);
        return Unpooled.wrappedBuffer(n, parts);
    }

    /** A new {@code stream_options}, or the client's with {@code include_usage} switched on. */
    private static Edit streamUsage(RequestScan scan) {
        Field options = scan.field("stream_options");
        if (options == null) return new Edit(scan.objectStart() + 1, scan.objectStart() + 1, STREAM_USAGE_FIELD);
        tools.jackson.databind.JsonNode value = scan.valueTree("stream_options");
        tools.jackson.databind.node.ObjectNode merged = value instanceof tools.jackson.databind.node.ObjectNode o
                ? o : dev.switchboard.protocol.Json.MAPPER.createObjectNode();
        merged.put("include_usage", true);
        return new Edit(options.valueStart(), options.valueEnd(), dev.switchboard.protocol.Json.MAPPER.writeValueAsBytes(merged));
    }

    /** Removing a field also removes the comma that separates it from a neighbour. */
    private static Edit removal(RequestScan scan, Field field) {
        List<Field> fields = scan.fields();
        int i = fields.indexOf(field);
        if (i + 1 < fields.size()) return new Edit(field.nameStart(), fields.get(i + 1).nameStart(), new byte[0]);
        return new Edit(fields.get(i - 1).valueEnd(), field.valueEnd(), new byte[0]);
    }

    static byte[] quoted(String value) {
        return concat(new byte[] {'"'}, JsonStringEncoder.getInstance().quoteAsUTF8(value), new byte[] {'"'});
    }

    private static byte[] concat(byte[]... arrays) {
        int length = 0;
        for (byte[] a : arrays) length += a.length;
        byte[] out = new byte[length];
        int at = 0;
        for (byte[] a : arrays) {
            System.arraycopy(a, 0, out, at, a.length);
            at += a.length;
        }
        return out;
    }
}
