package dev.switchboard.api;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.usage.Outcome;
import reactor.core.publisher.SignalType;

class RequestCompletionTest {
    private static RequestContext context(int status) {
        RequestContext context = new RequestContext("req-1", ApiEndpoint.CHAT_COMPLETIONS, null);
        context.status = status;
        return context;
    }

    @Test
    void aBodyThatCompletesIsAnAnswerOrTheUpstreamsError() {
        assertThat(RequestCompletion.outcome(context(200), SignalType.ON_COMPLETE, false)).isEqualTo(Outcome.OK);
        assertThat(RequestCompletion.outcome(context(400), SignalType.ON_COMPLETE, false)).isEqualTo(Outcome.UPSTREAM_ERROR);
    }

    /**
     * The upstream's head can come on its event loop as the client's cancel closes the upstream connection on
     * another: the relay then reads a body that ends without an error, cut by that cancel. The client had nothing.
     */
    @Test
    void aBodyThatCompletesAfterTheExchangeWasCancelledIsTheClientsCancel() {
        RequestContext cut = context(200);
        cut.cancelled = true;
        assertThat(RequestCompletion.outcome(cut, SignalType.ON_COMPLETE, false)).isEqualTo(Outcome.CLIENT_CANCELLED);
        assertThat(RequestCompletion.outcome(cut, SignalType.ON_COMPLETE, true)).isEqualTo(Outcome.GATEWAY_STOPPED);
        cut.answered = true; // the closing event had gone out: the client had its answer
        assertThat(RequestCompletion.outcome(cut, SignalType.ON_COMPLETE, false)).isEqualTo(Outcome.OK);
    }

    @Test
    void aCancelIsTheClientsUnlessTheAnswerWasWholeOrTheShutdownCutIt() {
        assertThat(RequestCompletion.outcome(context(200), SignalType.CANCEL, false)).isEqualTo(Outcome.CLIENT_CANCELLED);
        assertThat(RequestCompletion.outcome(context(200), SignalType.CANCEL, true)).isEqualTo(Outcome.GATEWAY_STOPPED);
        RequestContext answered = context(200);
        answered.answered = true;
        assertThat(RequestCompletion.outcome(answered, SignalType.CANCEL, false)).isEqualTo(Outcome.OK);
    }

    @Test
    void aBrokenStreamStaysBrokenHoweverItsBodyEnded() {
        RequestContext broken = context(200);
        broken.streamBroke = true;
        broken.cancelled = true;
        assertThat(RequestCompletion.outcome(broken, SignalType.ON_COMPLETE, false)).isEqualTo(Outcome.STREAM_BROKEN);
        RequestContext failed = context(200);
        failed.stream = true;
        assertThat(RequestCompletion.outcome(failed, SignalType.ON_ERROR, false)).isEqualTo(Outcome.STREAM_BROKEN);
    }
}
