package dev.switchboard.usage;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

import dev.switchboard.config.BudgetCalendar;
import dev.switchboard.config.BudgetPeriod;
import dev.switchboard.config.ClientKey;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import reactor.core.publisher.Mono;

/**
 * Keeps every request's {@link UsageRecord} without ever holding a request up: {@link #record} copies it into
 * the {@link RecordLog} (memory-mapped: it survives a crash of the process) and queues it. One writer thread
 * takes the queue in batches into the {@link UsageStore}; when the store fails or falls behind, records go
 * to the {@link UsageJournal} and are replayed once the store answers again. Raw records past their
 * retention are deleted by the same thread, a small batch at a time between its writes.
 * Stopping drains everything. Also knows what budgets ({@code budget.Budgets}) ask before a request is
 * sent: used credits are the store's shared figure plus this replica's records not yet written; for a
 * budget period, the store's sum since the period's start (read every second, from the rollups) plus what
 * this replica wrote since and has not written yet.
 */
public class UsageLedger implements SmartLifecycle {
    private static final Logger log = LoggerFactory.getLogger(UsageLedger.class);
    private static final int BATCH = 500;
    /** Records the spiller appends to the journal at once. */
    private static final int SPILL_CHUNK = 5_000;
    /** Records replayed from the journal in one pass of the writer, between two looks at the queue. */
    private static final int REPLAY_PASS = 10 * BATCH;
    /** How long records wait for company: one transaction (and one balance read) per batch, not per record. */
    private static final long LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
    private static final Duration STORE_TIMEOUT = Duration.ofSeconds(10);
    private static final long RETRY_NANOS = TimeUnit.SECONDS.toNanos(2);
    /**
     * Records the heap holds while the store falls behind (a few megabytes); the rest wait in the journal.
     * Unbounded, a store slower than the traffic (a growing embedded file, a slow database) filled the old
     * generation with queued records, and the full collections that followed slowed everything, the writer
     * too (docs/benchmark.md).
     */
    static final int MAX_QUEUED = 10_000;
    /** The most credits one grant may add: a billion dollars at the default million credits a dollar. */
    public static final long MAX_GRANT = 1_000_000_000_000_000L;

    /** Rows one retention pass deletes at once, between the writer's batches. */
    private static final int PURGE_BATCH = 1_000;
    private static final long PURGE_EVERY_NANOS = TimeUnit.MINUTES.toNanos(10);

    /** How long raw records and hourly rollups are kept. */
    public record Retention(Duration records, Duration rollups) {
        public static final Retention FOREVER = new Retention(Duration.ofDays(365L * 1000), Duration.ofDays(365L * 1000));
    }

    /** How often the spend of each budget period in use is summed again from the store (other replicas' share). */
    private static final long PERIODS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(1);

    /** Every key's credits since a period's start: the store's sum, plus this replica's writes since. */
    private record PeriodSpend(Instant start, Map<String, Long> used) {}

    /** A record waiting for the writer, with the log segment to settle once it is stored or journaled (null if not logged). */
    private record Queued(UsageRecord record, RecordLog.Segment segment) {}

    private final UsageStore store;
    private final UsageJournal journal;
    private final RecordLog recordLog;
    private final Retention retention;
    private long nextPurge;
    private final MeterRegistry meters;
    /** Lock-free: a request's thread is an event loop, and a lock the writer holds would park it. */
    private final ConcurrentLinkedQueue<Queued> queue = new ConcurrentLinkedQueue<>();
    /** The queue's length (its own size() walks it); a LongAdder, as every event loop adds to it. */
    private final LongAdder queued = new LongAdder();
    private final int maxQueued;
    /** Where the journal's records stop being in the store, so a replay cut short goes on where it stopped. */
    private long journalReplayedTo;
    /** Records spilled to the journal since the store last caught up. */
    private final AtomicLong spilled = new AtomicLong();
    /** Batches neither the store nor the journal took, tried again first. */
    private final ConcurrentLinkedQueue<Queued> heldBack = new ConcurrentLinkedQueue<>();
    private final Map<String, AtomicLong> unwritten = new ConcurrentHashMap<>();
    private volatile Map<String, UsageStore.Balance> balances = Map.of();
    private final BudgetCalendar calendar;
    /** The periods some key's or team's budget follows: only those are summed. */
    private final java.util.Set<BudgetPeriod> periodsInUse = ConcurrentHashMap.newKeySet();
    private volatile Map<BudgetPeriod, PeriodSpend> periods = Map.of();
    private long nextPeriods;
    private final Map<MeterKey, RecordMeters> recordMeters = new ConcurrentHashMap<>();
    /** Records still being built off an event loop (a long token estimate); stopping waits for them. */
    private final AtomicInteger building = new AtomicInteger();
    private volatile boolean running;
    private volatile boolean storeUp;
    private Thread writer;
    /**
     * Keeps the queue within its bound whatever the writer is doing: a writer waiting on a store that does not
     * answer (a database behind a network dropping packets) takes nothing from the queue for as long as its
     * call's deadline. Woken by a producer that finds the queue over its bound, and every {@link #LINGER_NANOS}.
     */
    private Thread spiller;

