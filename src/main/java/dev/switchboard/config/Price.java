package dev.switchboard.config;

import java.math.BigDecimal;

/** USD per million tokens of each class, plus a flat USD amount per request. Exact decimals, never doubles. */
public record Price(BigDecimal input, BigDecimal output, BigDecimal cachedInput, BigDecimal cacheWrite, BigDecimal perRequest) {}
