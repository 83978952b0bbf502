package dev.switchboard.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.switchboard.support.GatewayProcess;
import dev.switchboard.support.RawHttp;

/**
 * The gateway as a process with the container's JVM flags, attacked as a hostile client would: connections
 * that declare a large body and send a few bytes, bodies past the memory budget, a body of a hundred thousand
 * fields, heads and bodies trickled a byte at a time, idle connections, more connections than the cap. After
 * each, the gateway is alive and answers.
 */
class HostileClientsIT {
    private static final String KEY = "sk-team-a";
    /** 128 bodies' first arrays: a body reserves 16 KB as its first bytes arrive. */
    private static final long BODY_BUDGET = 2L * 1024 * 1024;
    private static final int MAX_CONNECTIONS = 300;
    private static GatewayProcess gateway;
    private final List<Socket> sockets = new ArrayList<>();

    @BeforeAll
    static void start() {
        gateway = GatewayProcess.start("src/test/resources/switchboard-shutdown.yaml",
                "--switchboard.max-body-size=10MB",
                "--switchboard.limits.bodies-in-flight=" + BODY_BUDGET + "B",
                "--switchboard.limits.header-read-timeout=2s",
                "--switchboard.limits.body-read-timeout=5s",
                "--switchboard.limits.idle-timeout=3s",
                "--switchboard.limits.max-connections=" + MAX_CONNECTIONS);
    }

    @AfterAll
    static void stop() {
        if (gateway == null) return;
        gateway.close();
        assertThat(gateway.log().lines()).as("lines the attacks made the gateway log at ERROR")
                .noneMatch(line -> line.matches("^\\S+ +ERROR .*"));
    }

    @BeforeEach
    void nothingHeld() {
        awaitBodiesHeld(0);
    }

