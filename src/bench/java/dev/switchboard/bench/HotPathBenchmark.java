package dev.switchboard.bench;

import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.core.io.buffer.NettyDataBufferFactory;

import dev.switchboard.config.AuthStyle;
import dev.switchboard.config.HttpVersion;
import dev.switchboard.config.Price;
import dev.switchboard.config.Protocol;
import dev.switchboard.config.StreamUsage;
import dev.switchboard.config.Target;
import dev.switchboard.config.Timeouts;
import dev.switchboard.config.Upstream;
import dev.switchboard.protocol.RequestScan;
import dev.switchboard.protocol.StreamUsageTap;
import dev.switchboard.upstream.RequestBodyRewriter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;

/**
 * The per-request work on the hot path, alone: reading alias and stream flag from a ~1 KB body, splicing
 * the model (and include_usage) into it, and the usage tap over one stream chunk. Run with {@code -prof gc}
 * for allocation per operation (src/bench/run.sh jmh).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class HotPathBenchmark {
    static final byte[] BODY = ("{\"model\":\"minimax-m1\",\"stream\":true,\"max_tokens\":512,\"temperature\":0.7,\"messages\":["
            + "{\"role\":\"system\",\"content\":\"You are a careful assistant. Answer briefly and cite the part of the question you answer.\"},"
            + "{\"role\":\"user\",\"content\":\"" + "Explain how a gateway picks the cheapest healthy upstream for a request. ".repeat(10) + "\"}]}")
            .getBytes(StandardCharsets.UTF_8);
    static final byte[] CHUNK = MockUpstream.CHUNKS[1];

    private Target target;
    private RequestScan scan;
    private final NettyDataBufferFactory buffers = new NettyDataBufferFactory(PooledByteBufAllocator.DEFAULT);

    @Setup
    public void setUp() {
        Upstream upstream = new Upstream("bench", Protocol.OPENAI, URI.create("http://127.0.0.1:1/v1"), AuthStyle.BEARER, "k",
                null, "model", Map.of(), Timeouts.DEFAULTS, StreamUsage.INJECT, HttpVersion.HTTP_1_1, true);
        target = new Target(upstream, "minimax/m1", new Price(BigDecimal.ONE, BigDecimal.ONE, BigDecimal.ONE, BigDecimal.ONE, BigDecimal.ZERO));
        scan = RequestScan.of(BODY);
    }

    @Benchmark
    public RequestScan scanBody() {
        return RequestScan.of(BODY);
    }

    @Benchmark
    public int rewriteBody() {
        ByteBuf out = RequestBodyRewriter.rewrite(scan, target, true);
        int n = out.readableBytes();
        out.release();
        return n;
    }

    @Benchmark
    public int tapChunk() {
        DataBuffer chunk = buffers.allocateBuffer(CHUNK.length);
        chunk.write(CHUNK);
        DataBuffer out = new StreamUsageTap(Protocol.OPENAI, true).inspect(chunk);
        int n = out.readableByteCount();
        DataBufferUtils.release(out);
        return n;
    }

    /**
     * One stream's tap over {@value #STREAM_CHUNKS} chunks, a chunk an invocation's 1/64: what the tap costs
     * a chunk once the stream outgrows the raw events it keeps and reduces them to text.
     */
    @Benchmark
    @OperationsPerInvocation(STREAM_CHUNKS)
    public int tapStream() {
        StreamUsageTap tap = new StreamUsageTap(Protocol.OPENAI, true);
        int n = 0;
        for (int i = 0; i < STREAM_CHUNKS; i++) {
            DataBuffer chunk = buffers.allocateBuffer(CHUNK.length);
            chunk.write(CHUNK);
            DataBuffer out = tap.inspect(chunk);
            n += out.readableByteCount();
            DataBufferUtils.release(out);
        }
        return n;
    }

    static final int STREAM_CHUNKS = 64;
}
