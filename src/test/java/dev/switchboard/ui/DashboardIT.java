package dev.switchboard.ui;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.okJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

import dev.switchboard.support.GatewayIT;
import dev.switchboard.support.HeadlessChromium;
import dev.switchboard.support.RawHttp;
import tools.jackson.databind.JsonNode;

/**
 * The dashboard in a real browser (Debian's headless Chromium through Selenium) against the running gateway:
 * sign-in and its refusals, the overview's figures against the ledger's, the request log filtered to one
 * request, a circuit opening live, a key revoked from the page and then refused, and the session's cookie and
 * CSRF rules over plain HTTP. Each page's screenshot goes to target/ui-screenshots (the README's come from here).
 */
class DashboardIT extends GatewayIT {
    private static final String ADMIN_KEY = "it-admin-key";
    private static final String VIEWER_KEY = "it-viewer-key";
    private static final String ANSWER = """
            {"id":"c","object":"chat.completion","created":1,"model":"cached-model",
             "choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":10,"completion_tokens":100,"total_tokens":110}}""";
    private static final Path SCREENSHOTS = Path.of("target", "ui-screenshots");
    private static ChromeDriver browser;
    private RawHttp raw;

    @BeforeAll
    static void startBrowser() {
        browser = HeadlessChromium.start(1280, 900);
    }

    @AfterAll
    static void stopBrowser() {
        if (browser != null) browser.quit();
    }

    @BeforeEach
    void setUp() {
        raw = new RawHttp(gatewayUrl());
        wireMock().stubFor(post("/together/v1/chat/completions").willReturn(okJson(ANSWER)));
        browser.manage().deleteAllCookies();
    }

    // ---- sign-in

