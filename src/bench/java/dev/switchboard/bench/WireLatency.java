package dev.switchboard.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The latency of one connection's requests as the loopback saw them, from {@code tcpdump -nn -tt -q} lines on
 * stdin (packets with data only): each request from its first packet to the proxy's port until the proxy's
 * first packet back. wrk's percentiles are corrected for coordinated omission (each answer slower than the
 * mean interval adds made-up samples for the requests a client that kept its pace would have sent meanwhile), so
 * at one connection its p99 says how much of the time the proxy stalled, not how slow its 99th answer was.
 * This prints both, the answers' own p99 and what wrk's correction makes of the same answers, and the
 * milliseconds per second of load spent in answers slower than 1 ms, which the correction turns into its p99.
 * <p>
 * {@code tcpdump -r capture -nn -tt -q | java ... WireLatency <proxy port>} prints
 * {@code answers=N p99_ms=.. corrected_p99_ms=.. over_1ms_ms_per_s=..}.
 */
public final class WireLatency {
    private static final Pattern PACKET = Pattern.compile("^(\\d+\\.\\d+) IP [\\d.]+\\.(\\d+) > [\\d.]+\\.(\\d+): tcp (\\d+)");

    private WireLatency() {}

    public static void main(String[] args) throws IOException {
        String port = args[0];
        List<double[]> answers = new ArrayList<>(); // {sent, latency in µs}
        double sent = -1;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII))) {
            for (String line; (line = in.readLine()) != null; ) {
                Matcher m = PACKET.matcher(line);
                if (!m.find() || Long.parseLong(m.group(4)) == 0) continue;
                double time = Double.parseDouble(m.group(1));
                if (m.group(3).equals(port) && sent < 0) {
                    sent = time; // a request's later packets, if any, do not restart it
                } else if (m.group(2).equals(port) && sent >= 0) {
                    answers.add(new double[] {sent, (time - sent) * 1e6});
                    sent = -1;
                }
            }
        }
        if (answers.size() < 100) {
            System.out.println("answers=" + answers.size() + " (too few to say)");
            return;
        }
        double span = answers.getLast()[0] + answers.getLast()[1] / 1e6 - answers.getFirst()[0];
        double[] latencies = answers.stream().mapToDouble(a -> a[1]).sorted().toArray();
        // wrk's stats_correct: for each answer slower than the mean interval, the answers a client that
        // kept its pace would have waited for meanwhile, each one interval less late than the one before
        double interval = span * 1e6 / latencies.length;
        List<Double> corrected = new ArrayList<>(latencies.length * 2);
        for (double l : latencies) {
            corrected.add(l);
            for (double v = l - interval; v > interval; v -= interval) corrected.add(v);
        }
        double[] all = corrected.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        double slow = Arrays.stream(latencies).filter(l -> l > 1_000).sum() / 1_000;
        System.out.printf("answers=%d p99_ms=%.3f corrected_p99_ms=%.3f over_1ms_ms_per_s=%.1f%n", latencies.length,
                percentile(latencies, 0.99) / 1_000, percentile(all, 0.99) / 1_000, slow / span);
    }

    private static double percentile(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) (sorted.length * p))];
    }
}
