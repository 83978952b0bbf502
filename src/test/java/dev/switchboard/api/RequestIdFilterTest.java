package dev.switchboard.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;

import org.junit.jupiter.api.Test;

class RequestIdFilterTest {
    @Test
    void freshIdsAreWellFormedAndDistinct() {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = RequestIdFilter.fresh();
            assertThat(id).matches("req_[0-9a-f]{32}");
            ids.add(id);
        }
        assertThat(ids).hasSize(10_000);
    }

    @Test
    void freshIdsSortByTheMillisecondTheyWereMade() throws InterruptedException {
        String earlier = RequestIdFilter.fresh();
        Thread.sleep(2);
        String later = RequestIdFilter.fresh();
        assertThat(later.substring(4, 16)).isGreaterThan(earlier.substring(4, 16));
        assertThat(later).isGreaterThan(earlier);
    }
}
