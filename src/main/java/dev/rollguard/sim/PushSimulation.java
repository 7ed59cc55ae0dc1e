package dev.rollguard.sim;

import java.util.Arrays;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * A release to a fleet too large for this machine, replayed from measured per-host costs: {@code hosts} agents spread
 * evenly over {@code replicas} servers of {@code cores} cores each. The release reaches every replica by one PostgreSQL
 * notification ({@code notifyMillis}); each replica then wakes its hosts in an arbitrary order, and each host costs its
 * replica {@code cpuMicrosPerHost} of CPU on average (drawn from an exponential distribution around it: some answers
 * wait on a lock, a collection or a slow write), served by the replica's cores first come first served; the answer
 * reaches the host half a round trip later. The whole measured cost (answer and report) is charged before the
 * host's answer leaves, so the figures are an upper bound: in a real release the reports come after the answers.
 * Pure: the same parameters and seed give the same figures.
 */
public final class PushSimulation {
    private PushSimulation() {}

    public record Params(int hosts, int replicas, int cores, double cpuMicrosPerHost, double notifyMillis, double rttMillis,
                         double heapKiBPerHost, long seed) {
        public Params {
            if (hosts < 1 || replicas < 1 || cores < 1) throw new IllegalArgumentException("hosts, replicas and cores must be at least 1");
            if (cpuMicrosPerHost <= 0) throw new IllegalArgumentException("the CPU per host must be positive");
            if (notifyMillis < 0 || rttMillis < 0 || heapKiBPerHost < 0) throw new IllegalArgumentException("delays and heap cannot be negative");
        }
    }

    /** Publish-to-delivered latencies (ms), the hosts (connections) and heap of the busiest replica, and its CPU for the release. */
    public record Result(double p50Millis, double p99Millis, double maxMillis, int hostsPerReplica, double heapMiBPerReplica,
                         double cpuMillisPerReplica) {}

    public static Result run(Params p) {
        SplittableRandom random = new SplittableRandom(p.seed());
        double[] latencies = new double[p.hosts()];
        int at = 0;
        int busiest = 0;
        double busiestCpu = 0;
        for (int r = 0; r < p.replicas(); r++) {
            int mine = p.hosts() / p.replicas() + (r < p.hosts() % p.replicas() ? 1 : 0);
            busiest = Math.max(busiest, mine);
            // the replica's cores, each free from the moment the notification arrived
            PriorityQueue<double[]> cores = new PriorityQueue<>((a, b) -> Double.compare(a[0], b[0]));
            for (int c = 0; c < p.cores(); c++) cores.add(new double[]{p.notifyMillis()});
            double cpu = 0;
            for (int h = 0; h < mine; h++) {
                double cost = -Math.log(1 - random.nextDouble()) * p.cpuMicrosPerHost() / 1000.0;
                cpu += cost;
                double[] core = cores.poll();
                core[0] += cost;
                latencies[at++] = core[0] + p.rttMillis() / 2;
                cores.add(core);
            }
            busiestCpu = Math.max(busiestCpu, cpu);
        }
        Arrays.sort(latencies);
        return new Result(percentile(latencies, 0.50), percentile(latencies, 0.99), latencies[latencies.length - 1], busiest,
                busiest * p.heapKiBPerHost() / 1024.0, busiestCpu);
    }

    private static double percentile(double[] sorted, double q) {
        return sorted[Math.min(sorted.length - 1, Math.max(0, (int) Math.ceil(sorted.length * q) - 1))];
    }
}
