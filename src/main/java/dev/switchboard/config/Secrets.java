package dev.switchboard.config;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import tools.jackson.core.io.JsonStringEncoder;

/**
 * Values that must never reach a client or a log: an upstream's key and the values of its extra headers.
 * Some providers echo the request in an error body, the key the gateway inserted included; such text is
 * passed on only after {@link #redact}. Each secret is matched as written and as it appears inside a JSON
 * string.
 */
public final class Secrets {
    public static final String MARK = "[redacted]";
    private static final byte[] MARK_BYTES = MARK.getBytes(StandardCharsets.US_ASCII);
    /** Shorter header values ("1", "true") are not secrets, and redacting them would garble messages. */
    private static final int MIN_HEADER_SECRET = 8;

    private final List<byte[]> patterns;

    private Secrets(List<byte[]> patterns) {
        this.patterns = patterns;
    }

    static Secrets of(String apiKey, Collection<String> headerValues) {
        Set<String> values = new LinkedHashSet<>();
        if (apiKey != null && !apiKey.isEmpty()) values.add(apiKey);
        for (String v : headerValues) {
            if (v != null && v.length() >= MIN_HEADER_SECRET) values.add(v);
        }
        Set<String> forms = new LinkedHashSet<>();
        for (String v : values) {
            forms.add(v);
            StringBuilder escaped = new StringBuilder();
            JsonStringEncoder.getInstance().quoteAsString(v, escaped);
            forms.add(escaped.toString());
        }
        List<byte[]> patterns = new ArrayList<>();
        for (String f : forms) patterns.add(f.getBytes(StandardCharsets.UTF_8));
        patterns.sort(Comparator.comparingInt((byte[] p) -> p.length).reversed()); // a secret inside another goes last
        return new Secrets(List.copyOf(patterns));
    }

    /** The bytes with every secret replaced by {@link #MARK}; the same array when there was none. */
    public byte[] redact(byte[] text) {
        byte[] out = text;
        for (byte[] p : patterns) out = replace(out, p);
        return out;
    }

    public String redact(String text) {
        if (text == null || patterns.isEmpty()) return text;
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        byte[] redacted = redact(bytes);
        return redacted == bytes ? text : new String(redacted, StandardCharsets.UTF_8);
    }

    private static byte[] replace(byte[] text, byte[] pattern) {
        int at = indexOf(text, pattern, 0);
        if (at < 0) return text;
        ByteArrayOutputStream out = new ByteArrayOutputStream(text.length);
        int from = 0;
        while (at >= 0) {
            out.write(text, from, at - from);
            out.writeBytes(MARK_BYTES);
            from = at + pattern.length;
            at = indexOf(text, pattern, from);
        }
        out.write(text, from, text.length - from);
        return out.toByteArray();
    }

    private static int indexOf(byte[] text, byte[] pattern, int from) {
        outer:
        for (int i = from; i <= text.length - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (text[i + j] != pattern[j]) continue outer;
            }
            return i;
        }
        return -1;
    }
}