    @Test
    void aPageWithoutASessionGoesToSignInAndAWrongKeyIsRefused() {
        HttpResponse<byte[]> page = raw.send(raw.request("/ui/requests").GET().build());
        assertThat(page.statusCode()).isEqualTo(303);
        assertThat(page.headers().firstValue("Location")).hasValue("/ui/login");
        assertThat(new String(page.body(), StandardCharsets.UTF_8)).doesNotContain("csrf-token");

        browser.get(gatewayUrl() + "/ui/keys");
        assertThat(browser.getCurrentUrl()).endsWith("/ui/login");
        browser.findElement(By.id("key")).sendKeys("not-the-admin-key");
        browser.findElement(By.id("sign-in")).click();
        WebElement error = waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("error")));
        assertThat(error.getText()).isEqualTo("That is neither the admin key nor the viewer key.");
        assertThat(browser.manage().getCookieNamed(UiSessions.COOKIE)).isNull();
        screenshot("sign-in");
        assertThat(form("/ui/login", "key=wrong", null).statusCode()).isEqualTo(401);
    }

    // ---- overview

    @Test
    void theOverviewShowsWhatTheLedgerHolds() {
        String id = "ui-overview-" + UUID.randomUUID();
        assertThat(chat(KEY, "m1-cached-openai", id).statusCode()).isEqualTo(200);
        usageRecord(id);
        signIn();
        // the page and the API asked one after the other agree; a record landing in between is asked again
        await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> {
            browser.navigate().refresh();
            WebElement card = waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("[data-period='30d']")));
            JsonNode month = adminJson("/admin/usage/overview").get("periods").get("30d");
            assertThat(month.get("requests").asLong()).isPositive();
            assertThat(digits(card.findElement(By.cssSelector("[data-field='requests']")).getText())).isEqualTo(month.get("requests").asString());
            assertThat(digits(card.findElement(By.cssSelector("[data-field='credits']")).getText())).isEqualTo(month.get("credits").asString());
            BigDecimal shown = new BigDecimal(card.findElement(By.cssSelector("[data-field='cost']")).getText().replaceAll("[^0-9.]", ""));
            assertThat(shown).isCloseTo(new BigDecimal(month.get("cost_usd").asString()), org.assertj.core.data.Offset.offset(new BigDecimal("0.00001")));
        });
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".chart .uplot")));
        screenshot("overview");
        browser.findElement(By.id("theme")).click();
        waitFor().until(d -> "dark".equals(d.findElement(By.tagName("html")).getAttribute("data-theme")));
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector(".chart .uplot")));
        screenshot("overview-dark");
        browser.findElement(By.id("theme")).click();
    }

    // ---- request log

    @Test
    void theRequestLogFiltersToOneRequestAndShowsItsTokens() {
        String name = "ui-log-" + UUID.randomUUID().toString().substring(0, 8);
        String secret = createKey(name);
        String id = "ui-log-" + UUID.randomUUID();
        assertThat(chat(secret, "m1-cached-openai", id).statusCode()).isEqualTo(200);
        usageRecord(id);

        signIn();
        browser.get(gatewayUrl() + "/ui/requests");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#results table, #results .empty")));
        browser.findElement(By.id("f-key")).sendKeys(name);
        new Select(browser.findElement(By.id("f-outcome"))).selectByValue("ok");
        browser.findElement(By.id("apply")).click();
        waitFor().until(d -> d.findElements(By.cssSelector("#results tbody tr")).size() == 1
                && id.equals(d.findElement(By.cssSelector("#results tbody tr")).getAttribute("data-request-id")));
        assertThat(browser.getCurrentUrl()).contains("key=" + name).contains("outcome=ok");
        screenshot("requests");
        browser.findElement(By.cssSelector("#results tbody tr")).click();
        WebElement detail = waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("detail")));
        assertThat(detail.findElement(By.cssSelector("dd[data-field='Prompt tokens']")).getText()).isEqualTo("10");
        assertThat(detail.findElement(By.cssSelector("dd[data-field='Completion tokens']")).getText()).isEqualTo("100");
        assertThat(detail.findElement(By.cssSelector("dd[data-field='Key']")).getText()).isEqualTo(name);
        screenshot("request-detail");
    }

    // ---- upstreams

    @Test
    void aTargetsCircuitOpensOnTheUpstreamsPageAsItFails() {
        signIn();
        browser.get(gatewayUrl() + "/ui/upstreams");
        WebElement cheap = waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("tr[data-target='cheap/c']")));
        assertThat(cheap.getAttribute("data-circuit")).isEqualTo("CLOSED");
        assertThat(browser.findElement(By.cssSelector("tr[data-alias='failover']")).getText()).contains("cheap/c");

        wireMock().stubFor(post("/cheap/v1/chat/completions").willReturn(aResponse().withStatus(500)));
        wireMock().stubFor(post("/mid/v1/chat/completions").willReturn(okJson(ANSWER)));
        // window 4, at least 2 calls, 50%: two failures open the circuit
        assertThat(chat(KEY, "failover", null).headers().firstValue("x-switchboard-attempts")).hasValue("2");
        assertThat(chat(KEY, "failover", null).headers().firstValue("x-switchboard-attempts")).hasValue("2");
        // this suite's breakers stay open one second before they let a probe through (half open), and the page
        // polls every two: either state, with when it opened, shows the circuit opened
        waitFor().until(d -> List.of("OPEN", "HALF_OPEN").contains(d.findElement(By.cssSelector("tr[data-target='cheap/c']")).getAttribute("data-circuit")));
        String lastError = adminJson("/admin/upstreams").get("targets").valueStream()
                .filter(t -> t.get("id").asString().equals("cheap/c")).findFirst().orElseThrow().get("last_error").asString();
        assertThat(browser.findElement(By.cssSelector("tr[data-target='cheap/c']")).getText()).contains("opened").contains(lastError);
        screenshot("upstreams");
    }

    // ---- keys

    @Test
    void aKeyMadeAndRevokedOnTheKeysPageIsRefusedAfterwards() {
        String name = "ui-revoke-" + UUID.randomUUID().toString().substring(0, 8);
        signIn();
        browser.get(gatewayUrl() + "/ui/keys");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#keys table")));
        browser.findElement(By.id("k-name")).sendKeys(name);
        browser.findElement(By.id("k-credits")).sendKeys("100000");
        new Select(browser.findElement(By.id("k-period"))).selectByValue("monthly");
        browser.findElement(By.id("create")).click();
        String secret = waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.id("new-secret"))).getText();
        assertThat(secret).startsWith("sk-sb-");
        assertThat(chat(secret, "m1-cached-openai", null).statusCode()).isEqualTo(200);

        By row = By.cssSelector("tr[data-key='" + name + "']");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(row));
        assertThat(browser.findElement(row).getText()).contains("100,000 cr").contains("monthly");
        screenshot("keys");
        browser.findElement(row).findElement(By.cssSelector("button[data-action='revoke']")).click();
        waitFor().until(ExpectedConditions.alertIsPresent()).accept();
        waitFor().until(d -> "revoked".equals(d.findElement(row).getAttribute("data-state")));
        HttpResponse<byte[]> refused = chat(secret, "m1-cached-openai", null);
        assertThat(refused.statusCode()).isEqualTo(401);
        assertThat(RawHttp.json(refused).get("error").get("message").asString()).contains("revoked");
    }

    // ---- config, and the pages at a phone's width

    @Test
    void theConfigPageShowsTheRoutesInForce() {
        signIn();
        browser.get(gatewayUrl() + "/ui/config");
        WebElement loaded = waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dd[data-field='loaded_at']")));
        assertThat(loaded.getText()).isNotBlank();
        assertThat(browser.findElement(By.tagName("main")).getText()).contains("failover").contains("cheap/c").contains("switchboard-it.yaml");
        browser.findElement(By.id("reload")).click();
        assertThat(waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("#message .notice"))).getText()).startsWith("Reloaded");
        screenshot("config");

        browser.manage().window().setSize(new org.openqa.selenium.Dimension(390, 844));
        try {
            browser.get(gatewayUrl() + "/ui/requests");
            waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#results table, #results .empty")));
            Long overflow = (Long) browser.executeScript("return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
            assertThat(overflow).as("the page fits a phone's width; wide tables scroll inside their card").isLessThanOrEqualTo(0L);
            screenshot("requests-phone");
        } finally {
            browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 900));
        }
    }

    // ---- the viewer key

    @Test
    void theViewerKeySeesEveryPageAndChangesNothing() {
        signIn(VIEWER_KEY);
        assertThat(browser.findElement(By.id("read-only")).isDisplayed()).isTrue();
        browser.get(gatewayUrl() + "/ui/keys");
        waitFor().until(ExpectedConditions.presenceOfElementLocated(By.cssSelector("#keys table")));
        assertThat(browser.findElements(By.id("create-key"))).isEmpty();
        assertThat(browser.findElements(By.cssSelector("button[data-action]"))).isEmpty();
        browser.get(gatewayUrl() + "/ui/config");
        waitFor().until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector("dd[data-field='loaded_at']")));
        assertThat(browser.findElements(By.id("reload"))).isEmpty();

        String cookie = UiSessions.COOKIE + "=" + browser.manage().getCookieNamed(UiSessions.COOKIE).getValue();
        String token = browser.findElement(By.cssSelector("meta[name='csrf-token']")).getAttribute("content");
        String team = "{\"name\":\"viewer-team\"}";
        assertThat(withCookie("GET", "/admin/keys", cookie, null, null).statusCode()).isEqualTo(200);
        HttpResponse<byte[]> refused = withCookie("POST", "/admin/teams", cookie, token, team);
        assertThat(refused.statusCode()).isEqualTo(403);
        assertThat(RawHttp.json(refused).get("error").get("message").asString()).contains("may only read");
        HttpRequest.Builder bearer = raw.request("/admin/teams").header("Authorization", "Bearer " + VIEWER_KEY);
        assertThat(raw.send(bearer.GET().build()).statusCode()).isEqualTo(200);
        assertThat(raw.send(raw.request("/admin/teams").header("Authorization", "Bearer " + VIEWER_KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(team)).build()).statusCode()).isEqualTo(403);
        assertThat(raw.send(raw.request("/admin/reload").header("Authorization", "Bearer " + VIEWER_KEY)
                .POST(HttpRequest.BodyPublishers.noBody()).build()).statusCode()).isEqualTo(403);
    }

    // ---- the session over plain HTTP

    @Test
    void theSessionCookieIsStrictChangesNeedItsCsrfTokenAndSignOutEndsIt() {
        HttpResponse<byte[]> signedIn = form("/ui/login", "key=" + ADMIN_KEY, null);
        assertThat(signedIn.statusCode()).isEqualTo(303);
        String setCookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow();
        assertThat(setCookie).startsWith(UiSessions.COOKIE + "=").containsIgnoringCase("HttpOnly").contains("SameSite=Strict").doesNotContain("Secure");
        String cookie = setCookie.substring(0, setCookie.indexOf(';'));
        HttpResponse<byte[]> behindTls = raw.send(raw.request("/ui/login").header("Content-Type", "application/x-www-form-urlencoded")
                .header("X-Forwarded-Proto", "https").POST(HttpRequest.BodyPublishers.ofString("key=" + ADMIN_KEY)).build());
        assertThat(behindTls.headers().firstValue("Set-Cookie").orElseThrow()).contains("Secure");
        HttpResponse<byte[]> crossSite = raw.send(raw.request("/ui/login").header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", "http://attacker.example").POST(HttpRequest.BodyPublishers.ofString("key=" + ADMIN_KEY)).build());
        assertThat(crossSite.statusCode()).isEqualTo(403);
        assertThat(crossSite.headers().firstValue("Set-Cookie")).isEmpty();

        assertThat(withCookie("GET", "/admin/keys", cookie, null, null).statusCode()).isEqualTo(200);
        String team = "{\"name\":\"ui-team-" + UUID.randomUUID().toString().substring(0, 8) + "\"}";
        HttpResponse<byte[]> noToken = withCookie("POST", "/admin/teams", cookie, null, team);
        assertThat(noToken.statusCode()).isEqualTo(403);
        assertThat(RawHttp.json(noToken).get("error").get("message").asString()).contains("X-CSRF-Token");
        assertThat(withCookie("POST", "/admin/teams", cookie, "forged", team).statusCode()).isEqualTo(403);

        HttpResponse<byte[]> page = withCookie("GET", "/ui/overview", cookie, null, null);
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Security-Policy").orElseThrow()).contains("frame-ancestors 'none'");
        Matcher meta = Pattern.compile("name=\"csrf-token\" content=\"([^\"]+)\"").matcher(new String(page.body(), StandardCharsets.UTF_8));
        assertThat(meta.find()).isTrue();
        String token = meta.group(1);
        assertThat(withCookie("POST", "/admin/teams", cookie, token, team).statusCode()).isEqualTo(201);

        HttpResponse<byte[]> signedOut = form("/ui/logout", "csrf=" + URLEncoder.encode(token, StandardCharsets.UTF_8), cookie);
        assertThat(signedOut.statusCode()).isEqualTo(303);
        assertThat(signedOut.headers().firstValue("Set-Cookie").orElseThrow()).contains("Max-Age=0");
        assertThat(withCookie("GET", "/admin/keys", cookie, null, null).statusCode()).as("the old cookie is dead").isEqualTo(401);
        assertThat(withCookie("GET", "/ui/overview", cookie, null, null).statusCode()).isEqualTo(303);
    }

    // ---- helpers

    private void signIn() {
        signIn(ADMIN_KEY);
    }

    private void signIn(String key) {
        browser.get(gatewayUrl() + "/ui/login");
        browser.findElement(By.id("key")).sendKeys(key);
        browser.findElement(By.id("sign-in")).click();
        waitFor().until(ExpectedConditions.urlContains("/ui/overview"));
    }

    private WebDriverWait waitFor() {
        return (WebDriverWait) new WebDriverWait(browser, Duration.ofSeconds(10), Duration.ofMillis(100))
                .ignoring(StaleElementReferenceException.class);
    }

    private static String digits(String text) {
        return text.replaceAll("[^0-9]", "");
    }

    private static void screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Files.write(SCREENSHOTS.resolve(name + ".png"), browser.getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private HttpResponse<byte[]> chat(String key, String alias, String requestId) {
        HttpRequest.Builder b = raw.request("/v1/chat/completions").header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"" + alias + "\",\"max_tokens\":100,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"));
        if (requestId != null) b.header("x-request-id", requestId);
        return raw.send(b.build());
    }

    private JsonNode adminJson(String path) {
        HttpResponse<byte[]> r = raw.send(raw.request(path).header("Authorization", "Bearer " + ADMIN_KEY).GET().build());
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        return RawHttp.json(r);
    }

    private String createKey(String name) {
        HttpResponse<byte[]> r = raw.send(raw.request("/admin/keys").header("Authorization", "Bearer " + ADMIN_KEY)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString("{\"name\":\"" + name + "\"}")).build());
        assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(201);
        return RawHttp.json(r).get("key").asString();
    }

    private HttpResponse<byte[]> form(String path, String body, String cookie) {
        HttpRequest.Builder b = raw.request(path).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (cookie != null) b.header("Cookie", cookie);
        return raw.send(b.build());
    }

    private HttpResponse<byte[]> withCookie(String method, String path, String cookie, String csrf, String json) {
        HttpRequest.Builder b = raw.request(path).header("Cookie", cookie)
                .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
        if (json != null) b.header("Content-Type", "application/json");
        if (csrf != null) b.header(UiSessions.CSRF_HEADER, csrf);
        return raw.send(b.build());
    }
}
