package dev.switchboard.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;

class ResponseClassifierTest {
    private static final Duration DEFAULT = Duration.ofSeconds(10);

    private static Duration retryAfter(String value) {
        HttpHeaders h = new HttpHeaders();
        if (value != null) h.set(HttpHeaders.RETRY_AFTER, value);
        return ResponseClassifier.retryAfter(h, DEFAULT);
    }

    @Test
    void retryAfterInSecondsOrAsAnHttpDate() {
        assertThat(retryAfter("7")).isEqualTo(Duration.ofSeconds(7));
        String inThirty = ZonedDateTime.now().plusSeconds(30).format(DateTimeFormatter.RFC_1123_DATE_TIME);
        assertThat(retryAfter(inThirty)).isBetween(Duration.ofSeconds(27), Duration.ofSeconds(30));
        String past = ZonedDateTime.now().minusMinutes(1).format(DateTimeFormatter.RFC_1123_DATE_TIME);
        assertThat(retryAfter(past)).isEqualTo(Duration.ZERO);
    }

    @Test
    void missingOrUnreadableRetryAfterFallsBackToTheDefault() {
        assertThat(retryAfter(null)).isEqualTo(DEFAULT);
        assertThat(retryAfter("soon")).isEqualTo(DEFAULT);
    }

    @Test
    void anEventStreamIsKnownByItsTypeWhateverItsParametersAndCase() {
        assertThat(ResponseClassifier.isEventStream("text/event-stream")).isTrue();
        assertThat(ResponseClassifier.isEventStream("text/event-stream; charset=utf-8")).isTrue();
        assertThat(ResponseClassifier.isEventStream(" Text/Event-Stream ;charset=UTF-8")).isTrue();
        assertThat(ResponseClassifier.isEventStream("application/json")).isFalse();
        assertThat(ResponseClassifier.isEventStream("text/event-streaming")).isFalse();
        assertThat(ResponseClassifier.isEventStream("text/event-stream x")).isFalse();
        assertThat(ResponseClassifier.isEventStream("application/text/event-stream")).isFalse();
        assertThat(ResponseClassifier.isEventStream("")).isFalse();
        assertThat(ResponseClassifier.isEventStream(null)).isFalse();
    }
}
