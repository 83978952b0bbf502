package dev.switchboard.usage;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/**
 * Part of readiness: the gateway takes traffic only while every request can be recorded, that is while the
 * usage store answers or, failing that, the journal can be written.
 */
@Component("usageLedgerHealthIndicator")
class LedgerHealthIndicator implements HealthIndicator {
    private final UsageLedger ledger;

    LedgerHealthIndicator(UsageLedger ledger) {
        this.ledger = ledger;
    }

    @Override
    public Health health() {
        return ledger.ready() ? Health.up().build() : Health.down().withDetail("reason", "neither the usage store nor its journal can be written").build();
    }
}
