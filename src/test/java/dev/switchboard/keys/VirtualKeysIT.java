package dev.switchboard.keys;

import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.RawHttp;
import tools.jackson.databind.JsonNode;

/**
 * Virtual keys and teams through the admin API: made, used, rotated with a grace period, revoked and expired;
 * their budgets reserve then settle; bad bodies are a 400 naming the field; the routes file's keys are read-only.
 */
class VirtualKeysIT extends GatewayIT {
    /** 10 prompt and 100 completion tokens at m1-cached-openai's prices (1 and 2 a million, 3 credits a request): 213 credits. */
    private static final String ANSWER = """
            {"id":"c","object":"chat.completion","created":1,"model":"cached-model",
             "choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":10,"completion_tokens":100,"total_tokens":110}}""";
    private static final String PATH = "/together/v1/chat/completions";
    private static final String BODY = "{\"model\":\"m1-cached-openai\",\"max_tokens\":100,\"messages\":[]}";
    /** What a request of BODY holds at admission: its prompt as its bytes over four, its whole answer, the fee. */
    private static final long RESERVED = (BODY.length() + 3) / 4 + 200 + 3;
    private RawHttp raw;

    @BeforeEach
    void setUp() {
        raw = new RawHttp(gatewayUrl());
        wireMock().stubFor(post(PATH).willReturn(okJson(ANSWER)));
    }

