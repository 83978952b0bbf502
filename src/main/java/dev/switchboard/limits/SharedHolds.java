package dev.switchboard.limits;

import java.time.Instant;

import reactor.core.publisher.Mono;

/**
 * Budget holds every replica shares (Redis): each budget's credits held by requests in flight and spent in its
 * period, counted in one place, so replicas admitting requests of one budget at once cannot together pass it.
 */
public interface SharedHolds {
    /** The shared figures as a hold found them. */
    record Hold(boolean taken, long spent, long held) {}

    /** Whether holds go to the shared store now; false while it does not answer (holds are then this replica's). */
    boolean available();

    /**
     * Holds {@code credits} on {@code subject}'s budget for the period starting at {@code periodStart}, if its
     * spend (the larger of the shared count and {@code knownSpent}, the ledger's) plus every hold plus these fit
     * in {@code budget}. Fails with an error when the shared store does not answer.
     */
    Mono<Hold> hold(String subject, Instant periodStart, Instant periodEnd, long budget, long knownSpent, long credits);

    /** Releases a hold of {@code held} credits and counts {@code actual} as spent; never fails the caller. */
    void settle(String subject, Instant periodStart, Instant periodEnd, long held, long actual);
}
