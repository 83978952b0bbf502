package dev.switchboard.config;

import java.util.Map;

/**
 * Keys that share a budget and rate limits: a request of a team's key must pass both its key's and its team's.
 *
 * @param credits  the team's budget in credits each period, or null for none
 * @param metadata free text an administrator keeps with it (owner, cost centre)
 */
public record Team(String name, Long credits, BudgetPeriod period, KeyLimits limits, Map<String, String> metadata) {
    /** The team's subject in budgets and rate limits: its own namespace, apart from keys' names. */
    public String subject() {
        return "team:" + name;
    }
}
