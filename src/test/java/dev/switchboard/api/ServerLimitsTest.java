package dev.switchboard.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;
import org.springframework.boot.reactor.netty.NettyReactiveWebServerFactory;
import org.springframework.boot.reactor.netty.NettyServerCustomizer;

import dev.switchboard.upstream.EventLoops;
import reactor.netty.http.server.HttpServer;

class ServerLimitsTest {
    /** NIO unless Reactor Netty's own switch asks for its native transport (EventLoops says why). */
    @Test
    void theLoopsAreNioByDefault() {
        assumeTrue(System.getProperty("reactor.netty.native") == null, "the tests run with the gateway's defaults");
        assertThat(EventLoops.NATIVE).isFalse();
    }

    /**
     * The server runs on the upstream clients' loops and transport: on another transport's loops, every
     * request's upstream exchange would be handed to another thread and back (UpstreamClientTest has the
     * clients' side).
     */
    @Test
    void theServerRunsOnTheUpstreamClientsLoops() {
        NettyReactiveWebServerFactory factory = new NettyReactiveWebServerFactory();
        new ServerLimits().sharedEventLoops().customize(factory);
        HttpServer server = HttpServer.create();
        for (NettyServerCustomizer customizer : factory.getServerCustomizers()) server = customizer.apply(server);
        assertThat(server.configuration().loopResources()).isSameAs(EventLoops.resources());
        assertThat(server.configuration().isPreferNative()).isEqualTo(EventLoops.NATIVE);
    }
}
