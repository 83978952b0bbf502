package dev.switchboard.ops;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

import dev.switchboard.support.GatewayProcess;

/**
 * The packaged gateway runs one event loop per processor it is given, not Reactor Netty's four at least: on a
 * machine of fewer than four processors, four loops wait for cores while holding ready requests. Counted as
 * the process's threads, once new connections (handed to the loops in turn) have started every loop there is.
 */
@EnabledOnOs(OS.LINUX)
class EventLoopsIT {
    @Test
    void oneEventLoopPerProcessor() {
        int processors = Runtime.getRuntime().availableProcessors();
        try (GatewayProcess gateway = GatewayProcess.start("src/test/resources/switchboard-it.yaml", "--it.closed-port=1")) {
            // each on a new connection: Netty hands connections to its loops in turn, starting each loop's thread
            // with its first; twice as many as Reactor Netty's default would start all of its loops too
            for (int i = 0; i < 2 * Math.max(4, processors); i++) {
                assertThat(readinessOnANewConnection(gateway.port())).startsWith("HTTP/1.1 200");
            }
            assertThat(eventLoopThreads(gateway.process().pid())).isEqualTo(processors);
        }
    }

    private static String readinessOnANewConnection(int port) {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("GET /actuator/health/readiness HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Reactor Netty's loop threads are named reactor-http-{transport}-N (epoll here, nio where the native
     * transport is missing); the kernel keeps a thread's first 15 characters.
     */
    private static long eventLoopThreads(long pid) {
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            return tasks.filter(task -> {
                try {
                    return Files.readString(task.resolve("comm")).strip().startsWith("reactor-http-");
                } catch (IOException e) {
                    return false; // the thread ended as it was listed
                }
            }).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