    public UsageLedger(UsageStore store, UsageJournal journal, RecordLog recordLog, Retention retention, MeterRegistry meters) {
        this(store, journal, recordLog, retention, meters, MAX_QUEUED, BudgetCalendar.utc());
    }

    public UsageLedger(UsageStore store, UsageJournal journal, RecordLog recordLog, Retention retention, MeterRegistry meters,
                       BudgetCalendar calendar) {
        this(store, journal, recordLog, retention, meters, MAX_QUEUED, calendar);
    }

    UsageLedger(UsageStore store, UsageJournal journal, RecordLog recordLog, Retention retention, MeterRegistry meters, int maxQueued) {
        this(store, journal, recordLog, retention, meters, maxQueued, BudgetCalendar.utc());
    }

    UsageLedger(UsageStore store, UsageJournal journal, RecordLog recordLog, Retention retention, MeterRegistry meters, int maxQueued,
                BudgetCalendar calendar) {
        this.calendar = calendar;
        this.store = store;
        this.journal = journal;
        this.recordLog = recordLog;
        this.retention = retention;
        this.meters = meters;
        this.maxQueued = maxQueued;
        Gauge.builder("switchboard.usage.queued", queued, LongAdder::sum)
                .description("Usage records waiting in memory for the ledger's writer").register(meters);
        Gauge.builder("switchboard.usage.unlogged", recordLog, RecordLog::unlogged)
                .description("Usage records queued without a copy in the crash-safe record log (it had no room)").register(meters);
    }

    /** Queues a record; never blocks, never fails the request. */
    public void record(UsageRecord record) {
        count(record);
        if (!running && writer != null) {
            // after stop(): nobody drains the queue any more; the journal keeps it for the next start
            journal.append(List.of(record));
            return;
        }
        if (record.credits() > 0) unwritten.computeIfAbsent(record.key(), k -> new AtomicLong()).addAndGet(record.credits());
        queue.add(new Queued(record, recordLog.append(record)));
        queued.increment();
        if (queued.sum() > maxQueued && spiller != null) LockSupport.unpark(spiller);
    }

    /**
     * Queues the record {@code build} makes, which tokenizes about {@code estimateBytes} bytes: when that is
     * too long for an event loop, later, on a counting thread (see {@link TokenEstimator#offLoop}).
     * Stopping waits for records still being built.
     */
    public void record(long estimateBytes, Supplier<UsageRecord> build) {
        record(estimateBytes, build, r -> { });
    }

    /** The same, and {@code queued} told of the record once its credits count as used. */
    public void record(long estimateBytes, Supplier<UsageRecord> build, java.util.function.Consumer<UsageRecord> queued) {
        if (TokenEstimator.countsHere(estimateBytes)) {
            UsageRecord r = build.get();
            record(r);
            queued.accept(r);
            return;
        }
        building.incrementAndGet();
        TokenEstimator.offLoop(estimateBytes, build::get)
                .doFinally(signal -> building.decrementAndGet())
                .subscribe(r -> {
                    record(r);
                    queued.accept(r);
                }, e -> log.error("a usage record could not be built", e));
    }

    /**
     * The credits {@code key} used in the current {@code period}, or -1 while the ledger has not summed that period yet (just started, or the
     * period is new to it).
     */
    public long spent(String key, BudgetPeriod period) {
        if (period == BudgetPeriod.NONE) return used(key);
        // the unwritten tally before the known figures: the writer counts records in the known figures first
        // and takes them from the unwritten tally after (see settle), so a read in this order sees a record
        // once or, for a moment, twice; in the other order it could miss it in both
        long pending = pendingOf(key);
        PeriodSpend known = periods.get(period);
        if (known == null) {
            if (periodsInUse.add(period) && writer != null) LockSupport.unpark(writer);
            return -1;
        }
        Instant start = calendar.start(period);
        // a period just begun: nothing of it was summed yet but what this replica wrote since (see settle)
        long base = known.start().equals(start) ? known.used().getOrDefault(key, 0L) : 0;
        return saturatedSum(base, pending);
    }