    @AfterEach
    void closeSockets() {
        for (Socket s : sockets) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closed already
            }
        }
        sockets.clear();
        assertThat(gateway.alive()).as("the gateway process is alive").isTrue();
        assertAnswers();
    }

    @Test
    void connectionsThatDeclareTenMegabytesAndSendFourteenBytesHoldFourteenBytesEach() throws IOException {
        // with the declared length allocated up front, each would take 10 MB of heap: a few dozen exhaust the container's
        for (int i = 0; i < 40; i++) {
            Socket s = open();
            send(s, head(10_000_000) + "{\"model\":\"m1\"");
        }
        awaitBodiesHeld(40L * 16 * 1024);
        assertThat(gateway.alive()).isTrue();
        assertAnswers();
    }

    @Test
    void bodiesPastTheBudgetAreRefusedAtOnceWith503AndTheRestWait() throws IOException {
        int held = (int) (BODY_BUDGET / (16 * 1024));
        for (int i = 0; i < held; i++) send(open(), head(1_000_000) + "{\"model\":");
        awaitBodiesHeld(BODY_BUDGET);
        for (int i = 0; i < 5; i++) {
            Socket late = open();
            send(late, head(1_000_000) + "{\"model\":");
            String answer = readHead(late, Duration.ofSeconds(10));
            assertThat(answer).as("a body past the budget").startsWith("HTTP/1.1 503");
            assertThat(answer).containsIgnoringCase("retry-after: 1");
        }
        assertThat(readHead(sockets.getFirst(), Duration.ofMillis(200))).as("a body within the budget is still being read").isNull();
    }

    @Test
    void aBodyOfAHundredThousandFieldsIsRefusedNamingTheLimit() {
        StringBuilder body = new StringBuilder("{\"model\":\"m1-scripted\"");
        for (int i = 0; i < 100_000; i++) body.append(",\"f").append(i).append("\":1");
        body.append('}');
        HttpResponse<byte[]> response = gateway.http().post("/v1/chat/completions", body.toString(), "Authorization", "Bearer " + KEY);
        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(RawHttp.json(response).path("error").path("message").asString()).contains("more than 1000 top-level fields");
    }

    @Test
    void aHeadTrickledAByteAtATimeIsCutOffAtTheHeadReadTimeout() throws Exception {
        Socket s = open();
        send(s, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n");
        assertThat(trickleUntilCut(s)).as("the connection was closed while its head trickled in").isNotNull();
    }

    /**
     * Each head is timed from its own first byte, not from the connection's first head: a clock still counting
     * from that one would cut a kept-alive connection's second head short, and a clock never set again would
     * let it trickle for ever.
     */
    @Test
    void aKeptAliveConnectionsNextHeadIsTimedFromItsOwnFirstByte() throws Exception {
        Socket s = open();
        send(s, "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY + "\r\n\r\n");
        assertThat(readHead(s, Duration.ofSeconds(10))).startsWith("HTTP/1.1 200");
        Thread.sleep(1000); // a clock counting from the first head would run out a second into the next
        send(s, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n");
        Duration trickled = trickleUntilCut(s);
        assertThat(trickled).as("the second head was cut off while it trickled in").isNotNull();
        assertThat(trickled).as("how long the second head trickled before the cut; its own limit is 2 s")
                .isGreaterThanOrEqualTo(Duration.ofMillis(1750));
    }

    @Test
    void aBodyThatStopsComingIsAnswered408() throws IOException {
        Socket s = open();
        send(s, head(100) + "{\"model\":");
        String answer = readHead(s, Duration.ofSeconds(15));
        assertThat(answer).as("the answer to a body that never ends").startsWith("HTTP/1.1 408");
    }

    @Test
    void idleConnectionsAreClosedNewAndKeptAlive() throws IOException {
        Socket fresh = open();
        Socket keptAlive = open();
        send(keptAlive, "GET /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY + "\r\n\r\n");
        assertThat(readHead(keptAlive, Duration.ofSeconds(10))).startsWith("HTTP/1.1 200");
        assertThat(closed(fresh, Duration.ofSeconds(15))).as("a connection that never sent a byte").isTrue();
        assertThat(closed(keptAlive, Duration.ofSeconds(15))).as("a kept-alive connection with nothing more to ask").isTrue();
    }

    @Test
    void connectionsPastTheCapAreClosedAsTheyArrive() throws IOException {
        for (int i = 0; i < MAX_CONNECTIONS + 40; i++) open();
        int refused = 0;
        for (Socket s : sockets) {
            if (closed(s, Duration.ofMillis(20))) refused++;
        }
        assertThat(refused).as("connections closed at once, of %d opened against a cap of %d", sockets.size(), MAX_CONNECTIONS)
                .isBetween(40, 200);
    }

    @Test
    void aHeadPastTheHeaderSizeLimitIsRefused() throws IOException {
        Socket s = open();
        send(s, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Big: " + "a".repeat(20_000) + "\r\n\r\n");
        String answer = readHead(s, Duration.ofSeconds(10));
        assertThat(answer).as("a 20 KB header").matches("(?s)HTTP/1.1 (413|431).*");
    }

    /**
     * Sends a head's next byte every 250 ms (well inside the idle timeout: only the head's own deadline can end
     * it) until the gateway closes the connection: how long after the call that came, or null if it had not
     * within 20 s.
     */
    private static Duration trickleUntilCut(Socket s) throws InterruptedException, IOException {
        long start = System.nanoTime();
        long deadline = start + Duration.ofSeconds(20).toNanos();
        for (int i = 0; i < 80 && System.nanoTime() < deadline; i++) {
            Thread.sleep(250);
            boolean cut;
            try {
                send(s, "X");
                cut = closed(s, Duration.ofMillis(1));
            } catch (IOException reset) {
                cut = true;
            }
            if (cut) return Duration.ofNanos(System.nanoTime() - start);
        }
        return null;
    }

    private static String head(long contentLength) {
        return "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + KEY
                + "\r\nContent-Type: application/json\r\nContent-Length: " + contentLength + "\r\n\r\n";
    }

    private Socket open() throws IOException {
        Socket s = new Socket(InetAddress.getLoopbackAddress(), gateway.port());
        sockets.add(s);
        return s;
    }

    private static void send(Socket s, String text) throws IOException {
        OutputStream out = s.getOutputStream();
        out.write(text.getBytes(StandardCharsets.US_ASCII));
        out.flush();
    }

    /** The response's head, or null if none came within {@code wait}; "closed" if the connection ended without one. */
    private static String readHead(Socket s, Duration wait) throws IOException {
        s.setSoTimeout((int) wait.toMillis());
        InputStream in = s.getInputStream();
        StringBuilder head = new StringBuilder();
        try {
            int b;
            while ((b = in.read()) >= 0) {
                head.append((char) b);
                if (head.toString().endsWith("\r\n\r\n")) return head.toString();
            }
            return head.isEmpty() ? "closed" : head.toString();
        } catch (SocketTimeoutException e) {
            return head.isEmpty() ? null : head.toString();
        }
    }

    /** Whether the gateway closed the connection within {@code wait}: end of stream or a reset. */
    private static boolean closed(Socket s, Duration wait) throws IOException {
        s.setSoTimeout((int) Math.max(1, wait.toMillis()));
        try {
            InputStream in = s.getInputStream();
            while (true) {
                if (in.read() < 0) return true; // anything the gateway said first (an error answer) is skipped
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException reset) {
            return true;
        }
    }

    private static void awaitBodiesHeld(long bytes) {
        await().atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(bodiesHeld()).as("memory held by request bodies").isEqualTo(bytes));
    }

    private static long bodiesHeld() {
        RawHttp raw = gateway.http();
        String metrics = new String(raw.send(raw.request("/actuator/prometheus").GET().build()).body(), StandardCharsets.UTF_8);
        return metrics.lines().filter(l -> l.startsWith("switchboard_request_bodies_bytes "))
                .map(l -> (long) Double.parseDouble(l.substring(l.indexOf(' ') + 1))).findFirst()
                .orElseThrow(() -> new AssertionError("no switchboard_request_bodies_bytes in /actuator/prometheus"));
    }

    /** A request the gateway answers itself (an unknown model): the process is alive and serving. */
    private static void assertAnswers() {
        HttpResponse<byte[]> r = gateway.http().post("/v1/chat/completions", "{\"model\":\"no-such-model\",\"messages\":[]}",
                "Authorization", "Bearer " + KEY);
        assertThat(r.statusCode()).isEqualTo(404);
    }
}
