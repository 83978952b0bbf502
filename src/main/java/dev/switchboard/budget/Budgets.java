package dev.switchboard.budget;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.switchboard.config.BudgetCalendar;
import dev.switchboard.config.BudgetPeriod;
import dev.switchboard.config.ClientKey;
import dev.switchboard.config.Team;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.limits.SharedHolds;
import dev.switchboard.usage.UsageLedger;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;

/**
 * Credit budgets, reserve then settle: a request is admitted only if its worst-case cost fits in what its
 * key's budget (and its team's) has left after the period's spend and every reservation of requests in
 * flight; its reservation is held until its record is on the ledger's account, then released. Concurrent
 * requests therefore overshoot a budget only by what some of them cost beyond their reservation, and that
 * overshoot is counted ({@code switchboard.budget.overshoot}).
 * <p>
 * With Redis ({@link SharedHolds}), holds and the period's spend are counted there for every replica; without
 * it, or while it does not answer, each replica holds alone and sees the others' spend once it is in the store
 * (within about a second), not their requests in flight.
 */
public class Budgets {
    private static final Logger log = LoggerFactory.getLogger(Budgets.class);

    /** Who a team's members are, and the ledger's name of a team's spend: a team's budget counts them all. */
    public interface Members {
        Members NONE = team -> List.of();

        List<String> of(String team);
    }

    private final UsageLedger ledger;
    private final BudgetCalendar calendar;
    private final Members members;
    private final ConcurrentHashMap<String, AtomicLong> reserved = new ConcurrentHashMap<>();
    /** How long a request waits for its budget period's first sum before it is told to retry (503). */
    private static final Duration FIRST_SUM_WAIT = Duration.ofSeconds(5);
    private final Counter overshoot;
    private final MeterRegistry meters;
    /** Each budget admission has seen, as its gauges read it now (the latest key, as reloads and the API change it). */
    private final ConcurrentHashMap<String, Supplier<Status>> watched = new ConcurrentHashMap<>();

    /** Holds every replica shares, or null: each replica holds alone. */
    private final SharedHolds shared;

    public Budgets(UsageLedger ledger, Members members, MeterRegistry meters) {
        this(ledger, members, null, meters);
    }

    public Budgets(UsageLedger ledger, Members members, SharedHolds shared, MeterRegistry meters) {
        this.shared = shared;
        this.ledger = ledger;
        this.meters = meters;
        this.calendar = ledger.calendar();
        this.members = members;
        this.overshoot = Counter.builder("switchboard.budget.overshoot").baseUnit("credits")
                .description("Credits requests cost past their budget, beyond what they reserved at admission").register(meters);
    }

    /** A budget as it stands: its period's spend, what requests in flight hold, and when it starts afresh. */
    public record Status(String subject, long budget, BudgetPeriod period, long spent, long reserved, Instant resetsAt) {
        public long remaining() {
            return Math.max(0, budget - Math.max(0, spent) - reserved);
        }
    }

    /** The key's own budget, or null if it has none. */
    public Status keyStatus(ClientKey key) {
        if (key.credits() == null) return null;
        return new Status(key.name(), ledger.budget(key), key.period(), ledger.spent(key.name(), key.period()),
                held(key.name()), calendar.resetsAt(key.period()));
    }

    /** The team's budget, or null if it has none. */
    public Status teamStatus(Team team) {
        if (team == null || team.credits() == null) return null;
        return new Status(team.subject(), team.credits(), team.period(), teamSpent(team), held(team.subject()), calendar.resetsAt(team.period()));
    }

    private long teamSpent(Team team) {
        long sum = 0;
        for (String key : members.of(team.name())) {
            long spent = ledger.spent(key, team.period());
            if (spent < 0) return -1;
            sum = Math.addExact(sum, spent);
        }
        return sum;
    }

    private long held(String subject) {
        AtomicLong r = reserved.get(subject);
        return r == null ? 0 : r.get();
    }

    /** Refuses (402) a key whose budget, or whose team's, is spent already: before its body is read. */
    public void admit(ClientKey key) {
        if (!key.budgeted()) return;
        Status own = keyStatus(key);
        if (own != null && own.spent() >= 0 && own.spent() >= own.budget()) throw spent(key, own, 0);
        Status team = teamStatus(key.team());
        if (team != null && team.spent() >= 0 && team.spent() >= team.budget()) throw spent(key, team, 0);
    }