    private long pendingOf(String key) {
        AtomicLong pending = unwritten.get(key);
        return pending == null ? 0 : pending.get();
    }

    /** Periods tracked and not summed yet, each with what waits for its first sum. */
    private final Map<BudgetPeriod, java.util.concurrent.CompletableFuture<Void>> firstSums = new ConcurrentHashMap<>();

    /**
     * Null if {@code period}'s spend is known; else it is tracked from now on, and this completes once the
     * writer has summed it (normally within a moment: the writer is woken for it).
     */
    public java.util.concurrent.CompletableFuture<Void> summed(BudgetPeriod period) {
        if (period == BudgetPeriod.NONE || periods.containsKey(period)) return null;
        java.util.concurrent.CompletableFuture<Void> first = firstSums.computeIfAbsent(period, p -> new java.util.concurrent.CompletableFuture<>());
        if (periodsInUse.add(period) && writer != null) LockSupport.unpark(writer);
        if (periods.containsKey(period)) first.complete(null); // summed in between
        return first;
    }

    /** Sums these periods from now on: the ones budgets follow, known before the first request needs them. */
    public void trackPeriods(java.util.Collection<BudgetPeriod> used) {
        boolean added = false;
        for (BudgetPeriod p : used) {
            if (p != BudgetPeriod.NONE) added |= periodsInUse.add(p);
        }
        if (added && writer != null) LockSupport.unpark(writer);
    }

    public BudgetCalendar calendar() {
        return calendar;
    }

    /** The key's budget: its configured credits and every grant; saturates rather than wrap past the largest long. */
    public long budget(ClientKey key) {
        UsageStore.Balance b = balances.get(key.name());
        return saturatedSum(key.credits() == null ? 0 : key.credits(), b == null ? 0 : b.granted());
    }

    public long used(String key) {
        long pending = pendingOf(key); // first, as in spent
        UsageStore.Balance b = balances.get(key);
        return saturatedSum(b == null ? 0 : b.used(), pending);
    }

    static long saturatedSum(long a, long b) {
        long sum = a + b;
        // overflow only when both have the sign the sum lacks
        if (((a ^ sum) & (b ^ sum)) < 0) return a < 0 ? Long.MIN_VALUE : Long.MAX_VALUE;
        return sum;
    }

    /**
     * Adds credits to the key's budget. The caller checks the amount against {@link #MAX_GRANT}; the sum is
     * checked here, so a budget never wraps around.
     *
     * @throws IllegalArgumentException if the key's budget would pass the largest whole number of credits
     */
    public Mono<Void> grant(ClientKey key, long credits) {
        if (credits <= 0 || credits > MAX_GRANT) throw new IllegalArgumentException("add: a grant is 1 to " + MAX_GRANT + " credits");
        if (budget(key) > Long.MAX_VALUE - credits) {
            throw new IllegalArgumentException("add: the key's budget would pass " + Long.MAX_VALUE + " credits");
        }
        return store.grant(key.name(), credits).then(Mono.fromRunnable(this::refreshBalances).subscribeOn(reactor.core.scheduler.Schedulers.boundedElastic())).then();
    }

    /** The store answered its last call (or, if not, the journal can take records). */
    public boolean ready() {
        return running && (storeUp || journal.writable());
    }

    public UsageStore store() {
        return store;
    }

    @Override
    public void start() {
        recordLog.resume(); // a ledger stopped and started again takes its log back
        running = true;
        writer = new Thread(this::writeLoop, "usage-writer");
        writer.setDaemon(true);
        spiller = new Thread(this::spillLoop, "usage-spiller");
        spiller.setDaemon(true);
        writer.start();
        spiller.start();
    }