    private HttpResponse<byte[]> admin(String method, String path, String body) {
        return raw.send(raw.request(path).header("Authorization", "Bearer it-admin-key").header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private JsonNode created(String path, String body) {
        HttpResponse<byte[]> r = admin("POST", path, body);
        assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
        return RawHttp.json(r);
    }

    private HttpResponse<byte[]> chat(String secret) {
        return raw.post("/v1/chat/completions", BODY, "Authorization", "Bearer " + secret);
    }

    private static String unique(String name) {
        return name + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private int upstreamCalls() {
        return wireMock().findAll(postRequestedFor(urlEqualTo(PATH))).size();
    }

    @Test
    void aKeyMadeThroughTheApiWorksUntilRevokedAndItsSecretIsShownOnceAndKeptOnlyAsAHash() {
        String name = unique("ci-bot");
        JsonNode made = created("/admin/keys", "{\"name\":\"" + name + "\",\"metadata\":{\"owner\":\"platform\",\"purpose\":\"ci\"}}");
        String secret = made.get("key").asString();
        assertThat(secret).startsWith("sk-sb-").hasSizeGreaterThan(40);
        assertThat(made.get("source").asString()).isEqualTo("api");
        assertThat(made.get("metadata").get("owner").asString()).isEqualTo("platform");

        assertThat(chat(secret).statusCode()).isEqualTo(200);
        JsonNode read = RawHttp.json(admin("GET", "/admin/keys/" + name, null));
        assertThat(read.has("key")).as("the secret is shown only when made").isFalse();
        assertThat(read.get("state").asString()).isEqualTo("active");
        assertThat(RawHttp.json(admin("GET", "/admin/keys", null)).get("keys").findValuesAsString("name")).contains(name, "team-a");

        assertThat(admin("POST", "/admin/keys/" + name + "/revoke", null).statusCode()).isEqualTo(200);
        int calls = upstreamCalls();
        HttpResponse<byte[]> openAi = chat(secret);
        assertThat(openAi.statusCode()).isEqualTo(401);
        assertThat(RawHttp.json(openAi).get("error").get("message").asString()).contains("revoked");
        HttpResponse<byte[]> anthropic = raw.post("/v1/messages", "{\"model\":\"m1-cached-openai\",\"max_tokens\":5,\"messages\":[]}",
                "x-api-key", secret);
        assertThat(anthropic.statusCode()).isEqualTo(401);
        assertThat(RawHttp.json(anthropic).get("error").get("type").asString()).isEqualTo("authentication_error");
        HttpResponse<byte[]> responses = raw.post("/v1/responses", "{\"model\":\"m1-cached-openai\",\"input\":\"hi\"}",
                "Authorization", "Bearer " + secret);
        assertThat(responses.statusCode()).isEqualTo(401);
        assertThat(upstreamCalls()).as("nothing sent upstream for a revoked key").isEqualTo(calls);
        assertThat(RawHttp.json(admin("GET", "/admin/keys/" + name, null)).get("state").asString()).isEqualTo("revoked");
        assertThat(admin("PATCH", "/admin/keys/" + name, "{\"credits\":5}").statusCode()).isEqualTo(409);
    }

    @Test
    void aRotatedKeysOldSecretWorksForTheGracePeriodItWasGivenAndNoLonger() {
        String name = unique("rotating");
        String first = created("/admin/keys", "{\"name\":\"" + name + "\"}").get("key").asString();
        JsonNode rotated = RawHttp.json(admin("POST", "/admin/keys/" + name + "/rotate", "{\"grace_seconds\":3600}"));
        String second = rotated.get("key").asString();
        assertThat(second).isNotEqualTo(first);
        assertThat(Instant.parse(rotated.get("previous_key_valid_until").asString())).isAfter(Instant.now().plusSeconds(3500));
        assertThat(chat(first).statusCode()).as("the old secret, within its grace").isEqualTo(200);
        assertThat(chat(second).statusCode()).isEqualTo(200);

        String third = RawHttp.json(admin("POST", "/admin/keys/" + name + "/rotate", null)).get("key").asString();
        assertThat(chat(second).statusCode()).as("rotated without grace: the old secret stops at once").isEqualTo(401);
        assertThat(chat(first).statusCode()).isEqualTo(401);
        assertThat(chat(third).statusCode()).isEqualTo(200);
    }

    @Test
    void aKeyStopsWorkingAtItsExpiry() {
        String name = unique("temporary");
        Instant expiry = Instant.now().plusSeconds(2);
        String secret = created("/admin/keys", "{\"name\":\"" + name + "\",\"expires_at\":\"" + expiry + "\"}").get("key").asString();
        assertThat(chat(secret).statusCode()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(10)).until(() -> chat(secret).statusCode() == 401);
        assertThat(Instant.now()).isAfterOrEqualTo(expiry);
        assertThat(RawHttp.json(admin("GET", "/admin/keys/" + name, null)).get("state").asString()).isEqualTo("expired");
    }

    @Test
    void aKeysAliasesAndLimitsHoldAsTheRoutesFilesDo() {
        String name = unique("narrow-api");
        String secret = created("/admin/keys", "{\"name\":\"" + name + "\",\"aliases\":[\"m1-cached-*\"],"
                + "\"limits\":{\"requests_per_minute\":2}}").get("key").asString();
        HttpResponse<byte[]> other = raw.post("/v1/chat/completions", "{\"model\":\"m1-together\",\"messages\":[]}", "Authorization", "Bearer " + secret);
        assertThat(other.statusCode()).isEqualTo(403);
        HttpResponse<byte[]> allowed = chat(secret);
        assertThat(allowed.statusCode()).isEqualTo(200);
        assertThat(allowed.headers().firstValue("x-ratelimit-limit-requests")).hasValue("2");
        assertThat(chat(secret).statusCode()).isEqualTo(200);
        assertThat(chat(secret).statusCode()).isEqualTo(429);
    }

    @Test
    void fiftyConcurrentRequestsAgainstABudgetThatFitsTenServeExactlyTenAndTheLedgerDebitsExactly() throws Exception {
        String name = unique("crowd");
        String secret = created("/admin/keys", "{\"name\":\"" + name + "\",\"credits\":" + 10 * RESERVED + "}").get("key").asString();
        List<CompletableFuture<HttpResponse<byte[]>>> responses = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            responses.add(raw.client().sendAsync(raw.request("/v1/chat/completions").header("Authorization", "Bearer " + secret)
                    .POST(HttpRequest.BodyPublishers.ofString(BODY)).build(), HttpResponse.BodyHandlers.ofByteArray()));
        }
        int served = 0, refused = 0;
        for (CompletableFuture<HttpResponse<byte[]>> r : responses) {
            HttpResponse<byte[]> response = r.get(30, TimeUnit.SECONDS);
            if (response.statusCode() == 200) served++;
            else if (response.statusCode() == 402) refused++;
        }
        assertThat(served).isEqualTo(10);
        assertThat(refused).isEqualTo(40);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            JsonNode key = RawHttp.json(admin("GET", "/admin/keys/" + name, null));
            assertThat(key.get("used").asLong()).isEqualTo(10 * 213);
            assertThat(key.get("reserved").asLong()).isZero();
        });
    }

