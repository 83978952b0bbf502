package dev.switchboard.support;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Debian's Chromium and its chromedriver (packages chromium and chromium-driver, which .ci/run installs),
 * driven by Selenium; nothing is downloaded at test time. {@code SWITCHBOARD_CHROMIUM} and
 * {@code SWITCHBOARD_CHROMEDRIVER} point elsewhere. A missing browser fails the test with how to get one: the
 * dashboard's tests are never skipped.
 */
public final class HeadlessChromium {
    private HeadlessChromium() {}

    public static ChromeDriver start(int width, int height) {
        String browser = System.getenv().getOrDefault("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium");
        String driver = System.getenv().getOrDefault("SWITCHBOARD_CHROMEDRIVER", "/usr/bin/chromedriver");
        if (!new File(browser).canExecute() || !new File(driver).canExecute()) {
            throw new IllegalStateException("The dashboard's tests need Chromium at " + browser + " and chromedriver at " + driver
                    + ": apt-get install chromium chromium-driver (.ci/run does), or set SWITCHBOARD_CHROMIUM and SWITCHBOARD_CHROMEDRIVER");
        }
        Path profile;
        try {
            profile = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "chromium-profile");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(browser);
        // the flags that keep Chromium from calling out to the network it cannot reach here, and a profile of its own
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--lang=en-US", "--user-data-dir=" + profile, "--window-size=" + width + "," + height);
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(new File(driver))
                .withTimeout(Duration.ofSeconds(30)).build();
        ChromeDriver chrome = new ChromeDriver(service, options);
        chrome.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(20)).scriptTimeout(Duration.ofSeconds(20));
        return chrome;
    }
}
