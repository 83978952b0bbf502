package dev.switchboard.support;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * The packaged gateway as a real process on a loopback port, with the container's JVM flags
 * (docker/jvm.options): what an attacker or an operator meets. Its ledger is an H2 file of its own; its log
 * goes to a file printed into the test report when the process is closed.
 */
public final class GatewayProcess implements AutoCloseable {
    public static final Path JAR = Path.of("target", "switchboard.jar");
    private static final Path JVM_OPTIONS = Path.of("docker", "jvm.options");

    private final Path data;
    private final int port;
    private Process process;

    private GatewayProcess(Path data, int port) {
        this.data = data;
        this.port = port;
    }

    /**
     * Starts the jar and waits until it is ready.
     *
     * @param routes the routes file
     * @param args   more Spring arguments ({@code --name=value})
     */
    public static GatewayProcess start(String routes, String... args) {
        return start(routes, Path.of("target", "it-data", "process-" + UUID.randomUUID()).toAbsolutePath(), args);
    }

    /** A gateway on the ledger, journal and log of {@code data}: another start of one that ran there before. */
    public static GatewayProcess start(String routes, Path data, String... args) {
        if (!Files.exists(JAR)) throw new AssertionError("the packaged jar " + JAR + " is missing (failsafe runs after package)");
        GatewayProcess gateway = new GatewayProcess(data, freePort());
        try {
            Files.createDirectories(data);
            String java = ProcessHandle.current().info().command().orElse("java");
            List<String> command = new ArrayList<>(List.of(java, "@" + JVM_OPTIONS, "-jar", JAR.toString(),
                    "--server.port=" + gateway.port, "--server.address=127.0.0.1",
                    "--switchboard.config=" + routes,
                    "--switchboard.ledger.file=" + gateway.ledgerFile(),
                    "--switchboard.usage.journal=" + data.resolve("journal.jsonl"),
                    "--switchboard.usage.record-log=" + data.resolve("usage-log"),
                    "--it.scripted=" + TestUpstreams.get().scripted().url(),
                    "--it.wiremock=" + TestUpstreams.get().wireMockUrl()));
            command.addAll(List.of(args));
            gateway.process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(data.resolve("gateway.log").toFile()).start();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RawHttp raw = gateway.http();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> !gateway.process.isAlive()
                        || raw.send(raw.request("/actuator/health/readiness").GET().build()).statusCode() == 200);
        if (!gateway.process.isAlive()) throw new AssertionError("the gateway exited at start-up:\n" + gateway.log());
        return gateway;
    }

    public int port() {
        return port;
    }

    public String url() {
        return "http://127.0.0.1:" + port;
    }

    public RawHttp http() {
        return new RawHttp(url());
    }

    public Process process() {
        return process;
    }

    public boolean alive() {
        return process.isAlive();
    }

    /** The ledger's SQLite file, for reading what the process stored once it is gone (see {@link LedgerFiles}). */
    public Path ledgerFile() {
        return data.resolve("switchboard.db");
    }

    public Path data() {
        return data;
    }

    public String log() {
        try {
            Path log = data.resolve("gateway.log");
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(log unreadable: " + e + ")";
        }
    }

    /** SIGTERM, as docker stop and Kubernetes send. */
    public void terminate() {
        process.destroy();
    }

    /** SIGKILL, as the OOM killer sends: no shutdown hook runs; returns once the process is gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(30, TimeUnit.SECONDS)) throw new AssertionError("the gateway outlived SIGKILL");
    }

    public boolean waitFor(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Kills the process if it still runs, and prints its log into the test report. */
    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        System.out.println("gateway.log:\n" + log());
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
