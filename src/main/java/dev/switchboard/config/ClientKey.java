package dev.switchboard.config;

import java.util.List;

/**
 * A client key as configured (the key itself is kept only as a digest).
 *
 * @param credits the key's budget in credits, or null for no limit
 * @param limits  its rate limits ({@link KeyLimits#NONE} for none)
 * @param aliases the aliases it may use, as names or patterns ({@code *}, {@code ?}); empty for every alias
 */
public record ClientKey(String name, Long credits, KeyLimits limits, List<ModelNames.NamePattern> aliases) {
    public ClientKey(String name, Long credits) {
        this(name, credits, KeyLimits.NONE, List.of());
    }

    public ClientKey(String name, Long credits, KeyLimits limits) {
        this(name, credits, limits, List.of());
    }

    /** Whether this key may use the route of {@code alias}. */
    public boolean allows(String alias) {
        if (aliases.isEmpty()) return true;
        for (ModelNames.NamePattern p : aliases) {
            if (p.regex().matcher(alias).matches()) return true;
        }
        return false;
    }
}
