package dev.switchboard;

import org.slf4j.LoggerFactory;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.ConfigurableApplicationContext;

import reactor.netty.ReactorNetty;
import sun.misc.Signal;

/**
 * Entry point: an OpenAI- and Anthropic-compatible LLM gateway. Spring Boot's R2DBC set-up is left out: the
 * ledger makes its own connections, and only when its database is PostgreSQL (store.StoreConfiguration).
 */
@SpringBootApplication(excludeName = {
        "org.springframework.boot.r2dbc.autoconfigure.R2dbcAutoConfiguration",
        "org.springframework.boot.r2dbc.autoconfigure.R2dbcInitializationAutoConfiguration",
        "org.springframework.boot.r2dbc.autoconfigure.R2dbcProxyAutoConfiguration",
        "org.springframework.boot.r2dbc.autoconfigure.R2dbcTransactionManagerAutoConfiguration",
        "org.springframework.boot.r2dbc.autoconfigure.health.ConnectionFactoryHealthContributorAutoConfiguration",
        "org.springframework.boot.r2dbc.autoconfigure.metrics.ConnectionPoolMetricsAutoConfiguration",
        "org.springframework.boot.r2dbc.autoconfigure.observation.R2dbcObservationAutoConfiguration"})
@ConfigurationPropertiesScan
public class SwitchboardApplication {
    public static void main(String[] args) {
        oneEventLoopPerProcessor();
        ConfigurableApplicationContext context = SpringApplication.run(SwitchboardApplication.class, args);
        exitCleanlyOnSigterm(context);
    }

    /**
     * The event loops the server and the upstream clients share: as set ({@code -Dreactor.netty.ioWorkerCount}),
     * or one per processor the JVM is given. Reactor Netty's own default is at least four, which on a container
     * of one or two CPUs leaves loops waiting for a core while they hold ready requests: the kernel then
     * switches between them in the middle of their work, and the tail at load grows with it (docs/benchmark.md
     * measures it). Nothing blocks a loop here (the ledger's writes, the token counts of large bodies and file
     * reads run on threads of their own), so a loop per core keeps every core busy. Set before Reactor Netty's
     * resources are made, which read it once.
     */
    static void oneEventLoopPerProcessor() {
        if (System.getProperty(ReactorNetty.IO_WORKER_COUNT) != null) return;
        System.setProperty(ReactorNetty.IO_WORKER_COUNT, Integer.toString(Runtime.getRuntime().availableProcessors()));
    }

    /**
     * SIGTERM (docker stop, Kubernetes) is the normal way to stop: close the context, which stops accepting,
     * lets in-flight requests and streams finish within {@code spring.lifecycle.timeout-per-shutdown-phase},
     * and writes every queued usage record; then exit 0 rather than the JVM's 143 for a signal.
     */
    static void exitCleanlyOnSigterm(ConfigurableApplicationContext context) {
        Signal.handle(new Signal("TERM"), signal -> {
            LoggerFactory.getLogger(SwitchboardApplication.class).info("SIGTERM: finishing in-flight requests, then stopping");
            System.exit(SpringApplication.exit(context));
        });
    }
}
