package dev.switchboard.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A loopback TCP forwarder to put between the gateway and its database, so a test can make the store go
 * away (port closed, open connections dropped) and come back on the same port, or go silent: a black hole
 * holds every byte in both directions, new connections' too, without closing anything, as a network that
 * drops packets does, until it is restored and what was held flows on. It can also close a connection that
 * has carried no byte either way for a while, as load balancers do ({@link #closeIdleAfter}).
 */
public final class TcpProxy implements AutoCloseable {
    private final String targetHost;
    private final int targetPort;
    private final List<Socket> open = new CopyOnWriteArrayList<>();
    private final AtomicInteger accepted = new AtomicInteger();
    private volatile ServerSocket server;
    private volatile boolean blackHoled;
    private volatile long idleNanos;
    private int port;

    public TcpProxy(String targetHost, int targetPort) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
    }

    /**
     * Listens (again) on its port. The first start picks a free port below Linux's ephemeral range, so that
     * while the proxy is stopped no outgoing connection takes its port; a re-bind is retried briefly while the
     * kernel lets go of the old socket.
     */
    public synchronized TcpProxy start() throws IOException {
        ServerSocket socket = null;
        IOException last = null;
        for (int attempt = 0; attempt < 100 && socket == null; attempt++) {
            int candidate = port != 0 ? port : 20_000 + java.util.concurrent.ThreadLocalRandom.current().nextInt(10_000);
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            try {
                s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), candidate));
                socket = s;
            } catch (IOException e) {
                s.close();
                last = e;
                if (port != 0) {
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException interrupted) {
                        Thread.currentThread().interrupt();
                        throw e;
                    }
                }
            }
        }
        if (socket == null) throw last;
        port = socket.getLocalPort();
        ServerSocket listening = socket;
        server = listening;
        Thread acceptor = new Thread(() -> accept(listening), "tcp-proxy-accept");
        acceptor.setDaemon(true);
        acceptor.start();
        return this;
    }

    public int port() {
        return port;
    }

    /** Connections taken since the proxy was made: how many the client opened. */
    public int accepted() {
        return accepted.get();
    }

    /**
     * Closes each connection that carries no byte in either direction for this long, as AWS ALB, nginx and
     * Cloudflare do with their idle timeouts.
     */
    public TcpProxy closeIdleAfter(java.time.Duration idle) {
        idleNanos = idle.toNanos();
        return this;
    }

    /** Holds every byte from now on, in both directions, on open and new connections alike. */
    public void blackHole() {
        blackHoled = true;
    }

    /** Lets what was held, and everything after it, through again. */
    public void restore() {
        blackHoled = false;
    }

    /** Closes the port and drops every open connection. */
    public synchronized void stop() throws IOException {
        if (server != null) server.close();
        for (Socket s : open) s.close();
        open.clear();
    }

    @Override
    public void close() throws IOException {
        stop();
    }

    private void accept(ServerSocket socket) {
        while (!socket.isClosed()) {
            try {
                Socket client = socket.accept();
                accepted.incrementAndGet();
                Socket upstream = new Socket(targetHost, targetPort);
                open.add(client);
                open.add(upstream);
                java.util.concurrent.atomic.AtomicLong lastByte = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
                pump(client, upstream, lastByte);
                pump(upstream, client, lastByte);
            } catch (IOException e) {
                return; // closed by stop()
            }
        }
    }

    private void pump(Socket from, Socket to, java.util.concurrent.atomic.AtomicLong lastByte) {
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                from.setSoTimeout(50);
                while (true) {
                    int n;
                    try {
                        n = in.read(buffer);
                    } catch (java.net.SocketTimeoutException quiet) {
                        if (idleNanos > 0 && System.nanoTime() - lastByte.get() > idleNanos) break; // idle: closed below
                        continue;
                    }
                    if (n < 0) break;
                    lastByte.set(System.nanoTime());
                    while (blackHoled && !from.isClosed()) Thread.sleep(10);
                    out.write(buffer, 0, n);
                    out.flush();
                }
            } catch (IOException e) {
                // either side went away
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                try {
                    from.close();
                    to.close();
                } catch (IOException ignored) {
                    // already closed
                }
            }
        }, "tcp-proxy-pump");
        t.setDaemon(true);
        t.start();
    }
}