    /** Drains the queue into the store (or the journal) before the application closes. */
    @Override
    public void stop() {
        // records still being counted join the queue first, so the writer stores them with the rest
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (building.get() > 0 && System.nanoTime() < deadline) LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10));
        running = false;
        if (writer == null) {
            recordLog.release(); // never started: nothing was logged
            return;
        }
        LockSupport.unpark(spiller);
        try {
            spiller.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // never interrupt the writer: NIO channels (the journal) close on interrupt and the batch
        // in hand would be lost; unparked, it sees running == false and writes what is left
        LockSupport.unpark(writer);
        try {
            writer.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        // anything the writer could not reach goes to the journal
        List<Queued> left = new ArrayList<>();
        drain(heldBack, left, Integer.MAX_VALUE);
        take(left, Integer.MAX_VALUE);
        if (!left.isEmpty()) {
            journal.append(records(left));
            settleLog(left);
        }
        recordLog.closeClean();
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** Stops after the web server has finished its in-flight requests, before the database closes. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE - 4096;
    }

    private void writeLoop() {
        storeUp = call(store.migrate(), "migrate the usage schema");
        if (storeUp) refreshBalances();
        if (storeUp) refreshPeriods();
        long nextRetry = 0;
        nextPurge = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
        boolean full = false;
        while (running || !queue.isEmpty() || !heldBack.isEmpty()) {
            // the writer wakes on its own clock, never on a record: a producer signalling it would cost the
            // request path a futex wake and a context switch per request; a full batch goes again at once
            if (running && !full) LockSupport.parkNanos(this, LINGER_NANOS);
            List<Queued> batch = new ArrayList<>();
            drain(heldBack, batch, Integer.MAX_VALUE);
            take(batch, BATCH);
            full = batch.size() >= BATCH;
            // the queue before the journal while the store answers: a replay that let the traffic queue up
            // behind it had it spilled to the journal again, and the store then took every record through the
            // file, its writing and reading costing more than the store, so that it never caught up
            if (!journal.isEmpty() && System.nanoTime() >= nextRetry && !(storeUp && full)) {
                if (!replayJournal()) nextRetry = System.nanoTime() + RETRY_NANOS;
            }
            // a store that is away is tried by the replay alone, every RETRY_NANOS, not by every batch
            if (!batch.isEmpty() && !((journal.isEmpty() || storeUp) && write(batch))) toJournal(batch);
            if (running && storeUp && !full && System.nanoTime() >= nextPurge) purgeSome();
            if (running && storeUp && (System.nanoTime() >= nextPeriods || periodsInUse.size() > periods.size())) refreshPeriods();
        }
    }

    /**
     * Each period in use summed per key from its start, from the rollups: every replica's records in the store.
     * A replica that cannot read them keeps its last figures and what it wrote since.
     */
    private void refreshPeriods() {
        nextPeriods = System.nanoTime() + PERIODS_EVERY_NANOS;
        if (periodsInUse.isEmpty()) return;
        Map<BudgetPeriod, PeriodSpend> fresh = new java.util.EnumMap<>(BudgetPeriod.class);
        for (BudgetPeriod period : periodsInUse) {
            Instant start = calendar.start(period);
            try {
                List<UsageStore.Summary> sums = store.summary(UsageStore.Grouping.KEY, start, null).collectList().block(STORE_TIMEOUT);
                Map<String, Long> used = new java.util.HashMap<>();
                if (sums != null) sums.forEach(s -> used.put(s.group(), s.credits()));
                fresh.put(period, new PeriodSpend(start, used));
            } catch (RuntimeException e) {
                log.debug("Could not sum the spend of the {} period: {}", period.wireName(), e.toString());
                PeriodSpend held = periods.get(period);
                if (held != null) fresh.put(period, held);
            }
        }
        periods = Map.copyOf(fresh);
        for (BudgetPeriod p : fresh.keySet()) {
            java.util.concurrent.CompletableFuture<Void> first = firstSums.remove(p);
            if (first != null) first.complete(null);
        }
    }

    /**
     * One small batch of what passed its retention; the next right after the next batch of records if there
     * was more, else in ten minutes. Never a long transaction beside the request path's writes.
     */
    private void purgeSome() {
        Instant now = Instant.now();
        try {
            Long deleted = store.purge(now.minus(retention.records()), now.minus(retention.rollups()), PURGE_BATCH).block(STORE_TIMEOUT);
            boolean more = deleted != null && deleted >= PURGE_BATCH;
            nextPurge = System.nanoTime() + (more ? 0 : PURGE_EVERY_NANOS);
        } catch (RuntimeException e) {
            log.warn("Could not delete usage records past their retention: {}", causes(e));
            nextPurge = System.nanoTime() + PURGE_EVERY_NANOS;
        }
    }

    /** Records still counted as unwritten until replayed; if the disk refuses too, held and tried again, never dropped. */
    private void toJournal(List<Queued> batch) {
        try {
            journal.append(records(batch));
            settleLog(batch);
        } catch (RuntimeException e) {
            log.error("Neither the usage store nor the journal {} takes records: {}", journal.file(), e.toString());
            heldBack.addAll(batch);
            pause();
        }
    }

    private void spillLoop() {
        while (running) {
            LockSupport.parkNanos(this, LINGER_NANOS);
            spillBacklog();
            recordLog.maintain();
        }
    }

    /** What is queued past {@link #maxQueued} goes to the journal, to be replayed once the store has caught up. */
    private void spillBacklog() {
        long over = queued.sum() - maxQueued;
        if (over <= 0) return;
        if (spilled.get() == 0) {
            log.warn("The usage store falls behind the traffic: {} records queued; those past {} wait in the journal {} until it catches up",
                    queued.sum(), maxQueued, journal.file());
        }
        while (over > 0) {
            // one append, and one sync of the file, for all that is over (up to a few batches at a time)
            List<Queued> chunk = new ArrayList<>((int) Math.min(SPILL_CHUNK, over));
            take(chunk, (int) Math.min(SPILL_CHUNK, over));
            if (chunk.isEmpty()) return;
            toJournal(chunk);
            spilled.addAndGet(chunk.size());
            over = queued.sum() - maxQueued;
        }
    }

    private void take(List<Queued> into, int max) {
        int before = into.size();
        drain(queue, into, max);
        queued.add(before - into.size());
    }

    private boolean write(List<Queued> batch) {
        List<UsageRecord> records = records(batch);
        boolean ok = call(store.write(records), "write " + batch.size() + " usage records");
        if (ok) {
            settle(records);
            settleLog(batch);
            refreshBalances();
        }
        return ok;
    }

    private static List<UsageRecord> records(List<Queued> queued) {
        List<UsageRecord> records = new ArrayList<>(queued.size());
        for (Queued q : queued) records.add(q.record());
        return records;
    }

    /** The records are in the store or the journal: their copies in the log may go. */
    private static void settleLog(List<Queued> queued) {
        for (Queued q : queued) {
            if (q.segment() != null) q.segment().settle();
        }
    }

    /**
     * The journal into the store, a batch at a time, then emptied; false if the store is still away. While it
     * replays, traffic keeps queueing and the spiller may append what passes the bound to the file being read:
     * the file is emptied only if it ends where the replay did, else the next pass reads on from there.
     */
    private boolean replayJournal() {
        // stopping: what is left of the file waits for the next start, rather than the stop for the replay
        if (!running) return false;
        long[] replayed = {0};
        boolean[] enough = {false};
        UsageJournal.Replay replay = journal.replay(journalReplayedTo, BATCH, chunk -> {
            if (!running) return false;
            // a pass is bounded, so that the queue is seen to between passes
            if (replayed[0] >= REPLAY_PASS) {
                enough[0] = true;
                return false;
            }
            if (!call(store.write(chunk), "replay the usage journal")) return false;
            settle(chunk);
            replayed[0] += chunk.size();
            return true;
        });
        journalReplayedTo = replay.offset();
        if (replayed[0] > 0) refreshBalances();
        if (enough[0]) return true; // more to replay, at the next pass
        if (!replay.complete()) return false;
        if (!journal.clearIfReplayedTo(journalReplayedTo)) return true; // the file grew behind the reader: the next pass reads on
        journalReplayedTo = 0;
        long through = spilled.getAndSet(0);
        if (through > 0) log.info("The usage store has caught up: {} records went through the journal", through);
        else log.info("Replayed {} usage records from the journal {} into the store", replayed[0], journal.file());
        return true;
    }

    /**
     * Records now in the store move from unwritten to the known balance at once, so the budget view stays
     * whole even when the refresh that follows fails (the store going away right after a write). Records
     * journaled before a restart never were unwritten here.
     */
    private void settle(List<UsageRecord> batch) {
        Map<String, UsageStore.Balance> known = new java.util.HashMap<>(balances);
        Map<BudgetPeriod, PeriodSpend> spend = new java.util.EnumMap<>(BudgetPeriod.class);
        for (Map.Entry<BudgetPeriod, PeriodSpend> e : periods.entrySet()) {
            Instant start = calendar.start(e.getKey());
            // a period that began since the last sum starts from what this replica writes in it
            spend.put(e.getKey(), new PeriodSpend(start, new java.util.HashMap<>(e.getValue().start().equals(start) ? e.getValue().used() : Map.of())));
        }
        for (UsageRecord r : batch) {
            if (r.credits() <= 0) continue;
            UsageStore.Balance b = known.getOrDefault(r.key(), new UsageStore.Balance(0, 0));
            known.put(r.key(), new UsageStore.Balance(b.granted(), b.used() + r.credits()));
            for (PeriodSpend p : spend.values()) {
                if (!r.time().isBefore(p.start())) p.used().merge(r.key(), r.credits(), Long::sum);
            }
        }
        // the written credits are counted in the known figures before they leave the unwritten ones: a budget
        // read in between counts them twice for a moment, never not at all
        balances = Map.copyOf(known);
        periods = Map.copyOf(spend);
        for (UsageRecord r : batch) {
            if (r.credits() <= 0) continue;
            unwritten.computeIfAbsent(r.key(), k -> new AtomicLong()).updateAndGet(v -> Math.max(0, v - r.credits()));
        }
    }

    private void refreshBalances() {
        try {
            Map<String, UsageStore.Balance> fresh = store.balances().block(STORE_TIMEOUT);
            if (fresh != null) balances = Map.copyOf(fresh);
        } catch (RuntimeException e) {
            log.debug("Could not read key balances: {}", e.toString());
        }
    }

    private boolean call(Mono<Void> work, String what) {
        try {
            work.block(STORE_TIMEOUT);
            if (!storeUp) log.info("The usage store answers again");
            storeUp = true;
            return true;
        } catch (RuntimeException e) {
            if (storeUp) log.warn("The usage store failed to {}; records go to the journal {} until it is back: {}", what, journal.file(), causes(e));
            storeUp = false;
            return false;
        }
    }

    /** The exception and its causes on one line: "could not open a connection" alone says little. */
    private static String causes(Throwable e) {
        StringBuilder line = new StringBuilder(e.toString());
        for (Throwable c = e.getCause(); c != null && c != c.getCause(); c = c.getCause()) line.append("; caused by ").append(c);
        return line.toString();
    }

    private static void pause() {
        try {
            Thread.sleep(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Moves records from {@code from} into {@code into} until it holds {@code max}. */
    private static void drain(ConcurrentLinkedQueue<Queued> from, List<Queued> into, int max) {
        Queued r;
        while (into.size() < max && (r = from.poll()) != null) into.add(r);
    }

    private void count(UsageRecord r) {
        // the meters of one alias, upstream and key are built once: building them per request cost more than the
        // rest of the bookkeeping; the set is bounded by the route table (aliases and keys the config knows)
        RecordMeters m = recordMeters.computeIfAbsent(new MeterKey(r.alias(), r.upstream(), r.key()), this::recordMeters);
        record(m.input(), r.promptTokens() - r.cachedTokens() - r.cacheWriteTokens());
        record(m.cachedInput(), r.cachedTokens());
        record(m.cacheWrite(), r.cacheWriteTokens());
        record(m.output(), r.completionTokens());
        record(m.reasoning(), r.reasoningTokens());
        m.cost().increment(r.costUsd().doubleValue());
        m.credits().increment(r.credits());
    }

    private static void record(DistributionSummary tokens, long count) {
        if (count > 0) tokens.record(count);
    }

    private record MeterKey(String alias, String upstream, String key) {}

    private record RecordMeters(DistributionSummary input, DistributionSummary cachedInput, DistributionSummary cacheWrite,
                                DistributionSummary output, DistributionSummary reasoning, Counter cost, Counter credits) {}

    private RecordMeters recordMeters(MeterKey k) {
        String[] tags = {"alias", k.alias(), "upstream", k.upstream(), "key", k.key()};
        return new RecordMeters(tokens(k, "input", tags), tokens(k, "cached_input", tags), tokens(k, "cache_write", tags),
                tokens(k, "output", tags), tokens(k, "reasoning", tags),
                Counter.builder("switchboard.cost.usd").description("What requests cost, at the gateway's prices")
                        .tags(tags).register(meters),
                Counter.builder("switchboard.credits").description("Credits debited from client keys")
                        .tags(tags).register(meters));
    }

    /** OpenTelemetry GenAI's {@code gen_ai.client.token.usage}, by token type. */
    private DistributionSummary tokens(MeterKey k, String type, String[] tags) {
        return DistributionSummary.builder("gen_ai.client.token.usage").baseUnit("tokens")
                .tags(tags).tag("gen_ai.token.type", type).tag("gen_ai.request.model", k.alias())
                .register(meters);
    }
}
