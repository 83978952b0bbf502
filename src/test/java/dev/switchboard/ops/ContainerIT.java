package dev.switchboard.ops;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.BindMode;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.output.Slf4jLogConsumer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;

import dev.switchboard.support.ProviderShapes;
import dev.switchboard.support.RawHttp;
import dev.switchboard.support.ScriptedUpstream;
import dev.switchboard.support.StreamDuringStop;
import dev.switchboard.support.TestUpstreams;
import dev.switchboard.usage.UsageRecord;
import dev.switchboard.support.LedgerFiles;
import dev.switchboard.usage.Outcome;

/**
 * The gateway image built from docker/Dockerfile.prebuilt (on {@code SWITCHBOARD_RUNTIME_IMAGE}, which .ci/run
 * builds offline) and run with host networking and a read-only root file system (the ledger's SQLite file, journal
 * and record log on the /data volume; SQLite's native library from the image, not unpacked into /tmp) against the
 * test's fake upstreams, on the AOT cache its build made: a stream arrives unchanged,
 * a plain request is recorded, and SIGTERM during a stream lets it finish, keeps its record, and exits 0.
 * Skipped, saying so, where no Docker engine runs.
 */
class ContainerIT {
    private final TestUpstreams upstreams = TestUpstreams.get();
    private GenericContainer<?> gateway;

    @AfterEach
    void stop() {
        if (gateway != null) gateway.stop();
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    @Test
    void theImageServesRecordsAndStopsGracefully() throws Exception {
        Assumptions.assumeTrue(DockerClientFactory.instance().isDockerAvailable(),
                "No Docker engine here: the container test did not run (.ci/run starts one where it can)");
        String runtime = System.getenv().getOrDefault("SWITCHBOARD_RUNTIME_IMAGE", "eclipse-temurin:25-jre");
        ImageFromDockerfile image = new ImageFromDockerfile("switchboard-it", false)
                .withFileFromPath("Dockerfile", Path.of("docker/Dockerfile.prebuilt"))
                .withFileFromPath("target/switchboard.jar", Path.of("target/switchboard.jar"))
                .withFileFromPath("config/switchboard.yaml", Path.of("config/switchboard.yaml"))
                .withFileFromPath("docker/healthcheck.sh", Path.of("docker/healthcheck.sh"))
                .withFileFromPath("docker/jvm.options", Path.of("docker/jvm.options"))
                .withFileFromPath("docker/install-app.sh", Path.of("docker/install-app.sh"))
                .withFileFromPath("target/native", Path.of("target/native"))
                .withBuildArg("RUNTIME_IMAGE", runtime);

        Path data = Files.createDirectories(Path.of("target", "it-data", "container-" + UUID.randomUUID()).toAbsolutePath());
        Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxrwxrwx")); // the image runs as uid 10001
        int port = freePort();
        ScriptedUpstream scripted = upstreams.scripted();
        scripted.clear();
        upstreams.wireMock().resetAll();
        gateway = new GenericContainer<>(image)
                .withNetworkMode("host")
                .withEnv("PORT", Integer.toString(port))
                .withEnv("IT_WIREMOCK", upstreams.wireMockUrl())
                .withEnv("IT_SCRIPTED", scripted.url())
                .withEnv("SWITCHBOARD_SHUTDOWN_GRACE", "20s")
                // the image's JVM runs on the AOT cache its build made: on, rather than the image's auto, a JVM
                // that cannot map it or finds it made for other classes or flags stops at once, and the test fails
                .withEnv("JAVA_TOOL_OPTIONS", "-XX:AOTMode=on")
                // bound, not copied: nothing can be copied into a read-only root file system
                .withFileSystemBind(Path.of("src/test/resources/switchboard-container.yaml").toAbsolutePath().toString(),
                        "/config/switchboard.yaml", BindMode.READ_ONLY)
                .withFileSystemBind(data.toString(), "/data", BindMode.READ_WRITE)
                // docker run --read-only: only the /data volume takes writes, no /tmp either
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig().withReadonlyRootfs(true))
                .withLogConsumer(new Slf4jLogConsumer(LoggerFactory.getLogger("container")))
                .waitingFor(Wait.forLogMessage(".*Started SwitchboardApplication.*", 1).withStartupTimeout(Duration.ofMinutes(2)));
        gateway.start();
        RawHttp raw = new RawHttp("http://127.0.0.1:" + port);

        // a stream, dribbled in pieces, arrives byte for byte; a plain answer is recorded
        byte[] sent = ProviderShapes.TOGETHER_TOOL_CALL_STREAM.getBytes(StandardCharsets.UTF_8);
        upstreams.wireMock().stubFor(post("/together/v1/chat/completions").withRequestBody(containing("\"stream\":true"))
                .willReturn(aResponse().withHeader("Content-Type", "text/event-stream").withBody(sent).withChunkedDribbleDelay(9, 300)));
        upstreams.wireMock().stubFor(post("/together/v1/chat/completions").withRequestBody(containing("\"stream\":false"))
                .willReturn(okJson(ProviderShapes.TOGETHER_TOOL_CALL)));
        HttpResponse<byte[]> streamed = raw.post("/v1/chat/completions",
                "{\"model\":\"m1-together\",\"stream\":true,\"stream_options\":{\"include_usage\":true},\"messages\":[]}",
                "Authorization", "Bearer sk-team-a");
        assertThat(streamed.body()).isEqualTo(sent);
        String plainId = "container-" + UUID.randomUUID();
        assertThat(raw.post("/v1/chat/completions", "{\"model\":\"m1-together\",\"stream\":false,\"messages\":[]}",
                "Authorization", "Bearer sk-team-a", "x-request-id", plainId).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> raw.send(raw.request("/admin/usage/" + plainId)
                .header("Authorization", "Bearer it-admin-key").GET().build()).statusCode() == 200);
        assertThat(RawHttp.json(raw.send(raw.request("/admin/usage/" + plainId).header("Authorization", "Bearer it-admin-key")
                .GET().build())).get("records").get(0).get("credits").asLong()).isEqualTo(72);

        // the image's HEALTHCHECK (readiness through plain bash) reports healthy
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> "healthy".equals(
                gateway.getDockerClient().inspectContainerCmd(gateway.getContainerId()).exec().getState().getHealth().getStatus()));

        // SIGTERM in the middle of a stream
        String streamId = "container-" + UUID.randomUUID();
        String received = StreamDuringStop.run(raw, scripted, streamId,
                () -> gateway.getDockerClient().killContainerCmd(gateway.getContainerId()).withSignal("TERM").exec());
        assertThat(received).isEqualTo(StreamDuringStop.FIRST + StreamDuringStop.REST);

        await().atMost(Duration.ofSeconds(60)).until(() -> !Boolean.TRUE.equals(gateway.getDockerClient()
                .inspectContainerCmd(gateway.getContainerId()).exec().getState().getRunning()));
        Long exit = gateway.getDockerClient().inspectContainerCmd(gateway.getContainerId()).exec().getState().getExitCodeLong();
        assertThat(exit).isZero();
        List<UsageRecord> kept = LedgerFiles.byRequestId(data.resolve("switchboard.db"), streamId);
        assertThat(kept).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo(Outcome.OK);
            assertThat(r.credits()).isEqualTo(8);
        });
    }
}
