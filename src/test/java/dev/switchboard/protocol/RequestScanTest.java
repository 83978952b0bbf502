package dev.switchboard.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class RequestScanTest {
    private static RequestScan scan(String json) {
        return RequestScan.of(json.getBytes(StandardCharsets.UTF_8));
    }

    private static String slice(RequestScan scan, int from, int to) {
        return new String(scan.body(), from, to - from, StandardCharsets.UTF_8);
    }

    @Test
    void findsModelStreamAndExactSpans() {
        String json = "{ \"messages\": [{\"role\":\"user\",\"content\":\"héllo {\\\"x\\\"}\"}],\n \"model\" :  \"minimax-m1\", \"stream\": true, \"max_tokens\": 256 }";
        RequestScan s = scan(json);
        assertThat(s.model()).isEqualTo("minimax-m1");
        assertThat(s.stream()).isTrue();
        RequestScan.Field model = s.field("model");
        assertThat(slice(s, model.nameStart(), model.nameEnd())).isEqualTo("\"model\"");
        assertThat(slice(s, model.valueStart(), model.valueEnd())).isEqualTo("\"minimax-m1\"");
        RequestScan.Field messages = s.field("messages");
        assertThat(slice(s, messages.valueStart(), messages.valueEnd())).startsWith("[").endsWith("}]");
        RequestScan.Field max = s.field("max_tokens");
        assertThat(slice(s, max.valueStart(), max.valueEnd())).isEqualTo("256");
        RequestScan.Field stream = s.field("stream");
        assertThat(slice(s, stream.valueStart(), stream.valueEnd())).isEqualTo("true");
        assertThat(s.objectStart()).isZero();
    }

    @Test
    void streamIsFalseUnlessTrue() {
        assertThat(scan("{\"model\":\"a\"}").stream()).isFalse();
        assertThat(scan("{\"model\":\"a\",\"stream\":\"true\"}").stream()).isFalse();
    }

    @Test
    void modelThatIsNotAStringReadsAsNull() {
        assertThat(scan("{\"model\":42}").model()).isNull();
    }

    @Test
    void escapedModelIsDecoded() {
        assertThat(scan("{\"model\":\"a\\u002Fb\"}").model()).isEqualTo("a/b");
    }

    @Test
    void rejectsWhatIsNotOneObject() {
        assertThatThrownBy(() -> scan("[1,2]")).isInstanceOfSatisfying(GatewayException.class,
                e -> assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST));
        assertThatThrownBy(() -> scan("{\"model\":\"a\"} {}")).hasMessageContaining("content after");
        assertThatThrownBy(() -> scan("{\"model\":\"a\",")).hasMessageContaining("not valid JSON")
                .hasMessageNotContaining("Source");
        assertThatThrownBy(() -> scan("")).isInstanceOf(GatewayException.class);
    }

    @Test
    void rejectsDuplicateTopLevelFields() {
        // an upstream would read the second "model" while the gateway routed and priced the first
        assertThatThrownBy(() -> scan("{\"model\":\"cheap\",\"model\":\"dear\"}"))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.param()).isEqualTo("model"));
        assertThat(scan("{\"model\":\"a\",\"x\":{\"model\":1},\"y\":{\"model\":2}}").model()).isEqualTo("a");
    }

    @Test
    void takesUpToTheFieldLimitAndRefusesOneMore() {
        StringBuilder body = new StringBuilder("{\"model\":\"a\"");
        for (int i = 1; i < RequestScan.MAX_FIELDS; i++) body.append(",\"f").append(i).append("\":").append(i);
        RequestScan full = scan(body + "}");
        assertThat(full.fields()).hasSize(RequestScan.MAX_FIELDS);
        assertThat(full.field("f999").valueToken()).isEqualTo(tools.jackson.core.JsonToken.VALUE_NUMBER_INT);
        assertThatThrownBy(() -> scan(body + ",\"one_more\":1}"))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_REQUEST))
                .hasMessageContaining("more than " + RequestScan.MAX_FIELDS + " top-level fields");
    }

    @Test
    void aDuplicateLateInAManyFieldBodyIsFoundAndItsHugeNameIsNotEchoedWhole() {
        StringBuilder body = new StringBuilder("{\"model\":\"a\"");
        for (int i = 1; i < 900; i++) body.append(",\"f").append(i).append("\":").append(i);
        assertThatThrownBy(() -> scan(body + ",\"f5\":0}")).hasMessageContaining("\"f5\" twice");
        String longName = "n".repeat(100_000);
        assertThatThrownBy(() -> scan("{\"" + longName + "\":1,\"" + longName + "\":2}"))
                .isInstanceOfSatisfying(GatewayException.class, e -> assertThat(e.getMessage()).hasSizeLessThan(400));
    }
}
