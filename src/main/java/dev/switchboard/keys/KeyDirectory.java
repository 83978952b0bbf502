package dev.switchboard.keys;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import dev.switchboard.budget.Budgets;
import dev.switchboard.config.BudgetCalendar;
import dev.switchboard.config.BudgetPeriod;
import dev.switchboard.config.ClientKey;
import dev.switchboard.config.KeyLimits;
import dev.switchboard.config.ModelNames;
import dev.switchboard.config.Team;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.PropertyNamingStrategies;

/**
 * The virtual keys and teams of the ledger's database, as every replica holds them in memory: read again
 * whenever their version changes, which each replica checks every {@link #POLL} (a key revoked through one
 * replica is refused by all within about a second) and a replica's own admin API change at once. Expiry and
 * a rotation's grace period are checked per request against the clock, never left to the next poll.
 */
public class KeyDirectory implements Budgets.Members, SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(KeyDirectory.class);
    static final Duration POLL = Duration.ofSeconds(1);
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    /** The rows' JSON: snake_case, as the admin API shows them. */
    static final JsonMapper DOCUMENTS = JsonMapper.builder().propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE).build();

    /** A row as the table keeps it. */
    public static String document(Object row) {
        return DOCUMENTS.writeValueAsString(row);
    }

    /** One version of the rows, with the keys as requests are checked against. */
    record Snapshot(long version, Map<String, VirtualKey> keys, Map<String, TeamRecord> teams, Map<String, ClientKey> clientKeys,
                    Map<String, String> namesByDigest, Map<String, String> namesByPreviousDigest, Map<String, List<String>> members) {
        static final Snapshot EMPTY = new Snapshot(-1, Map.of(), Map.of(), Map.of(), Map.of(), Map.of(), Map.of());
    }

    private final KeyTable table;
    /** Told which budget periods the keys and teams follow, so the ledger sums them. */
    private final java.util.function.Consumer<Set<BudgetPeriod>> periodsUsed;
    private final BudgetCalendar calendar;
    private volatile Snapshot snapshot = Snapshot.EMPTY;
    private volatile boolean running;
    private Thread poller;

    public KeyDirectory(KeyTable table, BudgetCalendar calendar, java.util.function.Consumer<Set<BudgetPeriod>> periodsUsed) {
        this.table = table;
        this.calendar = calendar;
        this.periodsUsed = periodsUsed;
    }

    public KeyTable table() {
        return table;
    }

    /**
     * The client key a secret's digest belongs to, if it works now: not revoked, not expired, and (for the
     * previous secret of a rotated key) within its grace period; else null.
     */
    public ClientKey find(String digest) {
        Snapshot s = snapshot;
        if (s.keys().isEmpty()) return null;
        String name = s.namesByDigest().get(digest);
        boolean previous = false;
        if (name == null) {
            name = s.namesByPreviousDigest().get(digest);
            previous = true;
        }
        if (name == null) return null;
        VirtualKey key = s.keys().get(name);
        Instant now = calendar.now();
        if (!key.state(now).equals("active")) return null;
        if (previous && (key.previousUntil() == null || !now.isBefore(key.previousUntil()))) return null;
        return s.clientKeys().get(name);
    }

    public VirtualKey key(String name) {
        return snapshot.keys().get(name);
    }

    public Map<String, VirtualKey> keys() {
        return snapshot.keys();
    }

    public TeamRecord teamRecord(String name) {
        return snapshot.teams().get(name);
    }

    public Map<String, TeamRecord> teams() {
        return snapshot.teams();
    }

    /** The key as requests of it are checked (its team resolved), or null. */
    public ClientKey clientKey(String name) {
        return snapshot.clientKeys().get(name);
    }

    /** The team as budgets and limits take it, or null. */
    public Team team(String name) {
        TeamRecord t = snapshot.teams().get(name);
        return t == null ? null : team(t);
    }

    @Override
    public List<String> of(String team) {
        return snapshot.members().getOrDefault(team, List.of());
    }

    /** Reads the rows again if their version changed; on this thread (never an event loop's). */
    public synchronized void refresh() {
        Long version = table.version().block(TIMEOUT);
        if (version == null || version == snapshot.version()) return;
        List<String> keyRows = table.documents(KeyTable.Kind.KEYS).block(TIMEOUT);
        List<String> teamRows = table.documents(KeyTable.Kind.TEAMS).block(TIMEOUT);
        snapshot = build(version, keyRows == null ? List.of() : keyRows, teamRows == null ? List.of() : teamRows);
        Set<BudgetPeriod> periods = EnumSet.noneOf(BudgetPeriod.class);
        snapshot.clientKeys().values().forEach(k -> {
            if (k.credits() != null) periods.add(k.period());
            if (k.team() != null && k.team().credits() != null) periods.add(k.team().period());
        });
        periodsUsed.accept(periods);
    }

    private static Snapshot build(long version, List<String> keyRows, List<String> teamRows) {
        Map<String, TeamRecord> teams = new LinkedHashMap<>();
        for (String row : teamRows) {
            TeamRecord t = DOCUMENTS.readValue(row, TeamRecord.class);
            teams.put(t.name(), t);
        }
        Map<String, VirtualKey> keys = new LinkedHashMap<>();
        Map<String, ClientKey> clientKeys = new HashMap<>();
        Map<String, String> byDigest = new HashMap<>();
        Map<String, String> byPrevious = new HashMap<>();
        Map<String, List<String>> members = new HashMap<>();
        for (String row : keyRows) {
            VirtualKey k = DOCUMENTS.readValue(row, VirtualKey.class);
            keys.put(k.name(), k);
            TeamRecord team = k.team() == null ? null : teams.get(k.team());
            clientKeys.put(k.name(), new ClientKey(k.name(), k.credits(), BudgetPeriod.parse(k.period()), limits(k.limits()),
                    patterns(k.aliases()), team == null ? null : team(team)));
            byDigest.put(k.digest(), k.name());
            if (k.previousDigest() != null) byPrevious.put(k.previousDigest(), k.name());
            // a revoked key's past spend still counts against its team's budget this period
            if (k.team() != null) members.computeIfAbsent(k.team(), t -> new ArrayList<>()).add(k.name());
        }
        return new Snapshot(version, Map.copyOf(keys), Map.copyOf(teams), Map.copyOf(clientKeys), Map.copyOf(byDigest),
                Map.copyOf(byPrevious), Map.copyOf(members));
    }

    static Team team(TeamRecord t) {
        return new Team(t.name(), t.credits(), BudgetPeriod.parse(t.period()), limits(t.limits()), t.metadata() == null ? Map.of() : t.metadata());
    }

    static KeyLimits limits(VirtualKey.Limits l) {
        if (l == null) return KeyLimits.NONE;
        return new KeyLimits(l.requestsPerMinute() == null ? 0 : l.requestsPerMinute(), l.tokensPerMinute() == null ? 0 : l.tokensPerMinute(),
                l.concurrent() == null ? 0 : l.concurrent());
    }

    static List<ModelNames.NamePattern> patterns(List<String> aliases) {
        if (aliases == null) return List.of();
        return aliases.stream().map(a -> ModelNames.NamePattern.of(a, null)).toList();
    }

    @Override
    public void start() {
        try {
            refresh();
        } catch (RuntimeException e) {
            log.warn("Could not read the virtual keys yet; trying again every {} s: {}", POLL.toSeconds(), e.toString());
        }
        running = true;
        poller = new Thread(this::poll, "key-directory");
        poller.setDaemon(true);
        poller.start();
    }

    private void poll() {
        boolean failing = false;
        while (running) {
            LockSupport.parkNanos(this, POLL.toNanos());
            if (!running) return;
            try {
                refresh();
                if (failing) log.info("The virtual keys can be read again");
                failing = false;
            } catch (RuntimeException e) {
                if (!failing) log.warn("Could not read the virtual keys; the last ones read stay in force: {}", e.toString());
                failing = true;
            }
        }
    }

    @Override
    public void stop() {
        running = false;
        if (poller != null) {
            LockSupport.unpark(poller);
            try {
                poller.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Keys are read before the web server takes its first request. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 4096;
    }
}