    @Test
    void aTeamsBudgetIsSharedByItsKeysAndASpentOneIsA402WithWhenItStartsAfresh() {
        String team = unique("research");
        JsonNode made = created("/admin/teams", "{\"name\":\"" + team + "\",\"credits\":" + (RESERVED + 213) + ",\"period\":\"daily\","
                + "\"metadata\":{\"cost_centre\":\"R&D\"}}");
        assertThat(made.get("period").asString()).isEqualTo("daily");
        String alice = created("/admin/keys", "{\"name\":\"" + unique("alice") + "\",\"team\":\"" + team + "\"}").get("key").asString();
        String bob = created("/admin/keys", "{\"name\":\"" + unique("bob") + "\",\"team\":\"" + team + "\"}").get("key").asString();
        assertThat(chat(alice).statusCode()).isEqualTo(200);
        assertThat(chat(bob).statusCode()).isEqualTo(200);
        int calls = upstreamCalls();

        HttpResponse<byte[]> refused = chat(alice);
        assertThat(refused.statusCode()).isEqualTo(402);
        String tomorrow = LocalDate.now(ZoneOffset.UTC).plusDays(1) + "T00:00:00Z";
        assertThat(RawHttp.json(refused).get("error").get("message").asString())
                .contains("The team of key").contains("today").contains("starts afresh at " + tomorrow);
        assertThat(refused.headers().firstValue("retry-after")).isPresent();
        HttpResponse<byte[]> anthropic = raw.post("/v1/messages", "{\"model\":\"m1-cached-openai\",\"max_tokens\":5,\"messages\":[]}",
                "x-api-key", bob);
        assertThat(anthropic.statusCode()).isEqualTo(402);
        assertThat(RawHttp.json(anthropic).get("error").get("type").asString()).isEqualTo("billing_error");
        assertThat(upstreamCalls()).isEqualTo(calls);

        JsonNode status = RawHttp.json(admin("GET", "/admin/teams/" + team, null));
        assertThat(status.get("spent").asLong()).isEqualTo(2 * 213);
        assertThat(status.get("resets_at").asString()).isEqualTo(tomorrow);
        assertThat(status.get("keys")).hasSize(2);
        assertThat(admin("DELETE", "/admin/teams/" + team, null).statusCode()).as("a team with keys stays").isEqualTo(409);
    }

    @Test
    void badBodiesAreA400NamingTheFieldAndTheRoutesFilesKeysAreReadOnly() {
        String[][] cases = {
                {"{\"name\":\"x1\",\"colour\":\"red\"}", "colour: unknown field"},
                {"{\"name\":\"x2\",\"credits\":-5}", "credits:"},
                {"{\"name\":\"x3\",\"aliases\":[\"m1 [a]\"]}", "aliases[0]:"},
                {"{\"name\":\"x4\",\"aliases\":[]}", "aliases:"},
                {"{\"name\":\"x5\",\"period\":\"30d\"}", "period: must be none, daily, weekly or monthly"},
                {"{\"name\":\"x6\",\"limits\":{\"requests_per_minute\":0}}", "limits.requests_per_minute:"},
                {"{\"name\":\"x7\",\"limits\":{\"burst\":3}}", "limits.burst: unknown field"},
                {"{\"name\":\"x7b\",\"limits\":{\"tokens_per_minute\":1000000000000}}", "limits.tokens_per_minute: a whole number from 1 to 10000000000"},
                {"{\"name\":\"x8\",\"expires_at\":\"tomorrow\"}", "expires_at:"},
                {"{\"name\":\"x9\",\"expires_at\":\"2020-01-01T00:00:00Z\"}", "expires_at: must be in the future"},
                {"{\"name\":\"x10\",\"team\":\"nobody\"}", "team: no team named 'nobody'"},
                {"{\"name\":\"bad name!\"}", "name:"},
                {"{\"credits\":5}", "name: required"},
                {"[1,2]", "body: must be a JSON object"},
                {"{not json", "body: not valid JSON"},
        };
        for (String[] c : cases) {
            HttpResponse<byte[]> r = admin("POST", "/admin/keys", c[0]);
            assertThat(r.statusCode()).as(c[0]).isEqualTo(400);
            assertThat(RawHttp.json(r).get("error").get("message").asString()).as(c[0]).startsWith(c[1]);
        }
        HttpResponse<byte[]> team = admin("POST", "/admin/teams", "{\"name\":\"t\",\"credits\":-1}");
        assertThat(team.statusCode()).isEqualTo(400);
        assertThat(RawHttp.json(team).get("error").get("message").asString()).startsWith("credits:");
        assertThat(admin("POST", "/admin/keys/team-a/rotate", null).statusCode()).isEqualTo(409);
        assertThat(admin("PATCH", "/admin/keys/team-a", "{\"credits\":5}").statusCode()).isEqualTo(409);
        assertThat(admin("POST", "/admin/keys/team-a/revoke", null).statusCode()).isEqualTo(409);
        assertThat(admin("POST", "/admin/keys", "{\"name\":\"team-a\"}").statusCode()).as("a name the routes file has").isEqualTo(409);
        assertThat(admin("GET", "/admin/keys/nobody-here", null).statusCode()).isEqualTo(404);
        assertThat(raw.send(raw.request("/admin/keys").POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"x\"}")).build()).statusCode())
                .as("no admin key, no key").isEqualTo(401);
    }
}
