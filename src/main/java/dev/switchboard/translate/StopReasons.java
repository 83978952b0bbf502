package dev.switchboard.translate;

/** Why generation stopped, in each protocol's words. */
final class StopReasons {
    private StopReasons() {}

    static String toAnthropic(String finishReason) {
        if (finishReason == null) return "end_turn";
        return switch (finishReason) {
            case "length" -> "max_tokens";
            case "tool_calls", "function_call" -> "tool_use";
            case "content_filter" -> "refusal";
            default -> "end_turn";
        };
    }

    static String toOpenAi(String stopReason) {
        if (stopReason == null) return "stop";
        return switch (stopReason) {
            case "max_tokens" -> "length";
            case "tool_use" -> "tool_calls";
            case "refusal" -> "content_filter";
            default -> "stop"; // end_turn, stop_sequence, pause_turn
        };
    }
}
