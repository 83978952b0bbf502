package dev.switchboard.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.springframework.boot.convert.DurationStyle;

import dev.switchboard.protocol.Json;
import tools.jackson.databind.JsonNode;

/**
 * docs/configuration.md cannot drift from the code: its tables list every field of the routes file (read off
 * {@link SwitchboardFile}'s records) and every {@code switchboard.*} setting (read off the configuration
 * metadata Spring Boot's processor writes at build, which {@code @Value} settings join through
 * additional-spring-configuration-metadata.json), with the defaults the code has; and nothing else.
 */
class ConfigurationReferenceTest {
    private static final Path REFERENCE = Path.of("docs/configuration.md");
    private static final Path METADATA = Path.of("target/classes/META-INF/spring-configuration-metadata.json");
    /** A table row whose first cell is one code span: the name, then the default cell. */
    private static final Pattern ROW = Pattern.compile("^\\| `([^`]+)`(?:, or `[^`]+`)? \\| ([^|]*) \\|", Pattern.MULTILINE);

    @Test
    void everyFieldOfTheRoutesFileIsDocumentedAndNothingElse() throws IOException {
        Set<String> fields = new TreeSet<>();
        walk(SwitchboardFile.class, "", fields);
        Set<String> documented = new TreeSet<>(rows(section("## The routes file", "## Process settings")).keySet());

        assertThat(fields).as("routes-file fields").hasSizeGreaterThan(40);
        assertThat(documented).as("documented fields").containsExactlyInAnyOrderElementsOf(fields);
    }

    @Test
    void theRoutesFileDefaultsAreTheCodes() throws IOException {
        Map<String, String> defaults = rows(section("## The routes file", "## Process settings"));
        HealthPolicy health = HealthPolicy.DEFAULTS;
        Timeouts timeouts = Timeouts.DEFAULTS;
        Map<String, Object> code = new LinkedHashMap<>();
        code.put("routing.max-attempts", Route.DEFAULT_MAX_ATTEMPTS);
        code.put("routes.<>.expected-output-tokens", Route.DEFAULT_EXPECTED_OUTPUT_TOKENS);
        code.put("credits.per-usd", RouteTable.DEFAULT_CREDITS_PER_USD.toPlainString());
        code.put("health.failure-rate-threshold", health.failureRateThreshold());
        code.put("health.sliding-window", health.slidingWindow());
        code.put("health.minimum-calls", health.minimumCalls());
        code.put("health.open-wait", health.openWait());
        code.put("health.half-open-calls", health.halfOpenCalls());
        code.put("health.rate-limit-cooldown", health.rateLimitCooldown());
        code.put("health.auth-failure-cooldown", health.authFailureCooldown());
        code.put("upstreams.<>.timeouts.connect", timeouts.connect());
        code.put("upstreams.<>.timeouts.first-byte", timeouts.firstByte());
        code.put("upstreams.<>.timeouts.idle", timeouts.idle());
        code.put("upstreams.<>.timeouts.total", timeouts.total());
        code.forEach((field, value) -> {
            String cell = defaults.get(field);
            assertThat(cell).as(field).startsWith("`").endsWith("`");
            String written = cell.substring(1, cell.length() - 1);
            if (value instanceof Duration d) assertThat(DurationStyle.detectAndParse(written)).as(field).isEqualTo(d);
            else assertThat(written).as(field).isEqualTo(value.toString());
        });
    }

    @Test
    void everySettingIsDocumentedWithItsDefaultAndNothingElse() throws IOException {
        JsonNode metadata = Json.MAPPER.readTree(Files.readAllBytes(METADATA));
        Map<String, String> settings = new TreeMap<>();
        for (JsonNode property : metadata.get("properties")) {
            String name = property.get("name").asString();
            JsonNode value = property.path("defaultValue");
            if (name.startsWith("switchboard.")) settings.put(name, value.isMissingNode() ? null
                    : value.isNumber() ? value.decimalValue().toPlainString() : value.asString());
        }
        Map<String, String> documented = new TreeMap<>();
        rows(section("## Process settings", null)).forEach((name, value) -> {
            if (name.startsWith("switchboard.")) documented.put(name, value);
        });

        assertThat(settings).as("settings in the metadata").containsKeys("switchboard.stream-keepalive", "switchboard.tracing.enabled");
        assertThat(documented.keySet()).as("documented settings").containsExactlyInAnyOrderElementsOf(settings.keySet());
        settings.forEach((name, value) -> {
            if (value == null) return;
            String cell = documented.get(name);
            if (value.matches("[0-9.]+") && cell.matches("`[0-9.]+`")) {
                assertThat(new java.math.BigDecimal(cell.replace("`", ""))).as(name).isEqualByComparingTo(value);
            } else {
                assertThat(cell).as(name).isEqualTo("`" + value + "`");
            }
        });
    }

    @Test
    void everySettingTheCodeReadsByNameIsInTheMetadata() throws IOException {
        String metadata = Files.readString(METADATA) + Files.readString(Path.of("src/main/resources/META-INF/additional-spring-configuration-metadata.json"));
        Pattern placeholder = Pattern.compile("\\$\\{(switchboard\\.[a-z0-9.-]+)");
        Set<String> read = new TreeSet<>();
        try (Stream<Path> sources = Files.walk(Path.of("src/main"))) {
            for (Path file : sources.filter(p -> p.toString().endsWith(".java") || p.toString().endsWith(".yaml")).toList()) {
                Matcher m = placeholder.matcher(Files.readString(file, StandardCharsets.UTF_8));
                while (m.find()) read.add(m.group(1));
            }
        }
        assertThat(read).as("settings read by @Value or placeholders").isNotEmpty()
                .allSatisfy(name -> assertThat(metadata).as(name).contains("\"" + name + "\""));
    }

    /** The routes file's fields: kebab-case names, {@code <>} for a map's key, {@code []} for a list's item. */
    private static void walk(Class<?> record, String prefix, Set<String> into) {
        for (RecordComponent component : record.getRecordComponents()) {
            walkType(component.getGenericType(), prefix + kebab(component.getName()), into);
        }
    }

    private static void walkType(Type type, String path, Set<String> into) {
        if (type instanceof Class<?> c && c.isRecord()) {
            walk(c, path + ".", into);
        } else if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
            Type item = p.getActualTypeArguments()[p.getActualTypeArguments().length - 1];
            boolean ofRecords = item instanceof Class<?> c && c.isRecord();
            if (Map.class.isAssignableFrom(raw) && ofRecords) walkType(item, path + ".<>", into);
            else if (List.class.isAssignableFrom(raw) && ofRecords) walkType(item, path + "[]", into);
            else into.add(path);
        } else {
            into.add(path);
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }

    /** The reference from one heading to the next given (or the end). */
    private static String section(String from, String to) throws IOException {
        String text = Files.readString(REFERENCE, StandardCharsets.UTF_8);
        int start = text.indexOf("\n" + from + "\n");
        assertThat(start).as(from).isNotNegative();
        int end = to == null ? text.length() : text.indexOf("\n" + to + "\n", start);
        assertThat(end).as(to).isGreaterThan(start);
        return text.substring(start, end);
    }

    /** Each table row's name (placeholders such as {@code <name>} written {@code <>}) and default cell. */
    private static Map<String, String> rows(String section) {
        Map<String, String> rows = new LinkedHashMap<>();
        Matcher m = ROW.matcher(section);
        while (m.find()) {
            if (m.group(1).equals("field") || m.group(1).equals("setting")) continue;
            rows.put(m.group(1).replaceAll("<[a-z]+>", "<>"), m.group(2).strip());
        }
        return rows;
    }
}
