package dev.switchboard.support;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A client that sends one request after another on a kept-alive connection, as SDKs under load do, and
 * follows HTTP/1.1 to the letter: a response that says {@code Connection: close} ends the connection and the
 * next request goes on a new one. It keeps every outcome: answered (with the request id), or lost (sent,
 * and the connection ended before a whole response came back).
 */
public final class KeepAliveClient implements Runnable {
    /** One request's outcome. */
    public record Outcome(String requestId, int status, boolean connectionClose, String failure) {
        public boolean lost() {
            return failure != null;
        }
    }

    private final int port;
    private final String request;
    private final AtomicBoolean stop;
    private final List<Outcome> outcomes = new ArrayList<>();
    /** Set once the gateway refused a new connection: it no longer accepts. */
    private volatile boolean refused;

    /**
     * @param requestTemplate a whole request head and body; {@code {id}} is replaced by a fresh request id
     */
    public KeepAliveClient(int port, String requestTemplate, AtomicBoolean stop) {
        this.port = port;
        this.request = requestTemplate;
        this.stop = stop;
    }

    public synchronized List<Outcome> outcomes() {
        return List.copyOf(outcomes);
    }

    public boolean refused() {
        return refused;
    }

    private synchronized void add(Outcome outcome) {
        outcomes.add(outcome);
    }

    @Override
    public void run() {
        int sequence = 0;
        while (!stop.get() && !refused) {
            try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
                socket.setSoTimeout(30_000);
                OutputStream out = socket.getOutputStream();
                InputStream in = new BufferedInputStream(socket.getInputStream());
                boolean open = true;
                while (open && !stop.get()) {
                    String id = "keepalive-" + Thread.currentThread().getId() + "-" + sequence++ + "-" + System.nanoTime();
                    Outcome outcome;
                    try {
                        out.write(request.replace("{id}", id).getBytes(StandardCharsets.UTF_8));
                        out.flush();
                        outcome = read(in, id);
                    } catch (IOException e) {
                        outcome = new Outcome(id, 0, false, "sending failed: " + e);
                    }
                    add(outcome);
                    open = !outcome.lost() && !outcome.connectionClose();
                }
            } catch (ConnectException e) {
                refused = true;
            } catch (IOException e) {
                // a connection that failed while idle (not while a request was out) is no loss; try a new one
            }
        }
    }

    private static Outcome read(InputStream in, String id) {
        try {
            String statusLine = line(in);
            if (statusLine == null) return new Outcome(id, 0, false, "the connection ended before a response");
            int status = Integer.parseInt(statusLine.split(" ")[1]);
            long length = -1;
            boolean chunked = false;
            boolean close = false;
            String header;
            while ((header = line(in)) != null && !header.isEmpty()) {
                String lower = header.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) length = Long.parseLong(lower.substring(15).strip());
                if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) chunked = true;
                if (lower.startsWith("connection:") && lower.contains("close")) close = true;
            }
            if (header == null) return new Outcome(id, status, false, "the connection ended inside the response head");
            if (chunked) {
                while (true) {
                    String size = line(in);
                    if (size == null) return new Outcome(id, status, close, "the connection ended inside a chunked body");
                    long n = Long.parseLong(size.strip(), 16);
                    if (!skip(in, n + 2)) return new Outcome(id, status, close, "the connection ended inside a chunk");
                    if (n == 0) break;
                }
            } else if (length >= 0 && !skip(in, length)) {
                return new Outcome(id, status, close, "the connection ended inside the body");
            }
            return new Outcome(id, status, close, null);
        } catch (IOException e) {
            return new Outcome(id, 0, false, e.toString());
        }
    }

    private static boolean skip(InputStream in, long n) throws IOException {
        for (long left = n; left > 0; left--) {
            if (in.read() < 0) return false;
        }
        return true;
    }

    /** A CRLF-ended line, or null at the end of the stream. */
    private static String line(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int b;
        while ((b = in.read()) >= 0) {
            if (b == '\n') {
                byte[] all = bytes.toByteArray();
                int end = all.length > 0 && all[all.length - 1] == '\r' ? all.length - 1 : all.length;
                return new String(all, 0, end, StandardCharsets.ISO_8859_1);
            }
            bytes.write(b);
        }
        return null;
    }
}
