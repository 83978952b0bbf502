package dev.switchboard.usage;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Set;

import org.springframework.http.HttpHeaders;

import dev.switchboard.config.Protocol;
import dev.switchboard.config.RouteTable;
import dev.switchboard.config.Target;
import dev.switchboard.protocol.ApiEndpoint;
import dev.switchboard.protocol.Json;
import dev.switchboard.protocol.MessageText;
import dev.switchboard.protocol.ProviderCost;
import dev.switchboard.protocol.StreamUsageTap;
import dev.switchboard.protocol.TokenUsage;
import dev.switchboard.protocol.anthropic.AnthropicUsage;
import dev.switchboard.protocol.openai.OpenAiUsage;
import dev.switchboard.protocol.responses.ResponsesUsage;
import tools.jackson.databind.JsonNode;

/**
 * Collects what one request used as it goes (the target, a non-streaming body's usage, a stream's tap)
 * and turns it into the {@link UsageRecord}: provider-reported tokens where there are some, a tokenizer's
 * estimate where there are none, priced at the target's price.
 */
public final class UsageMeter {
    /** Where OpenAI- and Anthropic-style bodies and the AI/ML API keep usage and cost. */
    private static final Set<String> USAGE_FIELDS = Set.of("usage", "meta");

    /** The protocol the answer is read in: the client's, until a target (perhaps translated) is chosen. */
    private Protocol protocol;
    private Target target;
    private byte[] request;
    private TokenUsage tokens;
    private ProviderCost cost = ProviderCost.NONE;
    private byte[] answer;
    private StreamUsageTap tap;
    /** False for a request providers do not bill (counting tokens): it is kept, with no tokens and no cost. */
    private final boolean billed;

    public UsageMeter(Protocol protocol) {
        this(protocol, true);
    }

    public UsageMeter(Protocol protocol, boolean billed) {
        this.protocol = protocol;
        this.billed = billed;
    }

    public void request(byte[] body) {
        this.request = body;
    }

    public void target(Target target) {
        this.target = target;
        this.protocol = target.upstream().protocol(); // usage is billed from the upstream's own numbers
    }

    /**
     * A whole non-streaming answer: its usage, and the AI/ML API's cost headers.
     *
     * @param parsed the body already parsed, or null to parse it here
     */
    public void answer(byte[] body, JsonNode parsed, HttpHeaders headers) {
        this.answer = body;
        JsonNode root = parsed != null ? parsed : Json.fields(body, USAGE_FIELDS);
        if (root != null) {
            tokens = switch (protocol) {
                case OPENAI -> OpenAiUsage.tokens(root);
                case ANTHROPIC -> AnthropicUsage.tokens(root.path("usage"));
                case OPENAI_RESPONSES -> ResponsesUsage.tokens(root.path("usage"));
            };
            if (protocol == Protocol.OPENAI) cost = OpenAiUsage.cost(root);
            if (protocol == Protocol.OPENAI_RESPONSES) cost = ResponsesUsage.cost(root.path("usage"));
        } else {
            tokens = null;
        }
        cost = cost.or(new ProviderCost(decimal(headers.getFirst("x-aimlapi-usd-spent")), decimal(headers.getFirst("x-aimlapi-credits-used"))));
    }

    /** A stream: usage is read from the tap when the request ends. */
    public StreamUsageTap tap(boolean withholdUsageOnlyChunk) {
        tap = new StreamUsageTap(protocol, withholdUsageOnlyChunk);
        return tap;
    }

    /** About how many bytes {@link #toRecord} would tokenize: 0 when the upstream reported usage. */
    public long estimateBytes() {
        if (!billed || !produced() || (tap != null ? tap.usage() : tokens) != null) return 0;
        return (request == null ? 0 : request.length) + (tap != null ? tap.keptSize() : answer.length);
    }

    public UsageRecord toRecord(String requestId, String key, ApiEndpoint endpoint, String alias, boolean stream, int status,
                                Outcome outcome, int attempts, long latencyMs, Long ttftMs, RouteTable table) {
        TokenUsage used = tokens;
        ProviderCost reported = cost;
        if (tap != null) {
            used = tap.usage();
            reported = tap.cost();
        }
        UsageSource source = UsageSource.UPSTREAM;
        // a token count's answer holds a count, not usage: estimating one from the request billed the prompt
        boolean produced = billed && produced();
        if (!billed) used = TokenUsage.NONE;
        if (used == null && produced) {
            String text = tap != null ? tap.text() : MessageText.of(answer);
            used = TokenEstimator.estimate(request == null ? new byte[0] : request, text);
            source = UsageSource.ESTIMATED;
        }
        if (used == null) used = TokenUsage.NONE;
        BigDecimal costUsd = target == null || !produced ? BigDecimal.ZERO : Pricing.costUsd(target.price(), used);
        long credits = Pricing.credits(costUsd, table.creditsPerUsd());
        return new UsageRecord(RecordId.next(), requestId, Instant.now(), key, endpoint, alias,
                target == null ? "-" : target.upstream().name(), target == null ? null : target.model(), stream, status,
                outcome, attempts, used.prompt(), used.completion(), used.reasoning(), used.cached(), used.cacheWrite(),
                source, costUsd, credits, reported.usd(), reported.credits(), latencyMs, ttftMs);
    }

    /** A target answered: there is something to bill, reported or estimated. */
    private boolean produced() {
        return target != null && (answer != null || tap != null);
    }

    private static BigDecimal decimal(String value) {
        if (value == null || value.isBlank()) return null;
        try {
            return new BigDecimal(value.strip());
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
