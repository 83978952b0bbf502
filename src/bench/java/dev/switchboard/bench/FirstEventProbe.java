package dev.switchboard.bench;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Time from sending a streaming request to the first SSE event, over a fresh connection each time, the way a
 * client opening a stream sees it; each stream is then read to its end. Prints the p50 and p99 in ms.
 * {@code java ... FirstEventProbe <port> <path> <requests>}: a chat completions request to {@code path};
 * with {@code /v1/responses}, a Responses API request, and with {@code /v1/messages} an Anthropic Messages
 * request (which the gateway translates when the alias's target speaks chat completions, as the benchmark's
 * mock does).
 */
public final class FirstEventProbe {
    /**
     * Streams before the measured ones. The gateway's JVM compiles with C2 alone (docker/jvm.options), which
     * compiles a method after about 10,000 calls, and only this probe sends streams: with 2,000 the stream
     * path was still interpreted, and the probe measured the interpreter.
     */
    private static final int WARM_UP = 12_000;

    private FirstEventProbe() {}

    private static boolean ended(StringBuilder seen, List<String> lastEvents) {
        for (String last : lastEvents) if (seen.indexOf(last) >= 0) return true;
        return false;
    }

    public static void main(String[] args) throws Exception {
        int port = Integer.parseInt(args[0]);
        String path = args[1];
        int n = Integer.parseInt(args[2]);
        boolean responses = path.endsWith("/responses");
        boolean messages = path.endsWith("/messages");
        String body = responses
                ? "{\"model\":\"bench\",\"stream\":true,\"store\":false,\"input\":\"Say something short.\"}"
                : messages
                ? "{\"model\":\"bench\",\"stream\":true,\"max_tokens\":64,\"messages\":[{\"role\":\"user\",\"content\":\"Say something short.\"}]}"
                : "{\"model\":\"bench\",\"stream\":true,\"messages\":[{\"role\":\"user\",\"content\":\"Say something short.\"}]}";
        // a stream's last event: chat's [DONE]; the Responses API's response.completed (or failed); Messages' message_stop (or error)
        List<String> lastEvents = responses ? List.of("event: response.completed", "event: response.failed")
                : messages ? List.of("event: message_stop", "event: error") : List.of("data: [DONE]");
        byte[] request = ("POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer bench-key\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + body.length() + "\r\n\r\n" + body).getBytes(StandardCharsets.US_ASCII);
        double[] ms = new double[n];
        // the streaming path is warmed here: the load runs before send plain requests only, and a path the JIT
        // has not compiled yet (in the proxy, and in this probe) measures the compiler, not the proxy
        for (int i = -WARM_UP; i < n; i++) {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setTcpNoDelay(true);
                socket.setSoTimeout(10_000);
                long start = System.nanoTime();
                OutputStream out = socket.getOutputStream();
                out.write(request);
                out.flush();
                InputStream in = socket.getInputStream();
                byte[] buffer = new byte[8192];
                StringBuilder seen = new StringBuilder();
                while (seen.indexOf("data:") < 0) {
                    int r = in.read(buffer);
                    if (r < 0) throw new IllegalStateException("stream ended before its first event: " + seen);
                    seen.append(new String(buffer, 0, r, StandardCharsets.ISO_8859_1));
                }
                if (i >= 0) ms[i] = (System.nanoTime() - start) / 1e6;
                // read to the end, as a client normally does: hanging up after the first event makes a proxy drop
                // its upstream connection mid-answer (as it should, to stop the generation), and the next probe
                // would then measure a reconnect that nginx, which has read the mock's short answer whole, skips
                while (!ended(seen, lastEvents)) {
                    int r = in.read(buffer);
                    if (r < 0) break;
                    seen.append(new String(buffer, 0, r, StandardCharsets.ISO_8859_1));
                }
            }
        }
        Arrays.sort(ms);
        System.out.printf("p50=%.3f p99=%.3f%n", ms[n / 2], ms[Math.min(n - 1, (int) (n * 0.99))]);
    }
}
