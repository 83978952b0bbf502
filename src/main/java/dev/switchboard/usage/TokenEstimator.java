package dev.switchboard.usage;

import java.util.concurrent.Callable;

import dev.switchboard.protocol.MessageText;
import dev.switchboard.protocol.TokenUsage;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Scheduler;
import reactor.core.scheduler.Schedulers;

/**
 * Counts tokens with a real tokenizer (o200k_base, {@link O200kTokenCounter}) when the upstream reported
 * none: its stream usage was switched off, or the stream broke before the usage came. The count is of the
 * text sent and received ({@link MessageText}), not of JSON syntax; other model families tokenize
 * differently, so the record says "estimated".
 *
 * <p>Counting takes time in proportion to the text, so a long text is counted on threads of its own, never
 * on an event loop, where a long conversation would hold up every connection of that loop.
 */
public final class TokenEstimator {
    private static final O200kTokenCounter TOKENS = O200kTokenCounter.load();
    /** Up to this many bytes (about a millisecond of counting) an event loop counts itself: no thread hop. */
    static final int COUNT_INLINE_BYTES = 16 * 1024;
    /**
     * Not Reactor's parallel scheduler: its workers also fire timeouts, which a second of counting would
     * hold up. One thread per core at most, as counting only computes. Daemon threads: the ledger, not the
     * pool, makes shutdown wait for the records still being counted.
     */
    private static final Scheduler COUNTING = Schedulers.newBoundedElastic(
            Math.max(1, Runtime.getRuntime().availableProcessors()), 10_000, "token-count", 60, true);

    private TokenEstimator() {}

    /** Loads the tokenizer's tables (about 4 MB, read from the jar), so no request thread waits for them. */
    public static void load() {
        count("warm");
    }

    /** @param request the request body; @param responseText the text the upstream produced */
    public static TokenUsage estimate(byte[] request, String responseText) {
        return new TokenUsage(count(MessageText.of(request)), count(responseText), 0, 0, 0);
    }

    /**
     * Runs {@code work}, which counts tokens over about {@code bytes} bytes of text: on a counting thread
     * when it is called on an event loop and the text is long, else where it is called.
     */
    public static <T> Mono<T> offLoop(long bytes, Callable<T> work) {
        Mono<T> result = Mono.fromCallable(work);
        return countsHere(bytes) ? result : result.subscribeOn(COUNTING);
    }

    /** Whether counting {@code bytes} bytes may run on the calling thread. */
    static boolean countsHere(long bytes) {
        return bytes <= COUNT_INLINE_BYTES || !Schedulers.isInNonBlockingThread();
    }

    public static long count(String text) {
        return text.isEmpty() ? 0 : TOKENS.count(text);
    }
}
