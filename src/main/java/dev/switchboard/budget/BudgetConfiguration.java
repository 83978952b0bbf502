package dev.switchboard.budget;

import java.time.Clock;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.Set;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import dev.switchboard.config.BudgetCalendar;
import dev.switchboard.config.BudgetPeriod;
import dev.switchboard.config.ClientKey;
import dev.switchboard.config.CurrentRouteTable;
import dev.switchboard.limits.KeyRateLimits;
import dev.switchboard.usage.UsageLedger;
import io.micrometer.core.instrument.MeterRegistry;

@Configuration(proxyBeanMethods = false)
class BudgetConfiguration {
    /** @param zone the time zone whose midnights, Mondays and first days of the month start budget periods */
    @ConfigurationProperties("switchboard.budgets")
    record BudgetProperties(@DefaultValue("UTC") ZoneId zone) {}

    @Bean
    BudgetCalendar budgetCalendar(BudgetProperties properties) {
        return new BudgetCalendar(Clock.systemUTC(), properties.zone());
    }

    /**
     * The routes file's keys' periods are summed from the start, so their first requests find them known; with
     * Redis, holds are shared through it. Teams' members come from the virtual keys' directory.
     */
    @Bean
    Budgets budgets(UsageLedger ledger, Budgets.Members teams, CurrentRouteTable routes, KeyRateLimits limits, MeterRegistry meters) {
        Set<BudgetPeriod> periods = EnumSet.noneOf(BudgetPeriod.class);
        for (ClientKey k : routes.get().keysByDigest().values()) {
            if (k.credits() != null) periods.add(k.period());
        }
        ledger.trackPeriods(periods);
        return new Budgets(ledger, teams, limits.sharedHolds(), meters);
    }
}
