package dev.switchboard.support;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

import reactor.blockhound.BlockHound;
import reactor.blockhound.BlockingMethod;
import reactor.blockhound.integration.BlockHoundIntegration;

/**
 * Makes a blocking call on a thread that must never block (Netty's event loops, Reactor's parallel
 * schedulers) fail the build. BlockHound is installed for the whole test JVM when the launcher session
 * opens; every blocking call it sees is recorded, with its stack, and after each test class the class fails
 * if anything was recorded. Recording rather than throwing keeps the gateway's behaviour under test as it is.
 */
public final class BlockingGuard implements LauncherSessionListener, AfterAllCallback {
    private static final List<String> CALLS = new CopyOnWriteArrayList<>();

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        BlockHound.install(new Rules());
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (CALLS.isEmpty()) return;
        String report = String.join("\n\n", CALLS);
        CALLS.clear();
        throw new AssertionError("A thread that must not block blocked during " + context.getDisplayName() + ":\n" + report);
    }

    /**
     * BlockHound's own list plus file channels (the journal) and SQLite's statement steps and executions,
     * where the embedded ledger reads and writes its file in native code (a ledger query on an event loop
     * would otherwise pass unseen). Anything on the list, called on a non-blocking thread, is recorded.
     * One allowance: Netty 4.2's adaptive allocator frees a retired magazine under that magazine's own
     * {@code StampedLock} when it grows its magazine array under contention. The lock guards a few field
     * writes, as the pooled allocator's arena locks do that Netty's own BlockHound rules already allow; any
     * event loop (the gateway's or Lettuce's) can hit it, so without the allowance the guard fails at random.
     */
    static final class Rules implements BlockHoundIntegration {
        @Override
        public void applyTo(BlockHound.Builder builder) {
            builder.markAsBlocking("sun.nio.ch.FileChannelImpl", "read", "(Ljava/nio/ByteBuffer;)I")
                    .markAsBlocking("sun.nio.ch.FileChannelImpl", "read", "(Ljava/nio/ByteBuffer;J)I")
                    .markAsBlocking("sun.nio.ch.FileChannelImpl", "write", "(Ljava/nio/ByteBuffer;)I")
                    .markAsBlocking("sun.nio.ch.FileChannelImpl", "write", "(Ljava/nio/ByteBuffer;J)I")
                    .markAsBlocking("sun.nio.ch.FileChannelImpl", "force", "(Z)V")
                    .markAsBlocking("org.sqlite.core.NativeDB", "step", "(J)I")
                    .markAsBlocking("org.sqlite.core.NativeDB", "_exec_utf8", "([B)I")
                    .allowBlockingCallsInside("io.netty.buffer.AdaptivePoolingAllocator$Magazine", "free")
                    .blockingMethodCallback(BlockingGuard::record);
        }
    }

    /** The calls recorded so far, taken out of the report: for the guard's own test. */
    static List<String> takeRecorded() {
        List<String> taken = List.copyOf(CALLS);
        CALLS.removeAll(taken);
        return taken;
    }

    private static void record(BlockingMethod method) {
        String stack = Arrays.stream(new Throwable().getStackTrace()).skip(2).limit(40)
                .map(frame -> "\tat " + frame).collect(Collectors.joining("\n"));
        CALLS.add(method + " on " + Thread.currentThread().getName() + "\n" + stack);
    }
}
