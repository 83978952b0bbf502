package dev.switchboard.support;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * The real coding agents, Codex CLI and Claude Code, as the tests run them: the npm releases pinned in
 * client-clis.properties, installed once per machine under {@code ~/.cache/switchboard/clis} (.ci/run does
 * it first; a test run without it does it itself). Where they cannot be installed, the test fails saying
 * why: it is never skipped.
 */
public final class ClientClis {
    /** What one run of a CLI did. */
    public record Run(int exitCode, String output, Duration took) {}

    private ClientClis() {}

    public static Path codex() {
        return binary("codex", "codex");
    }

    public static Path claude() {
        return binary("claude", "claude");
    }

    /** Runs a CLI in {@code workdir} with {@code env} added, stopping it after {@code timeout}. */
    public static Run run(List<String> command, Path workdir, Map<String, String> env, Duration timeout) {
        try {
            Files.createDirectories(workdir);
            Path log = Files.createTempFile(workdir, "cli-", ".out");
            ProcessBuilder builder = new ProcessBuilder(command).directory(workdir.toFile()).redirectErrorStream(true)
                    .redirectOutput(log.toFile()).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            builder.environment().putAll(env);
            long start = System.nanoTime();
            Process process = builder.start();
            if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                process.descendants().forEach(ProcessHandle::destroyForcibly);
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
                throw new AssertionError(command.getFirst() + " did not end within " + timeout + ":\n" + Files.readString(log));
            }
            return new Run(process.exitValue(), Files.readString(log), Duration.ofNanos(System.nanoTime() - start));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static synchronized Path binary(String name, String bin) {
        String pkg = pinned(name);
        Path dir = Path.of(System.getProperty("user.home"), ".cache", "switchboard", "clis", name);
        Path binary = dir.resolve("node_modules").resolve(".bin").resolve(bin);
        if (Files.isExecutable(binary) && installed(dir, pkg)) return binary;
        install(dir, pkg);
        if (!Files.isExecutable(binary)) throw new AssertionError("npm installed " + pkg + " but " + binary + " is not there");
        return binary;
    }

    /** Whether the folder holds this very version (a pin moved on installs anew). */
    private static boolean installed(Path dir, String pkg) {
        try {
            return Files.readString(dir.resolve("installed.txt")).strip().equals(pkg);
        } catch (IOException e) {
            return false;
        }
    }

    private static void install(Path dir, String pkg) {
        List<String> command = new ArrayList<>(List.of("npm", "install", "--prefix", dir.toString(), "--no-audit", "--no-fund",
                "--loglevel=error", pkg));
        try {
            Files.createDirectories(dir);
            Process npm = new ProcessBuilder(command).redirectErrorStream(true).start();
            String output;
            try (InputStream out = npm.getInputStream()) {
                output = new String(out.readAllBytes(), StandardCharsets.UTF_8);
            }
            if (!npm.waitFor(15, TimeUnit.MINUTES) || npm.exitValue() != 0) {
                throw new AssertionError("Could not install " + pkg + " with npm (the CLI tests need it):\n" + output);
            }
            Files.writeString(dir.resolve("installed.txt"), pkg);
        } catch (IOException e) {
            throw new AssertionError("Could not run npm to install " + pkg + " (the CLI tests need Node.js and npm): " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String pinned(String name) {
        Properties pins = new Properties();
        try (InputStream in = ClientClis.class.getResourceAsStream("/client-clis.properties")) {
            pins.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        String pkg = pins.getProperty(name);
        if (pkg == null) throw new IllegalStateException("no pinned version of " + name + " in client-clis.properties");
        return pkg;
    }
}
