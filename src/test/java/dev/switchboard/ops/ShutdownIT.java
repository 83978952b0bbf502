package dev.switchboard.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import dev.switchboard.support.RawHttp;
import dev.switchboard.support.ScriptedUpstream;
import dev.switchboard.support.StreamDuringStop;
import dev.switchboard.support.TestUpstreams;
import dev.switchboard.usage.UsageRecord;
import dev.switchboard.usage.UsageStore;
import io.r2dbc.spi.ConnectionFactories;

/**
 * The packaged gateway as a real process: SIGTERM in the middle of a stream lets the stream finish, keeps
 * its usage record, and ends the process with exit code 0.
 */
class ShutdownIT {
    private static final Path JAR = Path.of("target", "switchboard.jar");
    private final Path data = Path.of("target", "it-data", "shutdown-" + UUID.randomUUID()).toAbsolutePath();
    private Process gateway;

    @AfterEach
    void kill() throws IOException {
        if (gateway != null && gateway.isAlive()) gateway.destroyForcibly();
        Path log = data.resolve("gateway.log");
        if (Files.exists(log)) System.out.println("gateway.log:\n" + Files.readString(log)); // in the failsafe report
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void sigtermLetsTheStreamFinishKeepsItsRecordAndExitsZero() throws Exception {
        assertThat(JAR).as("the packaged jar (failsafe runs after package)").exists();
        ScriptedUpstream scripted = TestUpstreams.get().scripted();
        scripted.clear();
        int port = freePort();
        String db = "r2dbc:h2:file:///" + data.resolve("switchboard") + ";MODE=PostgreSQL;DB_CLOSE_DELAY=-1";
        Files.createDirectories(data);
        String java = ProcessHandle.current().info().command().orElse("java");
        gateway = new ProcessBuilder(List.of(java, "-jar", JAR.toString(),
                "--server.port=" + port, "--server.address=127.0.0.1",
                "--switchboard.config=src/test/resources/switchboard-shutdown.yaml",
                "--spring.r2dbc.url=" + db, "--switchboard.usage.journal=" + data.resolve("journal.jsonl"),
                "--it.scripted=" + scripted.url(), "--spring.lifecycle.timeout-per-shutdown-phase=20s"))
                .redirectErrorStream(true).redirectOutput(data.resolve("gateway.log").toFile()).start();

        RawHttp raw = new RawHttp("http://127.0.0.1:" + port);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> raw.send(raw.request("/actuator/health/readiness").GET().build()).statusCode() == 200);

        String requestId = "shutdown-" + UUID.randomUUID();
        String received = StreamDuringStop.run(raw, scripted, requestId, () -> {
            gateway.destroy(); // SIGTERM
        });
        assertThat(received).isEqualTo(StreamDuringStop.FIRST + StreamDuringStop.REST);
        assertThat(gateway.waitFor(60, TimeUnit.SECONDS)).as("the process ended").isTrue();
        assertThat(gateway.exitValue()).isZero();
        // a store call failing on the way down (a pooled connection closed under the writer, say) logs a warning
        // and sends the record to the journal: the record below would be missing, and this says why
        assertThat(Files.readAllLines(data.resolve("gateway.log"))).as("lines logged at WARN or ERROR")
                .noneMatch(line -> line.matches("^\\S+ +(WARN|ERROR) .*"));

        List<UsageRecord> kept = new UsageStore(ConnectionFactories.get(db)).byRequestId(requestId).collectList().block(Duration.ofSeconds(10));
        assertThat(kept).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(UsageRecord.OK);
            assertThat(r.promptTokens()).isEqualTo(4);
            assertThat(r.completionTokens()).isEqualTo(2);
            assertThat(r.credits()).isEqualTo(8);
        });
    }
}
