package dev.switchboard.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import com.anthropic.client.AnthropicClient;
import com.anthropic.client.okhttp.AnthropicOkHttpClient;
import com.anthropic.core.http.StreamResponse;
import com.anthropic.models.messages.MessageCreateParams;
import com.anthropic.models.messages.RawMessageStreamEvent;
import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;

import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.RawHttp;
import dev.switchboard.support.ScriptedUpstream;

/**
 * An upstream that breaks a stream after it started: the client gets the events sent so far, then an error
 * event in its protocol (never [DONE] or message_stop), and the official SDKs raise on it.
 */
class MidStreamBreakIT extends GatewayIT {
    private static final String OPENAI_CHUNK =
            "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hel\"},\"finish_reason\":null}]}\n\n";

    @Test
    void theOpenAiSdkRaisesOnTheErrorEventAfterTheChunksItGot() throws Exception {
        OpenAIClient client = OpenAIOkHttpClient.builder().baseUrl(gatewayUrl() + "/v1").apiKey(KEY).maxRetries(0).build();
        try {
            List<String> received = new ArrayList<>();
            CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
                try (var stream = client.chat().completions().createStreaming(
                        ChatCompletionCreateParams.builder().model("m1-scripted").addUserMessage("hi").build())) {
                    stream.stream().forEach(chunk -> received.add(chunk.choices().getFirst().delta().content().orElse("")));
                    return null;
                } catch (Throwable e) {
                    return e;
                }
            });
            ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
            upstream.send(OPENAI_CHUNK);
            // half an event, then the connection drops: the half must never reach the client
            upstream.send("data: {\"id\":\"c\",\"object\":\"chat.compl");
            upstream.abort();
            Throwable error = outcome.get(10, TimeUnit.SECONDS);
            assertThat(received).containsExactly("Hel");
            assertThat(error).as("the SDK raised").isNotNull().isInstanceOf(com.openai.errors.OpenAIException.class)
                    .hasMessageContaining("broke off the stream");
        } finally {
            client.close();
        }
    }

    @Test
    void theRawStreamEndsWithTheErrorEventAndNoHalfEvent() throws Exception {
        RawHttp raw = new RawHttp(gatewayUrl());
        CompletableFuture<HttpResponse<byte[]>> pending = raw.client().sendAsync(raw.request("/v1/chat/completions")
                .header("Authorization", "Bearer " + KEY)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\":\"m1-scripted\",\"stream\":true,\"messages\":[]}"))
                .build(), HttpResponse.BodyHandlers.ofByteArray());
        ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
        upstream.send(OPENAI_CHUNK);
        upstream.send("data: {\"half\":");
        upstream.abort();
        String body = new String(pending.get(10, TimeUnit.SECONDS).body(), StandardCharsets.UTF_8);
        assertThat(body).startsWith(OPENAI_CHUNK).doesNotContain("half").doesNotContain("[DONE]");
        assertThat(body.substring(OPENAI_CHUNK.length()))
                .startsWith("data: {\"error\":{\"message\":\"Upstream 'scripted' broke off the stream")
                .contains("\"code\":\"upstream_unreachable\"").endsWith("}}\n\n");
    }

    @Test
    void theAnthropicSdkRaisesOnTheErrorEvent() throws Exception {
        AnthropicClient client = AnthropicOkHttpClient.builder().baseUrl(gatewayUrl()).apiKey(KEY).maxRetries(0).build();
        try {
            List<String> types = new ArrayList<>();
            CompletableFuture<Throwable> outcome = CompletableFuture.supplyAsync(() -> {
                try (StreamResponse<RawMessageStreamEvent> stream = client.messages().createStreaming(MessageCreateParams.builder()
                        .model("m1-scripted-anthropic").maxTokens(100).addUserMessage("hi").build())) {
                    stream.stream().forEach(e -> types.add(e.isMessageStart() ? "message_start" : e.isContentBlockStart()
                            ? "content_block_start" : e.isContentBlockDelta() ? "content_block_delta" : "other"));
                    return null;
                } catch (Throwable e) {
                    return e;
                }
            });
            ScriptedUpstream.Exchange upstream = UPSTREAMS.scripted().nextExchange();
            assertThat(upstream.path).isEqualTo("/scripted-anthropic/v1/messages");
            upstream.send("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\","
                    + "\"role\":\"assistant\",\"model\":\"m\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,"
                    + "\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n");
            upstream.send("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
                    + "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n");
            upstream.abort();
            Throwable error = outcome.get(10, TimeUnit.SECONDS);
            assertThat(types).containsExactly("message_start", "content_block_start", "content_block_delta");
            assertThat(error).as("the SDK raised").isNotNull().isInstanceOf(com.anthropic.errors.AnthropicException.class);
        } finally {
            client.close();
        }
    }
}
