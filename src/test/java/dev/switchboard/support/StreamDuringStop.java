package dev.switchboard.support;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A stream through the gateway (alias {@code m1-scripted}) that is told to stop in its middle: the scripted
 * upstream sends {@link #FIRST}, the test stops the gateway, then the upstream sends {@link #REST} with usage
 * (4 prompt, 2 completion tokens) and ends. What the client received comes back.
 */
public final class StreamDuringStop {
    public static final String FIRST = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"before\"}}]}\n\n";
    public static final String REST = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\" after\"},\"finish_reason\":\"stop\"}],"
            + "\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2,\"total_tokens\":6}}\n\ndata: [DONE]\n\n";

    private StreamDuringStop() {}

    public static String run(RawHttp raw, ScriptedUpstream scripted, String requestId, Runnable stop) throws Exception {
        CompletableFuture<HttpResponse<byte[]>> stream = raw.client().sendAsync(raw.request("/v1/chat/completions")
                        .header("Authorization", "Bearer sk-team-a").header("x-request-id", requestId)
                        .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"m1-scripted\",\"stream\":true,\"messages\":[]}")).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        ScriptedUpstream.Exchange upstream = scripted.nextExchange();
        upstream.send(FIRST);
        stop.run();
        Thread.sleep(500); // the stream goes on after the signal
        upstream.send(REST);
        upstream.finish();
        return new String(stream.get(30, TimeUnit.SECONDS).body(), StandardCharsets.UTF_8);
    }
}
