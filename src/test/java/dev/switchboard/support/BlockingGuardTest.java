package dev.switchboard.support;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.resources.LoopResources;

/** The guard sees what it must: a blocking call on a Reactor parallel thread and on a Reactor Netty event loop. */
class BlockingGuardTest {
    @Test
    void aSleepOnAReactorParallelThreadIsRecorded() {
        BlockingGuard.takeRecorded();
        Mono.fromCallable(() -> {
                    Thread.sleep(1);
                    return "slept";
                })
                .subscribeOn(Schedulers.parallel())
                .block(Duration.ofSeconds(10));
        assertThat(BlockingGuard.takeRecorded()).singleElement().asString()
                .contains("java.lang.Thread.sleep").contains("parallel-");
    }

    @Test
    void aFileChannelReadOnAReactorParallelThreadIsRecorded() {
        BlockingGuard.takeRecorded();
        Mono.fromCallable(() -> Files.readAllBytes(Path.of("pom.xml")).length)
                .subscribeOn(Schedulers.parallel())
                .block(Duration.ofSeconds(10));
        assertThat(BlockingGuard.takeRecorded()).isNotEmpty().first().asString().contains("FileChannelImpl.read");
    }

    @Test
    void aSleepOnAnEventLoopLikeTheGatewaysIsRecorded() throws Exception {
        BlockingGuard.takeRecorded();
        LoopResources loops = LoopResources.create("guard-test", 1, true);
        try {
            loops.onServer(true).next().submit(() -> {
                Thread.sleep(1);
                return "slept";
            }).get(10, TimeUnit.SECONDS);
        } finally {
            loops.disposeLater(Duration.ZERO, Duration.ofSeconds(5)).block(Duration.ofSeconds(10));
        }
        assertThat(BlockingGuard.takeRecorded()).singleElement().asString().contains("java.lang.Thread.sleep").contains("guard-test");
    }

    @Test
    void anEmbeddedLedgerQueryOnAReactorParallelThreadIsRecorded(@org.junit.jupiter.api.io.TempDir Path dir) {
        dev.switchboard.store.SqliteDatabase db = dev.switchboard.store.SqliteDatabase.open(dir.resolve("ledger.db"),
                dev.switchboard.store.SqliteDatabase.Synchronous.NORMAL);
        try {
            BlockingGuard.takeRecorded();
            Mono.fromCallable(() -> {
                        try (java.sql.Connection c = db.openWriter(); java.sql.Statement s = c.createStatement();
                             java.sql.ResultSet r = s.executeQuery("SELECT COUNT(*) FROM usage_records")) {
                            return r.next();
                        }
                    })
                    .subscribeOn(Schedulers.parallel())
                    .block(Duration.ofSeconds(10));
            assertThat(BlockingGuard.takeRecorded()).isNotEmpty().anySatisfy(call -> assertThat(call).contains("org.sqlite.core.NativeDB"));
        } finally {
            db.close();
        }
    }
}
