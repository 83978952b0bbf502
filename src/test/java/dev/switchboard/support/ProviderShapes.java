package dev.switchboard.support;

/**
 * Response bodies in the shapes each seed provider really sends (docs/providers.md), replayed by the
 * WireMock upstreams. Streams keep every quirk: comments, meta blocks, a missing [DONE], pings, thinking.
 */
public final class ProviderShapes {
    private ProviderShapes() {}

    /** The AI/ML API: MiniMax fields passed through, reasoning in {@code <think>}, cost under {@code meta.usage}. */
    public static final String AIMLAPI_COMPLETION = """
            {"id":"chatcmpl-aiml-1","object":"chat.completion","created":1763900000,"model":"minimax/m1",\
            "choices":[{"index":0,"message":{"role":"assistant","content":"<think>The user greets me.</think>Hello from AI/ML API!"},\
            "finish_reason":"stop"}],\
            "usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21,\
            "prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":5}},\
            "base_resp":{"status_code":0,"status_msg":""},"input_sensitive":false,"total_characters":0,\
            "meta":{"usage":{"credits_used":447,"usd_spent":0.000223}}}""";

    public static final String AIMLAPI_STREAM = """
            data: {"id":"chatcmpl-aiml-2","object":"chat.completion.chunk","created":1763900000,"model":"minimax/m1","choices":[{"index":0,"delta":{"role":"assistant","content":"<think>hmm</think>"},"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-aiml-2","object":"chat.completion.chunk","created":1763900000,"model":"minimax/m1","choices":[{"index":0,"delta":{"content":"Hello"},"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-aiml-2","object":"chat.completion.chunk","created":1763900000,"model":"minimax/m1","choices":[{"index":0,"delta":{"content":" world"},"finish_reason":null}],"usage":null}

            data: {"id":"chatcmpl-aiml-2","object":"chat.completion.chunk","created":1763900000,"model":"minimax/m1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":7,"total_tokens":19},"meta":{"usage":{"credits_used":2480,"usd_spent":0.00124}}}

            data: [DONE]

            """;

    /** OpenRouter: keep-alive comments, usage with cost in the last message. */
    public static final String OPENROUTER_STREAM = """
            : OPENROUTER PROCESSING

            : OPENROUTER PROCESSING

            data: {"id":"gen-or-1","provider":"Minimax","model":"minimax/minimax-m1","object":"chat.completion.chunk","created":1763900001,"choices":[{"index":0,"delta":{"role":"assistant","content":"Routed"},"finish_reason":null,"native_finish_reason":null}]}

            data: {"id":"gen-or-1","provider":"Minimax","model":"minimax/minimax-m1","object":"chat.completion.chunk","created":1763900001,"choices":[{"index":0,"delta":{"content":" via OpenRouter"},"finish_reason":null,"native_finish_reason":null}]}

            data: {"id":"gen-or-1","provider":"Minimax","model":"minimax/minimax-m1","object":"chat.completion.chunk","created":1763900001,"choices":[{"index":0,"delta":{"content":""},"finish_reason":"stop","native_finish_reason":"stop"}]}

            data: {"id":"gen-or-1","provider":"Minimax","model":"minimax/minimax-m1","object":"chat.completion.chunk","created":1763900001,"choices":[],"usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14,"cost":0.0000128,"is_byok":false,"prompt_tokens_details":{"cached_tokens":0},"cost_details":{"upstream_inference_cost":null},"completion_tokens_details":{"reasoning_tokens":0}}}

            data: [DONE]

            """;

    /** Together: plain OpenAI shape, here answering with a tool call. */
    public static final String TOGETHER_TOOL_CALL = """
            {"id":"tg-1","object":"chat.completion","created":1763900002,"model":"MiniMaxAI/MiniMax-M1-40k",\
            "choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_weather_1","type":"function",\
            "function":{"name":"get_weather","arguments":"{\\"city\\":\\"Paris\\"}"}}]},"finish_reason":"tool_calls"}],\
            "usage":{"prompt_tokens":80,"completion_tokens":18,"total_tokens":98}}""";

    public static final String TOGETHER_TOOL_CALL_STREAM = """
            data: {"id":"tg-2","object":"chat.completion.chunk","created":1763900002,"model":"MiniMaxAI/MiniMax-M1-40k","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_weather_2","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}

            data: {"id":"tg-2","object":"chat.completion.chunk","created":1763900002,"model":"MiniMaxAI/MiniMax-M1-40k","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"city\\":"}}]},"finish_reason":null}]}

            data: {"id":"tg-2","object":"chat.completion.chunk","created":1763900002,"model":"MiniMaxAI/MiniMax-M1-40k","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\\"Paris\\"}"}}]},"finish_reason":null}]}

            data: {"id":"tg-2","object":"chat.completion.chunk","created":1763900002,"model":"MiniMaxAI/MiniMax-M1-40k","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":80,"completion_tokens":18,"total_tokens":98}}

            data: [DONE]

            """;

