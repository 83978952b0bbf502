package dev.switchboard.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RouteReloaderTest {
    private static final String UPSTREAMS_AND_ROUTES = """
            upstreams:
              together:
                protocol: openai
                base-url: https://api.together.xyz/v1
                api-key: together-key
            routes:
              m1:
                targets:
                  - {upstream: together, model: m, price: {input: 1, output: 2}}
            """;
    private static final String KEYS = """
            keys:
              - name: team-a
                key: sk-team-a
            admin-key: the-admin-key
            """;

    @TempDir
    Path dir;
    private Path file;
    private long now;
    private final ConfigLoader loader = new ConfigLoader(name -> null);
    private CurrentRouteTable current;
    private RouteReloader reloader;

    @BeforeEach
    void runningTable() throws IOException {
        file = dir.resolve("switchboard.yaml");
        Files.writeString(file, UPSTREAMS_AND_ROUTES + KEYS);
        current = new CurrentRouteTable(loader.load(file));
        reloader = new RouteReloader(loader, current, file, Duration.ofSeconds(2), Duration.ofSeconds(1), () -> now);
    }

    @Test
    void aFileBeingWrittenIsReadOnlyOnceItHasStayedTheSameForTheSettleTime() throws IOException {
        RouteTable before = current.get();
        Files.writeString(file, UPSTREAMS_AND_ROUTES); // an in-place write, caught before its keys
        assertThat(reloader.check()).isNull();
        now += Duration.ofMillis(600).toNanos();
        String complete = UPSTREAMS_AND_ROUTES + """
                  m2:
                    targets:
                      - {upstream: together, model: m2, price: {input: 1, output: 2}}
                """ + KEYS;
        Files.writeString(file, complete); // the rest arrives
        assertThat(reloader.check()).as("changed again: the settle time starts over").isNull();
        now += Duration.ofMillis(999).toNanos();
        assertThat(reloader.check()).isNull();
        assertThat(current.get()).as("nothing read while the file changed").isSameAs(before);

        now += Duration.ofMillis(1).toNanos();
        RouteReloader.Attempt attempt = reloader.check();
        assertThat(attempt).isNotNull();
        assertThat(attempt.applied()).isTrue();
        assertThat(current.get().routes()).containsKeys("m1", "m2");
        assertThat(current.get().keysByDigest()).hasSize(1);
        assertThat(reloader.check()).as("an applied file is not read again").isNull();
    }

    @Test
    void aReloadThatDropsEveryKeyAndTheAdminKeyWithoutSayingSoIsRefused() throws IOException {
        RouteTable before = current.get();
        Files.writeString(file, UPSTREAMS_AND_ROUTES);
        RouteReloader.Attempt refused = reloader.reload();
        assertThat(refused.applied()).isFalse();
        assertThat(refused.problems()).anySatisfy(p -> assertThat(p).contains("keys").contains("keys: []"))
                .anySatisfy(p -> assertThat(p).contains("admin-key").contains("admin-key: \"\""));
        assertThat(current.get()).isSameAs(before);
        assertThat(current.get().keysByDigest()).hasSize(1);

        Files.writeString(file, UPSTREAMS_AND_ROUTES + "keys: []\nadmin-key: \"\"\n");
        assertThat(reloader.reload().applied()).as("said explicitly").isTrue();
        assertThat(current.get().keysByDigest()).isEmpty();
        assertThat(current.get().adminKey()).isEmpty();
    }

    @Test
    void keepingSomeKeysOrTheAdminKeyNeedsNothingSaid() throws IOException {
        Files.writeString(file, UPSTREAMS_AND_ROUTES + "keys:\n  - name: team-b\n    key: sk-team-b\nadmin-key: the-admin-key\n");
        assertThat(reloader.reload().applied()).isTrue();
        assertThat(current.get().keysByDigest().values()).extracting(ClientKey::name).containsExactly("team-b");
    }
}
