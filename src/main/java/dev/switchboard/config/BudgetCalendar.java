package dev.switchboard.config;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.zone.ZoneOffsetTransition;

/**
 * The clock and time zone budget periods follow ({@code switchboard.budgets.zone}, UTC by default). A
 * period's spend is summed from the ledger's hourly rollups, so the zone must be a whole number of hours
 * from UTC at every moment (true of all but a few zones, such as Asia/Kolkata and Australia/Adelaide).
 */
public record BudgetCalendar(Clock clock, ZoneId zone) {
    public BudgetCalendar {
        Instant now = clock.instant();
        boolean whole = now.atZone(zone).getOffset().getTotalSeconds() % 3600 == 0;
        // and after every change of offset in the next year (summer time)
        ZoneOffsetTransition next = zone.getRules().nextTransition(now);
        for (int i = 0; whole && next != null && i < 4 && next.getInstant().isBefore(now.plusSeconds(366L * 86_400)); i++) {
            whole = next.getOffsetAfter().getTotalSeconds() % 3600 == 0;
            next = zone.getRules().nextTransition(next.getInstant());
        }
        if (!whole) {
            throw new IllegalArgumentException("switchboard.budgets.zone: " + zone + " is not a whole number of hours from UTC;"
                    + " budgets are counted by the hour: choose a zone that is (for example UTC)");
        }
    }

    public static BudgetCalendar utc() {
        return new BudgetCalendar(Clock.systemUTC(), ZoneId.of("UTC"));
    }

    public Instant now() {
        return clock.instant();
    }

    /** The start of {@code period} now. */
    public Instant start(BudgetPeriod period) {
        return period.start(clock.instant(), zone);
    }

    /** When {@code period} starts afresh, or null for none. */
    public Instant resetsAt(BudgetPeriod period) {
        return period.end(clock.instant(), zone);
    }

    /** The calendar day of an instant in this zone, as people there would name it. */
    public ZonedDateTime local(Instant instant) {
        return instant.atZone(zone);
    }
}
