package dev.switchboard.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class EmbeddedErrorTest {
    private static EmbeddedError find(String body) {
        return EmbeddedError.find(body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void realSuccessesHaveNone() {
        assertThat(find("{\"choices\":[],\"base_resp\":{\"status_code\":0,\"status_msg\":\"\"}}")).isNull();
        assertThat(find("{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"the word \\\"error\\\" appears\"}}]}")).isNull();
        assertThat(find("not json \"base_resp\"")).isNull();
    }

    @Test
    void miniMaxStatusCodesAreClassified() {
        assertThat(find("{\"base_resp\":{\"status_code\":1002,\"status_msg\":\"rate limit\"}}").kind()).isEqualTo(EmbeddedError.Kind.RATE_LIMITED);
        assertThat(find("{\"base_resp\":{\"status_code\":1004}}").kind()).isEqualTo(EmbeddedError.Kind.CREDENTIALS);
        assertThat(find("{\"base_resp\":{\"status_code\":2049}}").kind()).isEqualTo(EmbeddedError.Kind.CREDENTIALS);
        assertThat(find("{\"base_resp\":{\"status_code\":1008}}").kind()).isEqualTo(EmbeddedError.Kind.CREDENTIALS);
        assertThat(find("{\"base_resp\":{\"status_code\":1039}}").kind()).isEqualTo(EmbeddedError.Kind.CLIENT);
        EmbeddedError invalid = find("{\"base_resp\":{\"status_code\":2013,\"status_msg\":\"invalid params\"}}");
        assertThat(invalid.kind()).isEqualTo(EmbeddedError.Kind.CLIENT);
        assertThat(invalid.message()).contains("2013").contains("invalid params");
        assertThat(find("{\"base_resp\":{\"status_code\":1000}}").kind()).isEqualTo(EmbeddedError.Kind.SERVER);
    }

    @Test
    void anAnthropicEnvelopeOnTheOpenAiEndpointIsClassified() {
        assertThat(find("{\"type\":\"error\",\"error\":{\"type\":\"authorized_error\",\"message\":\"invalid api key\"}}").kind())
                .isEqualTo(EmbeddedError.Kind.CREDENTIALS);
        assertThat(find("{\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"busy\"}}").kind())
                .isEqualTo(EmbeddedError.Kind.SERVER);
    }
}
