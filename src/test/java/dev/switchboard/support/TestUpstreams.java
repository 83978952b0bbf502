package dev.switchboard.support;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

import com.github.tomakehurst.wiremock.WireMockServer;

/**
 * The fake providers every integration test talks to, started once per test JVM on loopback: one WireMock
 * server (each provider under its own path prefix, see switchboard-it.yaml), one scripted SSE upstream, and a
 * port where nothing listens.
 */
public final class TestUpstreams {
    private static final TestUpstreams INSTANCE = new TestUpstreams();

    private final WireMockServer wireMock;
    private final ScriptedUpstream scripted;
    private final int closedPort;

    private TestUpstreams() {
        wireMock = new WireMockServer(options().bindAddress("127.0.0.1").dynamicPort().containerThreads(40));
        wireMock.start();
        scripted = new ScriptedUpstream();
        closedPort = freePort();
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            wireMock.stop();
            scripted.close();
        }));
    }

    public static TestUpstreams get() {
        return INSTANCE;
    }

    public WireMockServer wireMock() {
        return wireMock;
    }

    public ScriptedUpstream scripted() {
        return scripted;
    }

    public String wireMockUrl() {
        return "http://127.0.0.1:" + wireMock.port();
    }

    public int closedPort() {
        return closedPort;
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
