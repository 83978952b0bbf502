package dev.switchboard.translate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.SseEvent;
import tools.jackson.databind.JsonNode;

class ResponseTranslatorTest {

    @Test
    void miniMaxReasoningDetailsBecomeAThinkingBlockAndCacheTokensLeaveInputTokens() {
        JsonNode out = ResponseTranslator.toAnthropic(Json.MAPPER.readTree("""
                {"id":"mm-9","object":"chat.completion","model":"MiniMax-M1","choices":[{"index":0,"finish_reason":"length",
                  "message":{"role":"assistant","content":"Partial answ","reasoning_details":[{"type":"reasoning.text","text":"Step one. "},{"type":"reasoning.text","text":"Step two."}]}}],
                 "usage":{"prompt_tokens":100,"completion_tokens":50,"prompt_tokens_details":{"cached_tokens":30,"cache_write_tokens":20}}}"""));
        assertThat(out.path("content").get(0).path("type").asString()).isEqualTo("thinking");
        assertThat(out.path("content").get(0).path("thinking").asString()).isEqualTo("Step one. Step two.");
        assertThat(out.path("content").get(1).path("text").asString()).isEqualTo("Partial answ");
        assertThat(out.path("stop_reason").asString()).isEqualTo("max_tokens");
        assertThat(out.path("usage").path("input_tokens").asLong()).isEqualTo(50);
        assertThat(out.path("usage").path("cache_read_input_tokens").asLong()).isEqualTo(30);
        assertThat(out.path("usage").path("cache_creation_input_tokens").asLong()).isEqualTo(20);
    }

    @Test
    void anthropicCacheTokensCountInOpenAiPromptTokens() {
        JsonNode out = ResponseTranslator.toOpenAi(Json.MAPPER.readTree("""
                {"id":"msg_1","type":"message","model":"m","content":[{"type":"text","text":"ok"}],"stop_reason":"refusal",
                 "usage":{"input_tokens":10,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"output_tokens":5}}"""), 1L);
        assertThat(out.path("choices").get(0).path("finish_reason").asString()).isEqualTo("content_filter");
        assertThat(out.path("usage").path("prompt_tokens").asLong()).isEqualTo(130);
        assertThat(out.path("usage").path("prompt_tokens_details").path("cached_tokens").asLong()).isEqualTo(100);
        assertThat(out.path("usage").path("completion_tokens").asLong()).isEqualTo(5);
    }

    @Test
    void streamedReasoningDetailsBecomeThinkingDeltas() {
        AnthropicStreamFromOpenAi translator = new AnthropicStreamFromOpenAi();
        var events = SseEvent.parseAll(translator.event(new SseEvent(null,
                "{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"reasoning_details\":[{\"type\":\"reasoning.text\",\"text\":\"Think.\"}]}}]}")));
        assertThat(Json.MAPPER.readTree(events.getLast().data()).path("delta").path("thinking").asString()).isEqualTo("Think.");
    }
}
