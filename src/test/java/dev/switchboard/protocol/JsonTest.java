package dev.switchboard.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Set;

import org.junit.jupiter.api.Test;

import tools.jackson.core.util.JsonRecyclerPools;
import tools.jackson.databind.node.ObjectNode;

class JsonTest {
    @Test
    void picksOnlyTheNamedTopLevelFieldsWhereverTheyStand() {
        byte[] body = """
                {"id":"x","usage":{"prompt_tokens":250,"completion_tokens":12},"choices":[{"message":{"usage":"no"}}],
                 "meta":{"usage":{"credits_used":7}},"model":"m"}""".getBytes(StandardCharsets.UTF_8);
        ObjectNode picked = Json.fields(body, Set.of("usage", "meta"));
        assertThat(picked.propertyNames()).containsExactlyInAnyOrder("usage", "meta");
        assertThat(picked.path("usage").path("completion_tokens").asLong()).isEqualTo(12);
        assertThat(picked.path("meta").path("usage").path("credits_used").asLong()).isEqualTo(7);
    }

    @Test
    void aBodyThatIsNoJsonObjectGivesNull() {
        assertThat(Json.fields("[1,2]".getBytes(StandardCharsets.UTF_8), Set.of("usage"))).isNull();
        assertThat(Json.fields("{\"usage\":".getBytes(StandardCharsets.UTF_8), Set.of("usage"))).isNull();
        assertThat(Json.fields("{\"a\":1}".getBytes(StandardCharsets.UTF_8), Set.of("usage"))).isEmpty();
    }

    @Test
    void everyParserAndWriterTakesItsBuffersFromItsThreadsOwnPool() {
        assertThat(Json.FACTORY._getRecyclerPool()).isSameAs(JsonRecyclerPools.threadLocalPool());
        assertThat(Json.MAPPER.tokenStreamFactory()).isSameAs(Json.FACTORY);
    }
}
