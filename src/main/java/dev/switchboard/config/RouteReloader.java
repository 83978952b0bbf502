package dev.switchboard.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.function.LongSupplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Reloads the routes file when it changes (checked every {@code interval}; works for mounted files and
 * for config maps that swap a symlink) and on demand. A change is read once the file has stayed the same for
 * {@code settle}: a file written in place is read once it is complete, not while it is a valid prefix of
 * itself. A good file is swapped in atomically: requests in flight finish on the table they started with,
 * new ones take the new one, none is dropped. A bad file is refused, logged with its file, line and field,
 * and kept as {@link #lastError()}; the running table stays.
 */
public class RouteReloader implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(RouteReloader.class);

    /** The outcome of the last reload attempt. */
    public record Attempt(Instant at, boolean applied, List<String> problems) {}

    private final ConfigLoader loader;
    private final CurrentRouteTable current;
    private final Path file;
    private final Duration interval;
    private final long settleNanos;
    private final LongSupplier clock;
    private volatile byte[] lastDigest;
    /** A change seen by the watcher but not read yet, and when it was first seen with this content. */
    private volatile byte[] pendingDigest;
    private long pendingSince;
    private volatile Attempt lastAttempt;
    private volatile boolean running;
    private Thread watcher;

    public RouteReloader(ConfigLoader loader, CurrentRouteTable current, Path file, Duration interval, Duration settle) {
        this(loader, current, file, interval, settle, System::nanoTime);
    }

    RouteReloader(ConfigLoader loader, CurrentRouteTable current, Path file, Duration interval, Duration settle, LongSupplier clock) {
        this.loader = loader;
        this.current = current;
        this.file = file;
        this.interval = interval;
        this.settleNanos = settle.toNanos();
        this.clock = clock;
        this.lastDigest = digest();
    }

    /**
     * Reads the file now; synchronised so a watcher tick and an admin call do not interleave. The running table
     * is passed to the loader, which refuses a file that drops every client key or the admin key without
     * saying so.
     */
    public synchronized Attempt reload() {
        byte[] digest = digest();
        pendingDigest = null;
        try {
            RouteTable next = loader.load(file, current.get());
            current.swap(next);
            lastAttempt = new Attempt(Instant.now(), true, List.of());
            log.info("Reloaded {}: {} upstreams, {} routes, {} client keys", file, next.upstreams().size(),
                    next.routes().size(), next.keysByDigest().size());
        } catch (ConfigException e) {
            lastAttempt = new Attempt(Instant.now(), false, e.problems());
            log.warn("Refused the changed routes file; the previous routes stay in force. {}", e.getMessage());
        }
        lastDigest = digest;
        return lastAttempt;
    }

    /** The last attempt that was refused, while no later one succeeded; null otherwise. */
    public Attempt lastError() {
        Attempt a = lastAttempt;
        return a == null || a.applied() ? null : a;
    }

    public Path file() {
        return file;
    }

    private void watch() {
        while (running) {
            try {
                // a change waiting to settle is looked at again once it may have
                Thread.sleep(pendingDigest != null ? Math.max(1, settleNanos / 1_000_000) : interval.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            check();
        }
    }

    /**
     * One look at the file: a content not yet applied is read once it has stayed the same for the settle time.
     *
     * @return the attempt, if the file was read
     */
    synchronized Attempt check() {
        byte[] digest = digest();
        if (digest == null || Arrays.equals(digest, lastDigest)) {
            pendingDigest = null;
            return null;
        }
        long now = clock.getAsLong();
        if (!Arrays.equals(digest, pendingDigest)) {
            pendingDigest = digest;
            pendingSince = now;
        }
        return now - pendingSince >= settleNanos ? reload() : null;
    }

    /** The file's content digest (a timestamp can stay the same across a quick edit); null if unreadable. */
    private byte[] digest() {
        try {
            return MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file));
        } catch (IOException e) {
            return null;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void start() {
        running = true;
        if (interval.isZero() || interval.isNegative()) return;
        watcher = new Thread(this::watch, "routes-reloader");
        watcher.setDaemon(true);
        watcher.start();
    }

    @Override
    public void stop() {
        running = false;
        if (watcher != null) watcher.interrupt();
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
