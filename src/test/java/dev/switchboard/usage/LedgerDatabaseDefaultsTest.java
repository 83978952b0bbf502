package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/** The shipped default ledger URL reaches H2 with its settings: r2dbc-h2 passes them through, none is dropped. */
class LedgerDatabaseDefaultsTest {

    @Test
    void theDefaultH2UrlSetsASmallPageCache(@TempDir Path dir) throws Exception {
        JsonNode yaml;
        try (InputStream in = getClass().getResourceAsStream("/application.yaml")) {
            yaml = new YAMLMapper().readTree(in);
        }
        String property = yaml.path("spring").path("r2dbc").path("url").asString();
        String url = property.substring(property.indexOf(':') + 1, property.length() - 1) // ${SWITCHBOARD_DB_URL:...}
                .replace("./data/switchboard", dir.resolve("ledger").toString());
        ConnectionFactory connections = ConnectionFactories.get(url);

        String cacheKb = Mono.usingWhen(connections.create(),
                c -> Mono.from(c.createStatement("SELECT SETTING_VALUE FROM INFORMATION_SCHEMA.SETTINGS WHERE SETTING_NAME = 'CACHE_SIZE'")
                        .execute()).flatMap(r -> Mono.from(r.map((row, meta) -> row.get(0, String.class)))),
                c -> c.close()).block(Duration.ofSeconds(10));
        assertThat(url).startsWith("r2dbc:h2:file:///").contains("MODE=PostgreSQL");
        assertThat(cacheKb).isEqualTo("2048");
    }
}
