package dev.switchboard.protocol;

import java.math.BigDecimal;

/**
 * What a provider itself reported a request cost, kept beside the gateway's own price: OpenRouter's
 * {@code usage.cost} (USD), the AI/ML API's {@code meta.usage.usd_spent} and {@code credits_used}.
 *
 * @param usd null when the provider gave no USD figure
 * @param credits the provider's own credits, null when it gave none
 */
public record ProviderCost(BigDecimal usd, BigDecimal credits) {
    public static final ProviderCost NONE = new ProviderCost(null, null);

    /** Fields of {@code other} fill the ones this lacks. */
    public ProviderCost or(ProviderCost other) {
        return new ProviderCost(usd != null ? usd : other.usd, credits != null ? credits : other.credits);
    }
}
