package dev.switchboard.config;

import java.nio.file.Path;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;

/**
 * Process-level settings (Spring properties, so also env vars such as {@code SWITCHBOARD_CONFIG}).
 * Routes live in the YAML file at {@code config}, not here.
 *
 * @param config the routes file
 * @param maxBodySize larger request bodies are refused with 413
 * @param reloadInterval how often the routes file is checked for changes; 0 turns watching off
 */
@ConfigurationProperties("switchboard")
public record GatewayProperties(
        @DefaultValue("config/switchboard.yaml") Path config,
        @DefaultValue("10MB") DataSize maxBodySize,
        @DefaultValue("2s") java.time.Duration reloadInterval) {}
