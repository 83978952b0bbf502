package dev.switchboard.config;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** Start-up stopped by a bad routes file prints its problems, not a stack trace. */
class ConfigFailureAnalyzer extends AbstractFailureAnalyzer<ConfigException> {
    @Override
    protected FailureAnalysis analyze(Throwable rootFailure, ConfigException cause) {
        return new FailureAnalysis(cause.getMessage(),
                "Fix the routes file (every field: docs/configuration.md), or point SWITCHBOARD_CONFIG at another.",
                cause);
    }
}
