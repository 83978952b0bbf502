package dev.switchboard.translate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.switchboard.protocol.Json;
import tools.jackson.databind.JsonNode;

/** The request mapping of PROVIDERS.md, field by field, both ways. */
class RequestTranslatorTest {

    private static JsonNode json(String text) {
        return Json.MAPPER.readTree(text);
    }

    @Test
    void anthropicRequestBecomesOpenAi() {
        JsonNode out = RequestTranslator.toOpenAi(json("""
                {"model":"alias","max_tokens":300,"system":[{"type":"text","text":"Be brief."}],
                 "stop_sequences":["END"],"temperature":0.5,"top_p":0.9,"top_k":5,
                 "thinking":{"type":"enabled","budget_tokens":20000},
                 "tools":[{"name":"get_weather","description":"Weather","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}],
                 "tool_choice":{"type":"tool","name":"get_weather","disable_parallel_tool_use":true},
                 "messages":[
                   {"role":"user","content":[{"type":"text","text":"Look:"},{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"QUJD"}}]},
                   {"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"s"},{"type":"text","text":"Checking."},
                                                  {"type":"tool_use","id":"toolu_9","name":"get_weather","input":{"city":"Oslo"}}]},
                   {"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_9","content":[{"type":"text","text":"-3°C"}]},
                                             {"type":"text","text":"And tomorrow?"}]}]}"""), "MiniMax-M1");

        assertThat(out.path("model").asString()).isEqualTo("MiniMax-M1");
        assertThat(out.path("max_tokens").asInt()).isEqualTo(300);
        assertThat(out.path("stop").get(0).asString()).isEqualTo("END");
        assertThat(out.path("temperature").asDouble()).isEqualTo(0.5);
        assertThat(out.has("top_k")).isFalse();
        assertThat(out.path("reasoning_effort").asString()).isEqualTo("high");
        assertThat(out.path("tools").get(0).path("function").path("parameters").path("properties").has("city")).isTrue();
        assertThat(out.path("tool_choice").path("function").path("name").asString()).isEqualTo("get_weather");
        assertThat(out.path("parallel_tool_calls").asBoolean(true)).isFalse();
        JsonNode messages = out.path("messages");
        assertThat(messages.get(0).path("role").asString()).isEqualTo("system");
        assertThat(messages.get(0).path("content").asString()).isEqualTo("Be brief.");
        assertThat(messages.get(1).path("content").get(1).path("image_url").path("url").asString()).isEqualTo("data:image/jpeg;base64,QUJD");
        assertThat(messages.get(2).path("content").asString()).isEqualTo("Checking.");
        assertThat(messages.get(2).path("tool_calls").get(0).path("function").path("arguments").asString()).isEqualTo("{\"city\":\"Oslo\"}");
        // the tool result directly after the assistant's call, then the rest of the user turn
        assertThat(messages.get(3).path("role").asString()).isEqualTo("tool");
        assertThat(messages.get(3).path("tool_call_id").asString()).isEqualTo("toolu_9");
        assertThat(messages.get(3).path("content").asString()).isEqualTo("-3°C");
        assertThat(messages.get(4).path("content").asString()).isEqualTo("And tomorrow?");
    }

    @Test
    void openAiRequestBecomesAnthropic() {
        JsonNode out = RequestTranslator.toAnthropic(json("""
                {"model":"alias","max_completion_tokens":100,"stop":"END","temperature":1.6,"stream":true,
                 "reasoning_effort":"medium","tool_choice":"required","parallel_tool_calls":false,
                 "tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}],
                 "messages":[
                   {"role":"system","content":"Be brief."},{"role":"developer","content":"Use metric."},
                   {"role":"user","content":[{"type":"text","text":"Look:"},{"type":"image_url","image_url":{"url":"https://example.invalid/a.png"}}]},
                   {"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Oslo\\"}"}},
                                                                  {"id":"call_2","type":"function","function":{"name":"get_weather","arguments":"{\\"city\\":\\"Rome\\"}"}}]},
                   {"role":"tool","tool_call_id":"call_1","content":"-3°C"},
                   {"role":"tool","tool_call_id":"call_2","content":"12°C"},
                   {"role":"user","content":"Which is warmer?"}]}"""), "MiniMax-M1");

        assertThat(out.path("system").asString()).isEqualTo("Be brief.\n\nUse metric.");
        assertThat(out.path("stop_sequences").get(0).asString()).isEqualTo("END");
        assertThat(out.path("stream").asBoolean()).isTrue();
        // thinking wants max_tokens above its budget, and no temperature
        assertThat(out.path("thinking").path("budget_tokens").asLong()).isEqualTo(4096);
        assertThat(out.path("max_tokens").asLong()).isEqualTo(4196);
        assertThat(out.has("temperature")).isFalse();
        assertThat(out.path("tool_choice").path("type").asString()).isEqualTo("any");
        assertThat(out.path("tool_choice").path("disable_parallel_tool_use").asBoolean()).isTrue();
        assertThat(out.path("tools").get(0).path("input_schema").path("type").asString()).isEqualTo("object");
        JsonNode messages = out.path("messages");
        assertThat(messages.get(0).path("content").get(1).path("source").path("url").asString()).isEqualTo("https://example.invalid/a.png");
        assertThat(messages.get(1).path("content").get(1).path("input").path("city").asString()).isEqualTo("Rome");
        // both tool results and the next question in one user turn, results first
        assertThat(messages).hasSize(3);
        JsonNode last = messages.get(2).path("content");
        assertThat(last.get(0).path("tool_use_id").asString()).isEqualTo("call_1");
        assertThat(last.get(1).path("tool_use_id").asString()).isEqualTo("call_2");
        assertThat(last.get(2).path("text").asString()).isEqualTo("Which is warmer?");
    }

    @Test
    void temperatureIsCappedAtAnthropicsScaleAndMaxTokensDefaults() {
        JsonNode out = RequestTranslator.toAnthropic(json("{\"model\":\"a\",\"temperature\":1.6,\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]}"), "m");
        assertThat(out.path("temperature").asDouble()).isEqualTo(1.0);
        assertThat(out.path("max_tokens").asLong()).isEqualTo(RequestTranslator.DEFAULT_MAX_TOKENS);
    }
}
