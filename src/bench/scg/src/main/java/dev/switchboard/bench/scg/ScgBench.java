package dev.switchboard.bench.scg;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/** Spring Cloud Gateway with the one route in application.yaml: the benchmark's WebFlux reference. */
@SpringBootApplication
public class ScgBench {
    public static void main(String[] args) {
        SpringApplication.run(ScgBench.class, args);
    }
}
