package dev.switchboard.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ApiEndpointTest {
    @Test
    void aRequestTargetNamesAnEndpointByItsExactPathWithAnyQuery() {
        assertThat(ApiEndpoint.CHAT_COMPLETIONS.servedAt("/v1/chat/completions")).isTrue();
        assertThat(ApiEndpoint.CHAT_COMPLETIONS.servedAt("/v1/chat/completions?trace=1")).isTrue();
        assertThat(ApiEndpoint.MESSAGES.servedAt("/v1/messages")).isTrue();
        assertThat(ApiEndpoint.COUNT_TOKENS.servedAt("/v1/messages/count_tokens")).isTrue();
    }

    @Test
    void aTargetInAbsoluteFormNamesTheEndpointOfItsPath() {
        assertThat(ApiEndpoint.CHAT_COMPLETIONS.servedAt("http://127.0.0.1:8080/v1/chat/completions")).isTrue();
        assertThat(ApiEndpoint.MESSAGES.servedAt("https://gateway.example/v1/messages?beta=true")).isTrue();
        assertThat(ApiEndpoint.MESSAGES.servedAt("http://gateway.example/v1/messages/count_tokens")).isFalse();
        assertThat(ApiEndpoint.CHAT_COMPLETIONS.servedAt("http://gateway.example")).isFalse();
        assertThat(ApiEndpoint.CHAT_COMPLETIONS.servedAt("http://v1/chat/completions")).isFalse();
        assertThat(ApiEndpoint.CHAT_COMPLETIONS.servedAt("*")).isFalse();
    }

    @Test
    void longerOrOtherPathsAreNotThatEndpoint() {
        assertThat(ApiEndpoint.MESSAGES.servedAt("/v1/messages/count_tokens")).isFalse();
        assertThat(ApiEndpoint.MESSAGES.servedAt("/v1/messagesx")).isFalse();
        assertThat(ApiEndpoint.CHAT_COMPLETIONS.servedAt("/v1/chat/completions/")).isFalse();
        assertThat(ApiEndpoint.CHAT_COMPLETIONS.servedAt("/v1/chat")).isFalse();
        assertThat(ApiEndpoint.CHAT_COMPLETIONS.servedAt("/chat/completions")).isFalse();
    }
}
