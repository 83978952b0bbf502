package dev.switchboard.config;

import java.util.List;

/**
 * A routes file that cannot be used. Each problem names the file, the line and the field, e.g.
 * {@code config/switchboard.yaml:12: routes.m1.targets[0].upstream: unknown upstream 'foo'}.
 */
public class ConfigException extends RuntimeException {
    private final List<String> problems;

    public ConfigException(String source, List<String> problems) {
        super("Invalid configuration " + source + ":\n  " + String.join("\n  ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
