package dev.switchboard.support;

import java.nio.file.Path;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Import;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Base of the integration tests: the real gateway on a random loopback port, routed by
 * src/test/resources/switchboard-it.yaml to the {@link TestUpstreams}. All subclasses share one application
 * context (same properties), so the gateway starts once per suite.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import({ResponseWrites.class, WebFluxRequests.class})
public abstract class GatewayIT extends GatewayTestBase {
    @DynamicPropertySource
    static void gatewayProperties(DynamicPropertyRegistry registry) {
        properties(registry, Path.of("src/test/resources/switchboard-it.yaml"));
    }
}
