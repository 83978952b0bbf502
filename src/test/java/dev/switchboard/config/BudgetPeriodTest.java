package dev.switchboard.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

/** Budget periods on calendar boundaries in the configured zone: a month is a calendar month, a week starts on Monday. */
class BudgetPeriodTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @Test
    void aDayStartsAtLocalMidnightAndEndsAtTheNext() {
        Instant lateEvening = Instant.parse("2026-12-05T22:59:59Z"); // 23:59:59 in Berlin
        assertThat(BudgetPeriod.DAILY.start(lateEvening, BERLIN)).isEqualTo(Instant.parse("2026-12-04T23:00:00Z"));
        assertThat(BudgetPeriod.DAILY.end(lateEvening, BERLIN)).isEqualTo(Instant.parse("2026-12-05T23:00:00Z"));
        assertThat(BudgetPeriod.DAILY.start(Instant.parse("2026-12-05T23:00:00Z"), BERLIN)).isEqualTo(Instant.parse("2026-12-05T23:00:00Z"));
        assertThat(BudgetPeriod.DAILY.start(lateEvening, ZoneOffset.UTC)).isEqualTo(Instant.parse("2026-12-05T00:00:00Z"));
    }

    @Test
    void aDayThatChangesToSummerTimeIsTwentyThreeHoursLong() {
        Instant during = Instant.parse("2027-03-28T12:00:00Z");
        assertThat(BudgetPeriod.DAILY.start(during, BERLIN)).isEqualTo(Instant.parse("2027-03-27T23:00:00Z"));
        assertThat(BudgetPeriod.DAILY.end(during, BERLIN)).isEqualTo(Instant.parse("2027-03-28T22:00:00Z"));
    }

    @Test
    void aWeekStartsOnMondayAndAMonthOnItsFirstDay() {
        Instant saturday = Instant.parse("2026-12-05T12:00:00Z");
        assertThat(BudgetPeriod.WEEKLY.start(saturday, BERLIN)).isEqualTo(Instant.parse("2026-11-29T23:00:00Z"));
        assertThat(BudgetPeriod.WEEKLY.end(saturday, BERLIN)).isEqualTo(Instant.parse("2026-12-06T23:00:00Z"));
        assertThat(BudgetPeriod.MONTHLY.start(saturday, BERLIN)).isEqualTo(Instant.parse("2026-11-30T23:00:00Z"));
        assertThat(BudgetPeriod.MONTHLY.end(saturday, BERLIN)).isEqualTo(Instant.parse("2026-12-31T23:00:00Z"));
        // February is 28 days, not 30
        Instant february = Instant.parse("2027-02-10T00:00:00Z");
        assertThat(BudgetPeriod.MONTHLY.end(february, ZoneOffset.UTC)).isEqualTo(Instant.parse("2027-03-01T00:00:00Z"));
    }

    @Test
    void noPeriodNeverResets() {
        assertThat(BudgetPeriod.NONE.start(Instant.now(), BERLIN)).isEqualTo(Instant.EPOCH);
        assertThat(BudgetPeriod.NONE.end(Instant.now(), BERLIN)).isNull();
    }

    @Test
    void periodsAreReadByNameAndAnythingElseSaysWhatIsTaken() {
        assertThat(BudgetPeriod.parse("monthly")).isEqualTo(BudgetPeriod.MONTHLY);
        assertThat(BudgetPeriod.parse(null)).isEqualTo(BudgetPeriod.NONE);
        assertThatThrownBy(() -> BudgetPeriod.parse("Monthly")).hasMessage("must be none, daily, weekly or monthly");
        assertThatThrownBy(() -> BudgetPeriod.parse("30d")).hasMessage("must be none, daily, weekly or monthly");
    }

    @Test
    void aZoneThatIsNotAWholeNumberOfHoursFromUtcIsRefusedByName() {
        Clock clock = Clock.fixed(Instant.parse("2026-12-05T00:00:00Z"), ZoneOffset.UTC);
        assertThat(new BudgetCalendar(clock, BERLIN).zone()).isEqualTo(BERLIN);
        assertThatThrownBy(() -> new BudgetCalendar(clock, ZoneId.of("Asia/Kolkata")))
                .hasMessageStartingWith("switchboard.budgets.zone: Asia/Kolkata is not a whole number of hours from UTC");
    }
}
