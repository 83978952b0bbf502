package dev.switchboard.support;

import org.junit.jupiter.api.Assumptions;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;

/** This machine's Redis, which {@code .ci/run} starts when it is down: a test that needs it is skipped without it. */
public final class LocalRedis {
    public static final String URL = "redis://127.0.0.1:6379";

    private LocalRedis() {}

    public static void assumeAvailable() {
        RedisClient probe = RedisClient.create(URL);
        try (StatefulRedisConnection<String, String> c = probe.connect()) {
            Assumptions.assumeTrue("PONG".equals(c.sync().ping()), "no Redis on 127.0.0.1:6379 (.ci/run starts one)");
        } catch (io.lettuce.core.RedisConnectionException e) {
            Assumptions.abort("no Redis on 127.0.0.1:6379 (.ci/run starts one)");
        } finally {
            probe.shutdown();
        }
    }
}
