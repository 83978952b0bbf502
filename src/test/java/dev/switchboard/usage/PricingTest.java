package dev.switchboard.usage;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;

import org.junit.jupiter.api.Test;

import dev.switchboard.config.Price;
import dev.switchboard.protocol.TokenUsage;

class PricingTest {
    private static final Price PRICE = new Price(new BigDecimal("0.40"), new BigDecimal("2.20"), new BigDecimal("0.10"),
            new BigDecimal("0.50"), new BigDecimal("0.0001"));

    @Test
    void eachTokenClassAtItsOwnPriceAndReasoningOnlyOnce() {
        // 1000 prompt = 700 uncached + 200 cached + 100 cache-write; 500 completion of which 300 reasoning
        TokenUsage tokens = new TokenUsage(1000, 500, 300, 200, 100);
        // (700*0.40 + 200*0.10 + 100*0.50 + 500*2.20) / 1e6 + 0.0001 = 1450e-6 + 100e-6
        assertThat(Pricing.costUsd(PRICE, tokens)).isEqualByComparingTo("0.00155");
    }

    @Test
    void creditsRoundUpToAWholeCredit() {
        assertThat(Pricing.credits(new BigDecimal("0.0000012"), BigDecimal.valueOf(1_000_000))).isEqualTo(2);
        assertThat(Pricing.credits(new BigDecimal("0.000002"), BigDecimal.valueOf(1_000_000))).isEqualTo(2);
        assertThat(Pricing.credits(new BigDecimal("0.00124"), BigDecimal.valueOf(2_000_000))).isEqualTo(2480);
        assertThat(Pricing.credits(BigDecimal.ZERO, BigDecimal.valueOf(1_000_000))).isZero();
    }

    @Test
    void moreCachedThanPromptNeverGoesNegative() {
        TokenUsage odd = new TokenUsage(10, 0, 0, 20, 0);
        assertThat(Pricing.costUsd(new Price(BigDecimal.ONE, BigDecimal.ONE, BigDecimal.ONE, BigDecimal.ONE, BigDecimal.ZERO), odd))
                .isEqualByComparingTo("0.00002");
    }
}
