package dev.switchboard.protocol;

/**
 * Text a client sent, quoted back in an error message (a model name, a field name): cut to a length a
 * person can read, so a megabyte-long name is not sent back whole, nor written to the log.
 */
public final class EchoedText {
    /** Characters kept; model ids and field names are far shorter. */
    static final int MAX_LENGTH = 200;

    private EchoedText() {}

    public static String of(String text) {
        if (text == null || text.length() <= MAX_LENGTH) return text;
        int keep = MAX_LENGTH;
        if (Character.isHighSurrogate(text.charAt(keep - 1))) keep--; // never half a character
        return text.substring(0, keep) + "... (" + (text.length() - keep) + " more characters)";
    }
}