    /**
     * Reserves {@code credits}, the request's worst-case cost, on its key's budget and its team's, or refuses it:
     * 402 with when the budget starts afresh, 503 for a second while the ledger first sums a period. Through the
     * shared holds when there are (every budget asked at once), else, or while they do not answer, on this replica.
     */
    public Mono<Reservation> hold(ClientKey key, long credits) {
        if (!key.budgeted()) return Mono.just(Reservation.NONE);
        // a period no budget followed until now (a new key, a first request after start): wait for its first sum
        java.util.concurrent.CompletableFuture<Void> summing = key.credits() == null ? null : ledger.summed(key.period());
        if (summing == null && key.team() != null && key.team().credits() != null) summing = ledger.summed(key.team().period());
        if (summing != null) {
            // completed by the ledger's writer thread: the request goes on elsewhere
            return Mono.fromFuture(summing, true).timeout(FIRST_SUM_WAIT, Mono.empty()).publishOn(reactor.core.scheduler.Schedulers.parallel())
                    .then(Mono.defer(() -> held(key, credits)));
        }
        return held(key, credits);
    }

    private Mono<Reservation> held(ClientKey key, long credits) {
        if (shared == null || !shared.available()) return Mono.fromCallable(() -> reserve(key, credits));
        return Mono.defer(() -> {
            // made first, so whatever ends this (a refusal, Redis away, the client gone) gives back what it holds
            Reservation reservation = new Reservation(this, key, new ArrayList<>(2), credits);
            Mono<Void> own = key.credits() == null ? Mono.empty() : holdShared(key, key.name(), credits, () -> keyStatus(key), reservation);
            Team team = key.team();
            Mono<Void> theirs = team == null || team.credits() == null ? Mono.empty()
                    : holdShared(key, team.subject(), credits, () -> teamStatus(team), reservation);
            // both budgets asked at once (one round trip), each answer awaited, so a hold one refusal leaves is given back
            return Mono.whenDelayError(own, theirs)
                    .thenReturn(reservation)
                    .doOnCancel(() -> reservation.settle(0))
                    .onErrorResume(e -> {
                        reservation.settle(0);
                        // a refusal stands; anything else (Redis away) holds on this replica instead
                        return e instanceof GatewayException ? Mono.error(e) : Mono.fromCallable(() -> reserve(key, credits));
                    });
        });
    }

    private Mono<Void> holdShared(ClientKey key, String subject, long credits, Supplier<Status> status, Reservation reservation) {
        return Mono.defer(() -> {
            watch(subject, status);
            Status now = status.get();
            if (now.spent() < 0) return Mono.error(summing(now));
            Instant start = calendar.start(now.period());
            return shared.hold(subject, start, now.resetsAt(), now.budget(), now.spent(), credits).flatMap(h -> {
                if (!h.taken()) {
                    return Mono.error(spent(key, new Status(subject, now.budget(), now.period(), h.spent(), h.held(), now.resetsAt()), credits));
                }
                reservation.add(new Held(subject, true, start, now.resetsAt()));
                return Mono.empty();
            });
        });
    }

    /** The same on this replica alone: its spend view and its own holds. */
    public Reservation reserve(ClientKey key, long credits) {
        if (!key.budgeted()) return Reservation.NONE;
        List<Held> taken = new ArrayList<>(2);
        try {
            if (key.credits() != null) {
                take(key, key.name(), credits, () -> keyStatus(key));
                taken.add(new Held(key.name(), false, null, null));
            }
            Team team = key.team();
            if (team != null && team.credits() != null) {
                take(key, team.subject(), credits, () -> teamStatus(team));
                taken.add(new Held(team.subject(), false, null, null));
            }
        } catch (RuntimeException e) {
            for (Held h : taken) reserved.get(h.subject()).addAndGet(-credits);
            throw e;
        }
        return new Reservation(this, key, taken, credits);
    }

    private GatewayException summing(Status now) {
        return new GatewayException(ErrorKind.OVERLOADED, "The gateway is still summing this budget's " + now.period().wireName()
                + " spend; retry in a second", null, null, Duration.ofSeconds(1));
    }

    private void take(ClientKey key, String subject, long credits, Supplier<Status> status) {
        watch(subject, status);
        AtomicLong held = reserved.computeIfAbsent(subject, s -> new AtomicLong());
        while (true) {
            long before = held.get();
            Status now = status.get();
            if (now.spent() < 0) throw summing(now);
            // spent, then what others hold, then this request: the check and the hold are one step (the CAS)
            if (now.spent() + before + credits > now.budget()) throw spent(key, now, credits);
            if (held.compareAndSet(before, before + credits)) return;
        }
    }

    /**
     * A budget's gauges, from its first request on: {@code switchboard.budget.limit}, {@code .spent} (this
     * period), {@code .reserved} and {@code .resets} (when the period ends, in seconds since the epoch).
     */
    private void watch(String subject, Supplier<Status> status) {
        if (watched.put(subject, status) != null) return;
        gauge("switchboard.budget.limit", "Credits the budget allows each period", subject, Status::budget);
        gauge("switchboard.budget.spent", "Credits spent in the budget's current period", subject, Status::spent);
        gauge("switchboard.budget.reserved", "Credits held by requests in flight", subject, Status::reserved);
        gauge("switchboard.budget.resets", "When the budget's period starts afresh, in seconds since the epoch", subject,
                st -> st.resetsAt() == null ? Double.NaN : st.resetsAt().getEpochSecond());
    }

