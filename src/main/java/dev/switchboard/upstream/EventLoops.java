package dev.switchboard.upstream;

import reactor.netty.http.HttpResources;
import reactor.netty.resources.LoopResources;

/**
 * The event loops the server and every upstream client run on: Reactor Netty's global ones, on the JDK's NIO
 * selector rather than Netty's native epoll transport.
 * <p>
 * Why NIO: Reactor Netty turns reading off and on again around every exchange, on the client's connection and
 * on the upstream's (each exchange's receiver starts with auto-read off, and reading resumes once someone
 * asks for the body). On epoll each turn is an {@code epoll_ctl} system call, four a proxied request. NIO's
 * selector applies a changed interest set at its next select, so reading turned off and back on within one
 * pass of the loop costs no system call at all (docs/benchmark.md has what that is worth a request).
 * <p>
 * The server and the clients must share these loops: a request's upstream connection lives on the loop that
 * took the request ({@link UpstreamClient}), and on loops of another transport it would live on another thread.
 * <p>
 * {@code -Dreactor.netty.native=true}, Reactor Netty's own switch, puts the gateway back on epoll (where the
 * native library loads), to compare the two or should NIO misbehave somewhere.
 */
public final class EventLoops {
    /** Whether the loops are Netty's native ones (epoll) rather than NIO's: only when asked for. */
    public static final boolean NATIVE = Boolean.getBoolean("reactor.netty.native");

    private EventLoops() {}

    /** The loops themselves, which Spring's server factory also starts from (its global Reactor Netty resources). */
    public static LoopResources resources() {
        return HttpResources.get();
    }
}
