package dev.switchboard.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import org.junit.jupiter.api.Test;

import dev.switchboard.config.AuthStyle;
import dev.switchboard.config.HttpVersion;
import dev.switchboard.config.Price;
import dev.switchboard.config.Protocol;
import dev.switchboard.config.StreamUsage;
import dev.switchboard.config.Target;
import dev.switchboard.config.Timeouts;
import dev.switchboard.config.Upstream;
import dev.switchboard.protocol.RequestScan;
import io.netty.buffer.ByteBuf;

class RequestBodyRewriterTest {
    private static final Price FREE = new Price(BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO, BigDecimal.ZERO);

    private static Target target(AuthStyle auth, String keyField, String modelField, String model) {
        Upstream upstream = new Upstream("u", Protocol.OPENAI, URI.create("http://127.0.0.1:1/v1"), auth, "sk-up\"stream",
                keyField, modelField, Map.of(), Timeouts.DEFAULTS, StreamUsage.INJECT, HttpVersion.HTTP_1_1, true);
        return new Target(upstream, model, FREE);
    }

    private static String rewrite(String body, Target target) {
        return rewrite(body, target, false);
    }

    private static String rewrite(String body, Target target, boolean injectStreamUsage) {
        ByteBuf out = RequestBodyRewriter.rewrite(RequestScan.of(body.getBytes(StandardCharsets.UTF_8)), target, injectStreamUsage);
        try {
            return out.toString(StandardCharsets.UTF_8);
        } finally {
            out.release();
        }
    }

    @Test
    void replacesOnlyTheModelValue() {
        String body = "{\n  \"model\" : \"minimax-m1\",\n  \"messages\": [{\"role\":\"user\",\"content\":\"ünïcode \\\"model\\\": x\"}],\"stream\":true }";
        assertThat(rewrite(body, target(AuthStyle.BEARER, null, "model", "minimax/m1")))
                .isEqualTo(body.replace("\"minimax-m1\"", "\"minimax/m1\""));
    }

    @Test
    void escapesTheUpstreamModelId() {
        assertThat(rewrite("{\"model\":\"a\"}", target(AuthStyle.BEARER, null, "model", "we\"ird\\id")))
                .isEqualTo("{\"model\":\"we\\\"ird\\\\id\"}");
    }

    @Test
    void renamesTheModelFieldAndPutsTheKeyInTheBody() {
        String out = rewrite("{\"model\":\"minimax-m1\",\"messages\":[]}", target(AuthStyle.BODY, "key", "model_id", "minimax-minimax-m1"));
        assertThat(out).isEqualTo("{\"key\":\"sk-up\\\"stream\",\"model_id\":\"minimax-minimax-m1\",\"messages\":[]}");
    }

    @Test
    void aKeyTheClientSentIsReplacedNotDuplicated() {
        String out = rewrite("{\"messages\":[],\"key\":\"client-guess\",\"model\":\"m\"}", target(AuthStyle.BODY, "key", "model", "x"));
        assertThat(out).isEqualTo("{\"messages\":[],\"key\":\"sk-up\\\"stream\",\"model\":\"x\"}");
    }

    @Test
    void aClientFieldThatWouldClashWithTheRenamedModelIsDropped() {
        assertThat(rewrite("{\"model_id\":\"sneaky\", \"model\":\"m\",\"n\":1}", target(AuthStyle.BEARER, null, "model_id", "x")))
                .isEqualTo("{\"model_id\":\"x\",\"n\":1}");
        assertThat(rewrite("{\"model\":\"m\",\"model_id\":\"sneaky\"}", target(AuthStyle.BEARER, null, "model_id", "x")))
                .isEqualTo("{\"model_id\":\"x\"}");
    }

    @Test
    void streamUsageIsAddedOrSwitchedOn() {
        Target t = target(AuthStyle.BEARER, null, "model", "x");
        assertThat(inject("{\"model\":\"m\",\"stream\":true}", t))
                .isEqualTo("{\"stream_options\":{\"include_usage\":true},\"model\":\"x\",\"stream\":true}");
        assertThat(inject("{\"model\":\"m\",\"stream_options\":{\"include_obfuscation\":false}}", t))
                .isEqualTo("{\"model\":\"x\",\"stream_options\":{\"include_obfuscation\":false,\"include_usage\":true}}");
        assertThat(inject("{\"model\":\"m\",\"stream_options\":{\"include_usage\":false}}", t))
                .isEqualTo("{\"model\":\"x\",\"stream_options\":{\"include_usage\":true}}");
    }

    @Test
    void clientsAskingForUsageAreRecognised() {
        assertThat(RequestScan.of("{\"stream_options\":{\"include_usage\":true}}".getBytes()).asksForStreamUsage()).isTrue();
        assertThat(RequestScan.of("{\"stream_options\":{\"include_usage\":false}}".getBytes()).asksForStreamUsage()).isFalse();
        assertThat(RequestScan.of("{\"model\":\"m\"}".getBytes()).asksForStreamUsage()).isFalse();
    }

    private static String inject(String body, Target target) {
        return rewrite(body, target, true);
    }

    @Test
    void otherAuthStylesLeaveTheBodyAlone() {
        for (AuthStyle style : new AuthStyle[] {AuthStyle.BEARER, AuthStyle.X_API_KEY, AuthStyle.NONE}) {
            assertThat(rewrite("{\"model\":\"m\"}", target(style, null, "model", "x"))).isEqualTo("{\"model\":\"x\"}");
        }
    }
}