    /** ModelsLab answers in the OpenAI shape. */
    public static final String MODELSLAB_COMPLETION = """
            {"id":"ml-1","object":"chat.completion","created":1763900003,"model":"minimax-minimax-m1",\
            "choices":[{"index":0,"message":{"role":"assistant","content":"Hi from ModelsLab"},"finish_reason":"stop"}],\
            "usage":{"prompt_tokens":9,"completion_tokens":4,"total_tokens":13}}""";

    /** MiniMax's OpenAI endpoint: the stream ends with a whole chat.completion object and no [DONE]. */
    public static final String MINIMAX_OPENAI_STREAM = """
            data: {"id":"mm-1","object":"chat.completion.chunk","created":1763900004,"model":"MiniMax-M1","choices":[{"index":0,"delta":{"role":"assistant","content":"<think>short</think>Mini"}}],"base_resp":{"status_code":0,"status_msg":""}}

            data: {"id":"mm-1","object":"chat.completion.chunk","created":1763900004,"model":"MiniMax-M1","choices":[{"index":0,"delta":{"content":"Max"}}],"base_resp":{"status_code":0,"status_msg":""}}

            data: {"id":"mm-1","object":"chat.completion","created":1763900004,"model":"MiniMax-M1","choices":[{"index":0,"finish_reason":"stop","message":{"role":"assistant","content":"<think>short</think>MiniMax"}}],"usage":{"prompt_tokens":7,"completion_tokens":6,"total_tokens":13},"base_resp":{"status_code":0,"status_msg":""}}

            """;

    /** MiniMax's Anthropic endpoint: thinking, text, ping, cumulative usage in message_delta. */
    public static final String MINIMAX_MESSAGE = """
            {"id":"msg_mm_1","type":"message","role":"assistant","model":"MiniMax-M1",\
            "content":[{"type":"thinking","thinking":"The user says hi.","signature":"sig-1"},{"type":"text","text":"Hello from MiniMax!"}],\
            "stop_reason":"end_turn","stop_sequence":null,\
            "usage":{"input_tokens":15,"output_tokens":11,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}""";

    public static final String MINIMAX_MESSAGE_STREAM = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_mm_2","type":"message","role":"assistant","model":"MiniMax-M1","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":15,"output_tokens":1,"cache_creation_input_tokens":0,"cache_read_input_tokens":4}}}

            event: ping
            data: {"type":"ping"}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Greeting back."}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig-2"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: content_block_start
            data: {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Hello"}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":" there"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":1}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":12}}

            event: message_stop
            data: {"type":"message_stop"}

            """;

    public static final String MINIMAX_TOOL_USE = """
            {"id":"msg_mm_3","type":"message","role":"assistant","model":"MiniMax-M1",\
            "content":[{"type":"text","text":"Let me check."},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}],\
            "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":120,"output_tokens":30}}""";

    public static final String MINIMAX_TOOL_USE_STREAM = """
            event: message_start
            data: {"type":"message_start","message":{"id":"msg_mm_4","type":"message","role":"assistant","model":"MiniMax-M1","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":120,"output_tokens":1}}}

            event: content_block_start
            data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_2","name":"get_weather","input":{}}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"city\\": "}}

            event: content_block_delta
            data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"\\"Paris\\"}"}}

            event: content_block_stop
            data: {"type":"content_block_stop","index":0}

            event: message_delta
            data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":30}}

            event: message_stop
            data: {"type":"message_stop"}

            """;

    /** Error bodies exactly as providers write them; the gateway must pass them back untouched. */
    public static final String OPENAI_BAD_REQUEST = """
            {"error":{"message":"Invalid value for 'temperature': must be <= 2.","type":"invalid_request_error","param":"temperature","code":"invalid_value"}}""";

    public static final String AIMLAPI_UNPROCESSABLE = """
            {"message":"messages must not be empty","path":"/v1/chat/completions","requestId":"a1b2c3","statusCode":422,"timestamp":"2026-11-23T10:00:00.000Z"}""";

    public static final String ANTHROPIC_BAD_REQUEST = """
            {"type":"error","error":{"type":"invalid_request_error","message":"messages: at least one message is required"}}""";
}
