package dev.rollguard.sim;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Where a process's CPU went, by thread: the push benchmark's answer to "where do the microseconds per agent go". A
 * profile's samples miss the time a thread spends in the kernel (a socket write is a system call), and the whole process's
 * CPU hides the JIT compiler and the collector, which run on threads of their own; counting every thread's CPU over the
 * release shows both. Java threads are read from the JVM (nanoseconds), the JVM's own threads (compilers, collector, VM
 * thread) from Linux's {@code /proc/self/task} (clock ticks: 10 ms).
 */
public final class ThreadCpu {
    /** The JVM's own threads, by their Linux names: what the JIT compiler and the collector cost. */
    private static final List<String> JVM_THREADS = List.of("C1 ", "C2 ", "GC ", "G1 ", "VM ", "Sweeper");
    private static final long NANOS_PER_TICK = 10_000_000L;

    private ThreadCpu() {}

    /** CPU nanoseconds so far by thread group (a thread's name with its numbers folded: "JettyServerThreadPool-N"). */
    public static Map<String, Long> now() {
        Map<String, Long> byGroup = new TreeMap<>();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        for (long id : mx.getAllThreadIds()) {
            ThreadInfo info = mx.getThreadInfo(id);
            long nanos = mx.getThreadCpuTime(id);
            if (info != null && nanos >= 0) byGroup.merge(group(info.getThreadName()), nanos, Long::sum);
        }
        byGroup.putAll(jvmThreads());
        return byGroup;
    }

    /** Nanoseconds each group spent between two readings, largest first, groups that spent none left out. */
    public static Map<String, Long> since(Map<String, Long> before, Map<String, Long> after) {
        Map<String, Long> spent = new LinkedHashMap<>();
        after.entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - before.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0)
                .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> spent.put(e.getKey(), e.getValue()));
        return spent;
    }

    static String group(String threadName) {
        return threadName.replaceAll("[0-9]+", "N");
    }

    /** The JVM's own threads' CPU, by group ("jvm C2 CompilerThre"); none where there is no {@code /proc}. */
    private static Map<String, Long> jvmThreads() {
        Map<String, Long> byGroup = new TreeMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                String stat;
                try {
                    stat = Files.readString(task.resolve("stat"));
                } catch (IOException gone) {
                    continue; // the thread ended between the listing and the read
                }
                // "tid (name) state ...": the name may hold spaces and parentheses, so it ends at the last ')'
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (JVM_THREADS.stream().noneMatch(name::startsWith)) continue;
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                // fields 14 and 15 of proc(5), user and system time, are the 12th and 13th after the name
                long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                byGroup.merge("jvm " + group(name), ticks * NANOS_PER_TICK, Long::sum);
            }
        } catch (IOException | RuntimeException notLinux) {
            return Map.of();
        }
        return byGroup;
    }
}
