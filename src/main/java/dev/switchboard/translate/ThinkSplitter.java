package dev.switchboard.translate;

import java.util.ArrayList;
import java.util.List;

/**
 * Splits MiniMax's {@code <think>...</think>} reasoning out of answer text that arrives in pieces: a tag may
 * be cut anywhere between two chunks, so a possible tag start is held back until the next piece decides it.
 */
final class ThinkSplitter {
    private static final String OPEN = "<think>";
    private static final String CLOSE = "</think>";

    record Piece(boolean thinking, String text) {}

    private boolean inside;
    private String held = "";

    List<Piece> feed(String text) {
        List<Piece> out = new ArrayList<>();
        String s = held + text;
        held = "";
        while (!s.isEmpty()) {
            String tag = inside ? CLOSE : OPEN;
            int at = s.indexOf(tag);
            if (at >= 0) {
                add(out, s.substring(0, at));
                inside = !inside;
                s = s.substring(at + tag.length());
                continue;
            }
            int keep = partialTagAtEnd(s, tag);
            add(out, s.substring(0, s.length() - keep));
            held = s.substring(s.length() - keep);
            break;
        }
        return out;
    }

    /** What was held back when the text ends. */
    List<Piece> finish() {
        List<Piece> out = new ArrayList<>();
        add(out, held);
        held = "";
        return out;
    }

    private void add(List<Piece> out, String text) {
        if (!text.isEmpty()) out.add(new Piece(inside, text));
    }

    /** The length of the longest end of {@code s} that is the start of {@code tag}. */
    private static int partialTagAtEnd(String s, String tag) {
        for (int n = Math.min(tag.length() - 1, s.length()); n > 0; n--) {
            if (s.endsWith(tag.substring(0, n))) return n;
        }
        return 0;
    }
}
