package dev.switchboard.api;

import java.nio.file.Path;

import org.springframework.boot.SpringApplication;

import dev.switchboard.SwitchboardApplication;

/**
 * The features' floor ({@link FeatureFloor}) served from a JVM that also runs Switchboard, idle: the same
 * proxy, carrying what the gateway's JVM carries besides its request path (the Spring context, its classes,
 * interned strings and threads). A young collection's pause grows with those roots, not only with what
 * survives it, so this floor's tail against the features' floor's alone is what the application's size costs
 * the tail, apart from its request path. Takes {@link FeatureFloor}'s arguments; the gateway listens on a port
 * of its own choosing on the loopback, with its ledger beside the floor's.
 */
public final class FloorInGateway {
    private FloorInGateway() {}

    public static void main(String[] args) {
        Path folder = Path.of(args[2]);
        SpringApplication.run(SwitchboardApplication.class,
                "--server.port=0", "--server.address=127.0.0.1", "--switchboard.config=" + args[3],
                "--BENCH_MOCK_PORT=" + Integer.parseInt(args[1]),
                "--switchboard.ledger.file=" + folder.resolve("gateway-ledger.db"),
                "--switchboard.usage.record-log=" + folder.resolve("gateway-usage-log"),
                "--switchboard.usage.journal=" + folder.resolve("gateway-journal.jsonl"));
        FeatureFloor.main(args);
    }
}