    private void gauge(String name, String description, String subject, java.util.function.ToDoubleFunction<Status> value) {
        io.micrometer.core.instrument.Gauge.builder(name, watched, w -> {
            Status st = w.get(subject).get();
            return st == null ? Double.NaN : value.applyAsDouble(st);
        }).description(description).baseUnit(name.endsWith("resets") ? "seconds" : "credits").tag("budget", subject).register(meters);
    }

    /** The largest overrun reported of a budget in its current period: the counter goes up by what is new. */
    private record Overrun(Instant periodStart, AtomicLong reported) {}

    private final ConcurrentHashMap<String, Overrun> overruns = new ConcurrentHashMap<>();

    private void overrun(ClientKey key, Status status) {
        long over = status.spent() - status.budget();
        Instant start = calendar.start(status.period());
        Overrun held = overruns.compute(status.subject(), (s, o) -> o != null && o.periodStart().equals(start) ? o : new Overrun(start, new AtomicLong()));
        long before = held.reported().getAndAccumulate(over, Math::max);
        if (over <= before) return;
        overshoot.increment(over - before);
        log.info("Requests of key '{}' cost more than they reserved: {} is {} credits past its budget of {}", key.name(),
                status.subject(), over, status.budget());
    }

    private GatewayException spent(ClientKey key, Status status, long credits) {
        String whose = status.subject().equals(key.name()) ? "The key '" + key.name() + "'" : "The team of key '" + key.name() + "'";
        String period = switch (status.period()) {
            case NONE -> "";
            case DAILY -> " today";
            case WEEKLY -> " this week";
            case MONTHLY -> " this month";
        };
        StringBuilder message = new StringBuilder(whose).append(" has used ").append(status.spent()).append(" of its ")
                .append(status.budget()).append(" credits").append(period);
        if (status.reserved() > 0) message.append(", and requests in flight hold ").append(status.reserved());
        if (credits > 0 && status.spent() + status.reserved() < status.budget()) {
            message.append("; this request could cost up to ").append(credits).append(" (lower max_tokens to ask for less)");
        }
        Duration retry = null;
        if (status.resetsAt() != null) {
            message.append("; the budget starts afresh at ").append(status.resetsAt());
            retry = Duration.between(calendar.now(), status.resetsAt());
        } else {
            message.append("; ask an administrator to grant more");
        }
        return new GatewayException(ErrorKind.INSUFFICIENT_QUOTA, message.toString(), null, null, retry);
    }

    /** One budget a request holds credits on: through the shared holds (with their period) or on this replica. */
    record Held(String subject, boolean shared, Instant periodStart, Instant periodEnd) {}

    /** One admitted request's hold on its budgets, released once its real cost is on the ledger's account. */
    public static final class Reservation {
        public static final Reservation NONE = new Reservation(null, null, List.of(), 0);

        private final Budgets budgets;
        private final ClientKey key;
        private final List<Held> held;
        private final long credits;
        private boolean settled;

        Reservation(Budgets budgets, ClientKey key, List<Held> held, long credits) {
            this.budgets = budgets;
            this.key = key;
            this.held = held;
            this.credits = credits;
        }

        public long credits() {
            return credits;
        }

        /** A shared hold taken: counted on this replica too (as the API shows it), or given back if this ended already. */
        synchronized void add(Held h) {
            budgets.reserved.computeIfAbsent(h.subject(), s -> new AtomicLong()).addAndGet(credits);
            if (!settled) {
                held.add(h);
                return;
            }
            budgets.reserved.get(h.subject()).addAndGet(-credits);
            budgets.shared.settle(h.subject(), h.periodStart(), h.periodEnd(), credits, 0);
        }

        /**
         * The request cost {@code actual} credits, now counted as used by the ledger: the hold goes (and, when
         * shared, the cost counts as the period's spend for every replica at once). Admission keeps spend plus
         * holds within the budget, so a budget spent past its end got there by requests that cost more than
         * they held; how far past is counted, once per credit.
         */
        public synchronized void settle(long actual) {
            if (settled || budgets == null) return;
            settled = true;
            for (Held h : held) {
                budgets.reserved.get(h.subject()).addAndGet(-credits);
                if (h.shared()) budgets.shared.settle(h.subject(), h.periodStart(), h.periodEnd(), credits, actual);
            }
            if (actual <= credits) return;
            for (Held h : held) {
                Status status = h.subject().equals(key.name()) ? budgets.keyStatus(key) : budgets.teamStatus(key.team());
                if (status != null && status.spent() > status.budget()) budgets.overrun(key, status);
            }
        }
    }
}
