package dev.switchboard.usage;

import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

import dev.switchboard.SwitchboardApplication;
import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.store.SqliteDatabase;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Every API call the dashboard's pages make, over HTTP against the gateway with {@value #RECORDS} records in
 * its ledger (the last 40 days up to now: 20 keys, 3 aliases, 5 upstreams, 2% upstream errors, 1% cancelled):
 * the embedded SQLite ledger, or PostgreSQL when {@code SWITCHBOARD_BENCH_POSTGRES_URL} names a database (a
 * schema of its own is made there). Each call is made {@value #ROUNDS} times after {@value #WARMUP} unmeasured;
 * prints the median and the slowest. {@code src/bench/run.sh dashboard} runs it.
 */
public final class DashboardApiAtScale {
    static final int RECORDS = 1_000_000;
    static final int WARMUP = 5;
    static final int ROUNDS = 20;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public static void main(String[] args) throws Exception {
        Path dir = Files.createTempDirectory("dashboard-at-scale");
        String postgres = System.getenv("SWITCHBOARD_BENCH_POSTGRES_URL");
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        long started = System.nanoTime();
        String dbUrl = postgres == null ? fillSqlite(dir.resolve("ledger.db"), now) : fillPostgres(postgres, now);
        System.out.printf("filled %,d records in %d s (%s)%n", RECORDS, (System.nanoTime() - started) / 1_000_000_000L,
                postgres == null ? "SQLite" : "PostgreSQL");

        System.setProperty("BENCH_MOCK_PORT", "9");
        Map<String, Object> properties = new LinkedHashMap<>();
        properties.put("switchboard.config", "src/bench/bench.yaml");
        properties.put("switchboard.ledger.file", dir.resolve("ledger.db").toString());
        properties.put("switchboard.usage.record-log", dir.resolve("record-log").toString());
        properties.put("switchboard.usage.journal", dir.resolve("journal.jsonl").toString());
        properties.put("server.port", "0");
        properties.put("server.address", "127.0.0.1");
        if (dbUrl != null) properties.put("spring.r2dbc.url", dbUrl);
        // as arguments: they outrank application.yaml, as a deployment's settings do
        String[] arguments = properties.entrySet().stream().map(e -> "--" + e.getKey() + "=" + e.getValue()).toArray(String[]::new);
        try (ConfigurableApplicationContext gateway = new SpringApplicationBuilder(SwitchboardApplication.class).run(arguments)) {
            String base = "http://127.0.0.1:" + gateway.getEnvironment().getProperty("local.server.port");
            measure(base, now);
        } finally {
            if (dropSchema != null) dropSchema.run();
        }
    }

    /** Drops the PostgreSQL schema the run made, so a million records do not stay behind in a shared database. */
    private static Runnable dropSchema;

    private static void measure(String base, Instant now) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newHttpClient();
        String firstPage = "/admin/usage?limit=50";
        JsonNode page = get(http, base + firstPage);
        String cursor = page.get("next").asString();
        for (int i = 0; i < 19; i++) cursor = get(http, base + "/admin/usage?limit=50&before=" + cursor).get("next").asString();
        String requestId = page.get("records").get(0).get("request_id").asString();
        Map<String, String> calls = new LinkedHashMap<>();
        calls.put("overview: today, 7 and 30 days", "/admin/usage/overview");
        calls.put("chart: 24 h by alias, hourly", "/admin/usage/series?group_by=alias&bucket=hour&from=" + now.minus(Duration.ofDays(1)) + "&to=" + now);
        calls.put("chart: 7 days by key, hourly", "/admin/usage/series?group_by=key&bucket=hour&from=" + now.minus(Duration.ofDays(7)) + "&to=" + now);
        calls.put("chart: 30 days by upstream, daily", "/admin/usage/series?group_by=upstream&bucket=day&from=" + now.minus(Duration.ofDays(30)) + "&to=" + now);
        calls.put("requests: newest 50", firstPage);
        calls.put("requests: page 21 (by cursor)", "/admin/usage?limit=50&before=" + cursor);
        calls.put("requests: a key's newest 50", "/admin/usage?limit=50&key=key-7");
        calls.put("requests: an alias's errors", "/admin/usage?limit=50&alias=alias-1&outcome=upstream_error");
        calls.put("requests: an upstream, one day 20 days ago", "/admin/usage?limit=50&upstream=upstream-2&from="
                + now.minus(Duration.ofDays(21)) + "&to=" + now.minus(Duration.ofDays(20)));
        calls.put("requests: an outcome none has", "/admin/usage?limit=50&outcome=gateway_stopped");
        calls.put("requests: a key and an outcome none has", "/admin/usage?limit=50&key=key-7&outcome=gateway_stopped");
        calls.put("request: one by its id", "/admin/usage/" + URLEncoder.encode(requestId, StandardCharsets.UTF_8));
        calls.put("upstreams", "/admin/upstreams");
        calls.put("keys", "/admin/keys");
        calls.put("teams", "/admin/teams");
        calls.put("config", "/admin/config");
        System.out.printf("%-46s %10s %10s%n", "call", "median ms", "max ms");
        for (Map.Entry<String, String> call : calls.entrySet()) {
            for (int i = 0; i < WARMUP; i++) get(http, base + call.getValue());
            double[] ms = new double[ROUNDS];
            for (int i = 0; i < ROUNDS; i++) {
                long t0 = System.nanoTime();
                get(http, base + call.getValue());
                ms[i] = (System.nanoTime() - t0) / 1e6;
            }
            Arrays.sort(ms);
            System.out.printf("%-46s %10.1f %10.1f%n", call.getKey(), ms[ROUNDS / 2], ms[ROUNDS - 1]);
        }
    }

    private static JsonNode get(HttpClient http, String url) throws IOException, InterruptedException {
        HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer bench-admin-key").build(),
                HttpResponse.BodyHandlers.ofByteArray());
        if (r.statusCode() != 200) throw new IllegalStateException(url + ": " + r.statusCode() + " " + new String(r.body(), StandardCharsets.UTF_8));
        return JSON.readTree(r.body());
    }

    /** The records in batches, made as they are written: a million at once would not fit the gateway's heap. */
    private static void fill(Instant now, int size, BatchWriter writer) throws Exception {
        SplittableRandom random = new SplittableRandom(7);
        long span = Duration.ofDays(40).toMillis();
        for (int b = 0; b < RECORDS / size; b++) {
            List<UsageRecord> batch = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                int n = b * size + i;
                int roll = random.nextInt(100);
                Outcome outcome = roll < 2 ? Outcome.UPSTREAM_ERROR : roll < 3 ? Outcome.CLIENT_CANCELLED : Outcome.OK;
                batch.add(new UsageRecord(RecordId.next(), "req-" + n, now.minusMillis(span - span * n / RECORDS), "key-" + random.nextInt(20),
                        ApiEndpoint.CHAT_COMPLETIONS, "alias-" + random.nextInt(3), "upstream-" + random.nextInt(5), "model", n % 2 == 0,
                        outcome == Outcome.UPSTREAM_ERROR ? 502 : 200, outcome, 1, 250, 42, 0, 0, 0, UsageSource.UPSTREAM,
                        new BigDecimal("0.000123450000001"), 12, null, null, 300, 120L));
            }
            writer.write(batch);
        }
    }

    private interface BatchWriter {
        void write(List<UsageRecord> batch) throws Exception;
    }

    private static String fillSqlite(Path file, Instant now) throws Exception {
        SqliteUsageStore store = new SqliteUsageStore(SqliteDatabase.open(file, SqliteDatabase.Synchronous.NORMAL));
        fill(now, 1_000, store::writeNew);
        store.close();
        store.database().close();
        return null;
    }

    private static String fillPostgres(String url, Instant now) throws Exception {
        String schema = "dashboard_bench_" + Long.toHexString(System.nanoTime());
        io.r2dbc.spi.ConnectionFactoryOptions options = io.r2dbc.spi.ConnectionFactoryOptions.parse(url);
        String jdbc = "jdbc:postgresql://" + options.getValue(io.r2dbc.spi.ConnectionFactoryOptions.HOST) + ":"
                + options.getValue(io.r2dbc.spi.ConnectionFactoryOptions.PORT) + "/" + options.getValue(io.r2dbc.spi.ConnectionFactoryOptions.DATABASE);
        Object user = options.getValue(io.r2dbc.spi.ConnectionFactoryOptions.USER);
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc, user == null ? null : user.toString(), null);
             java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA " + schema);
        }
        io.r2dbc.spi.ConnectionFactory connections = io.r2dbc.spi.ConnectionFactories.get(options.mutate()
                .option(io.r2dbc.spi.Option.valueOf("schema"), schema).build());
        PostgresUsageStore store = new PostgresUsageStore(new dev.switchboard.store.PostgresDatabase(connections, connections,
                jdbc + "?currentSchema=" + schema, user == null ? null : user.toString(), null));
        store.migrate().block();
        fill(now, 5_000, batch -> store.write(batch).block());
        store.close();
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc + "?currentSchema=" + schema, user == null ? null : user.toString(), null);
             java.sql.Statement s = c.createStatement()) {
            s.execute("ANALYZE");
        }
        dropSchema = () -> {
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbc, user == null ? null : user.toString(), null);
                 java.sql.Statement s = c.createStatement()) {
                s.execute("DROP SCHEMA " + schema + " CASCADE");
            } catch (java.sql.SQLException e) {
                System.err.println("could not drop schema " + schema + ": " + e.getMessage());
            }
        };
        return url + (url.contains("?") ? "&" : "?") + "schema=" + schema;
    }
}
