package dev.switchboard.keys;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

import reactor.core.publisher.Mono;

/** Rows in memory, for the directory's and the admin API's tests that need no database. */
public final class MemoryKeyTable implements KeyTable {
    private final Map<Kind, TreeMap<String, String>> rows = Map.of(Kind.KEYS, new TreeMap<>(), Kind.TEAMS, new TreeMap<>());
    private final AtomicLong version = new AtomicLong();

    @Override
    public Mono<Long> version() {
        return Mono.fromSupplier(version::get);
    }

    @Override
    public synchronized Mono<List<String>> documents(Kind kind) {
        return Mono.just(new ArrayList<>(rows.get(kind).values()));
    }

    @Override
    public synchronized Mono<Boolean> insert(Kind kind, String name, String document) {
        boolean added = rows.get(kind).putIfAbsent(name, document) == null;
        if (added) version.incrementAndGet();
        return Mono.just(added);
    }

    @Override
    public synchronized Mono<Boolean> update(Kind kind, String name, String document) {
        boolean present = rows.get(kind).replace(name, document) != null;
        if (present) version.incrementAndGet();
        return Mono.just(present);
    }

    @Override
    public synchronized Mono<Boolean> delete(Kind kind, String name) {
        boolean present = rows.get(kind).remove(name) != null;
        if (present) version.incrementAndGet();
        return Mono.just(present);
    }
}
