package dev.switchboard.budget;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.switchboard.config.BudgetCalendar;
import dev.switchboard.config.BudgetPeriod;
import dev.switchboard.config.ClientKey;
import dev.switchboard.config.Team;
import dev.switchboard.protocol.ErrorKind;
import dev.switchboard.protocol.GatewayException;
import dev.switchboard.usage.UsageLedger;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;

/**
 * Credit budgets, reserve then settle: a request is admitted only if its worst-case cost fits in what its
 * key's budget (and its team's) has left after the period's spend and every reservation of requests in
 * flight; its reservation is held until its record is on the ledger's account, then released. Concurrent
 * requests therefore overshoot a budget only by what some of them cost beyond their reservation, and that
 * overshoot is counted ({@code switchboard.budget.overshoot}).
 * <p>
 * Reservations are this replica's: with several replicas, each also sees the others' spend once it is in
 * the store (within about a second), not their requests in flight.
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
    private final Counter overshoot;
    private final MeterRegistry meters;
    /** Each budget admission has seen, as its gauges read it now (the latest key, as reloads and the API change it). */
    private final ConcurrentHashMap<String, java.util.function.Supplier<Status>> watched = new ConcurrentHashMap<>();

    public Budgets(UsageLedger ledger, Members members, MeterRegistry meters) {
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
     * 402 with when the budget starts afresh, 503 for a second while the ledger first sums a period.
     */
    public Reservation reserve(ClientKey key, long credits) {
        if (!key.budgeted()) return Reservation.NONE;
        List<String> taken = new ArrayList<>(2);
        try {
            if (key.credits() != null) {
                take(key, key.name(), credits, () -> keyStatus(key));
                taken.add(key.name());
            }
            Team team = key.team();
            if (team != null && team.credits() != null) {
                take(key, team.subject(), credits, () -> teamStatus(team));
                taken.add(team.subject());
            }
        } catch (RuntimeException e) {
            for (String subject : taken) reserved.get(subject).addAndGet(-credits);
            throw e;
        }
        return new Reservation(this, key, taken, credits);
    }

    private void take(ClientKey key, String subject, long credits, java.util.function.Supplier<Status> status) {
        watch(subject, status);
        AtomicLong held = reserved.computeIfAbsent(subject, s -> new AtomicLong());
        while (true) {
            long before = held.get();
            Status now = status.get();
            if (now.spent() < 0) {
                throw new GatewayException(ErrorKind.OVERLOADED, "The gateway is still summing this budget's " + now.period().wireName()
                        + " spend; retry in a second", null, null, Duration.ofSeconds(1));
            }
            // spent, then what others hold, then this request: the check and the hold are one step (the CAS)
            if (now.spent() + before + credits > now.budget()) throw spent(key, now, credits);
            if (held.compareAndSet(before, before + credits)) return;
        }
    }

    /**
     * A budget's gauges, from its first request on: {@code switchboard.budget.limit}, {@code .spent} (this
     * period), {@code .reserved} and {@code .resets} (when the period ends, in seconds since the epoch).
     */
    private void watch(String subject, java.util.function.Supplier<Status> status) {
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

    /** One admitted request's hold on its budgets, released once its real cost is on the ledger's account. */
    public static final class Reservation {
        public static final Reservation NONE = new Reservation(null, null, List.of(), 0);

        private final Budgets budgets;
        private final ClientKey key;
        private final List<String> subjects;
        private final long credits;
        private boolean settled;

        Reservation(Budgets budgets, ClientKey key, List<String> subjects, long credits) {
            this.budgets = budgets;
            this.key = key;
            this.subjects = subjects;
            this.credits = credits;
        }

        public long credits() {
            return credits;
        }

        /**
         * The request cost {@code actual} credits, now counted as used by the ledger: the hold goes. Admission
         * keeps spend plus holds within the budget, so a budget spent past its end got there by requests that
         * cost more than they held; how far past is counted, once per credit.
         */
        public synchronized void settle(long actual) {
            if (settled || budgets == null) return;
            settled = true;
            for (String subject : subjects) budgets.reserved.get(subject).addAndGet(-credits);
            if (actual <= credits) return;
            for (String subject : subjects) {
                Status status = subject.equals(key.name()) ? budgets.keyStatus(key) : budgets.teamStatus(key.team());
                if (status != null && status.spent() > status.budget()) budgets.overrun(key, status);
            }
        }
    }
}
