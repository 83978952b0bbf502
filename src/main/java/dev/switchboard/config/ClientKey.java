package dev.switchboard.config;

import java.util.List;

/**
 * A client key as configured in the routes file or created through the admin API (the key itself is kept
 * only as a digest).
 *
 * @param credits the key's budget in credits (each period), or null for no limit
 * @param period  when its budget starts afresh
 * @param limits  its rate limits ({@link KeyLimits#NONE} for none)
 * @param aliases the aliases it may use, as names or patterns ({@code *}, {@code ?}); empty for every alias
 * @param team    the team it belongs to, or null
 */
public record ClientKey(String name, Long credits, BudgetPeriod period, KeyLimits limits, List<ModelNames.NamePattern> aliases,
                        Team team) {
    public ClientKey(String name, Long credits) {
        this(name, credits, BudgetPeriod.NONE, KeyLimits.NONE, List.of(), null);
    }

    public ClientKey(String name, Long credits, KeyLimits limits) {
        this(name, credits, BudgetPeriod.NONE, limits, List.of(), null);
    }

    public ClientKey(String name, Long credits, KeyLimits limits, List<ModelNames.NamePattern> aliases) {
        this(name, credits, BudgetPeriod.NONE, limits, aliases, null);
    }

    /** Whether this key may use the route of {@code alias}. */
    public boolean allows(String alias) {
        if (aliases.isEmpty()) return true;
        for (ModelNames.NamePattern p : aliases) {
            if (p.regex().matcher(alias).matches()) return true;
        }
        return false;
    }

    /** Whether a request of this key must pass a budget: its own or its team's. */
    public boolean budgeted() {
        return credits != null || (team != null && team.credits() != null);
    }
}
