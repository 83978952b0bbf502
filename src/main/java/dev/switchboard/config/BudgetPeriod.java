package dev.switchboard.config;

import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;

/**
 * How often a budget starts afresh: never, or on calendar boundaries in the gateway's budget time zone (a day
 * at midnight, a week on Monday at midnight, a month on its first day at midnight; a month is a calendar
 * month, not 30 days).
 */
public enum BudgetPeriod {
    NONE, DAILY, WEEKLY, MONTHLY;

    private final String wireName = name().toLowerCase(Locale.ROOT);

    /** The start of the period holding {@code now}; the epoch for {@link #NONE}. */
    public Instant start(Instant now, ZoneId zone) {
        if (this == NONE) return Instant.EPOCH;
        LocalDate today = LocalDate.ofInstant(now, zone);
        LocalDate first = switch (this) {
            case DAILY -> today;
            case WEEKLY -> today.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            case MONTHLY -> today.withDayOfMonth(1);
            case NONE -> throw new AssertionError();
        };
        return first.atStartOfDay(zone).toInstant();
    }

    /** When the period holding {@code now} ends and the budget starts afresh; null for {@link #NONE}. */
    public Instant end(Instant now, ZoneId zone) {
        if (this == NONE) return null;
        LocalDate first = LocalDate.ofInstant(start(now, zone), zone);
        LocalDate next = switch (this) {
            case DAILY -> first.plusDays(1);
            case WEEKLY -> first.plusWeeks(1);
            case MONTHLY -> first.plusMonths(1);
            case NONE -> throw new AssertionError();
        };
        return next.atStartOfDay(zone).toInstant();
    }

    public String wireName() {
        return wireName;
    }

    /** @throws IllegalArgumentException naming the values it takes */
    public static BudgetPeriod parse(String text) {
        if (text == null) return NONE;
        for (BudgetPeriod p : values()) {
            if (p.wireName().equals(text)) return p;
        }
        throw new IllegalArgumentException("must be none, daily, weekly or monthly");
    }
}
