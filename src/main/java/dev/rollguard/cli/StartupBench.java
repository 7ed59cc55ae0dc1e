package dev.rollguard.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code rollguard bench startup}: how long a CLI call takes to start, side by side with the JVM's own floor
 * ({@code java -version}). Each round runs every case once, in turn, so a machine whose load changes weighs on all of
 * them alike; the table shows medians of wall time and of CPU time (the children's user + system time from
 * /proc/self/stat, which counts what a process cost whatever else the machine runs), and each as a multiple of
 * {@code java -version}'s, beside two floors from the same jar (a bare main, and a trivial picocli command). Started by
 * {@code bin/rollguard}, the CLI runs through that launcher, as users run it (its JVM flags for CLI calls, the class-data
 * archive, and the shell's own share); otherwise as this JVM was started (same java, jar and archive flags).
 */
final class StartupBench {
    private static final List<String> KEPT_FLAGS = List.of("-XX:SharedArchiveFile", "-Xshare", "-XX:+ExitOnOutOfMemoryError",
            "-XX:TieredStopAtLevel", "-XX:+UseSerialGC");

    /** Set by bin/rollguard to its own path. */
    static final String LAUNCHER = "rollguard.launcher";
    /** Set by bin/rollguard to the JVM flags it gives CLI calls. */
    static final String CLI_JVM = "rollguard.cli.jvm";

    private StartupBench() {
    }

    record Row(String name, double wallMillis, double cpuMillis) {}

    static int run(int runs, PrintWriter out) throws IOException, InterruptedException {
        String java = ProcessHandle.current().info().command().orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        List<String> jvmArguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
        List<String> cli = cli(java, System.getProperty(LAUNCHER), jvmArguments);
        Path tree = Files.createTempDirectory("rollguard-bench-startup-");
        try {
            Files.writeString(tree.resolve("ports.conf"), "Listen 80\n");
            Map<String, List<String>> cases = new LinkedHashMap<>();
            cases.put("java -version", List.of(java, "-version"));
            List<String> floor = floor(java, System.getProperty(CLI_JVM), jvmArguments);
            cases.put("jar floor: main, no picocli", withMain(floor, Bare.class));
            cases.put("picocli floor: hello --help", concat(floor, "--help"));
            cases.put("--help", concat(cli, "--help"));
            cases.put("one-file validate", concat(cli, "validate", tree.toString()));
            Map<String, List<long[]>> samples = new LinkedHashMap<>();
            cases.keySet().forEach(k -> samples.put(k, new ArrayList<>()));
            for (int round = -2; round < runs; round++) { // two warm-up rounds: the page cache, the archive mapped once
                for (var c : cases.entrySet()) {
                    long[] s = time(c.getValue());
                    if (round >= 0) samples.get(c.getKey()).add(s);
                }
            }
            List<Row> rows = new ArrayList<>();
            samples.forEach((name, s) -> rows.add(new Row(name, median(s, 0), median(s, 1))));
            out.print(table(rows, runs));
            out.flush();
            return 0;
        } finally {
            Files.deleteIfExists(tree.resolve("ports.conf"));
            Files.deleteIfExists(tree);
        }
    }

    /** The table: each case's medians, and each as a multiple of the first row's (the JVM's floor). */
    static String table(List<Row> rows, int runs) {
        Row floor = rows.get(0);
        StringBuilder sb = new StringBuilder(String.format("%-30s %10s %10s %10s %10s%n", "startup (median of " + runs + ")",
                "wall ms", "x floor", "CPU ms", "x floor"));
        for (Row r : rows) {
            sb.append(String.format("%-30s %10.0f %10.2f %10.0f %10.2f%n", r.name(), r.wallMillis(), r.wallMillis() / floor.wallMillis(),
                    r.cpuMillis(), r.cpuMillis() / Math.max(1, floor.cpuMillis())));
        }
        return sb.toString();
    }

    /** How a CLI call starts: through the launcher when there is one, else this JVM's java, its flags that matter here, the jar. */
    static List<String> cli(String java, String launcher, List<String> jvmArguments) {
        if (launcher != null && Files.isExecutable(Path.of(launcher))) return List.of(launcher);
        List<String> cli = new ArrayList<>(List.of(java));
        for (String a : jvmArguments) {
            if (KEPT_FLAGS.stream().anyMatch(a::startsWith)) cli.add(a);
        }
        cli.addAll(launch());
        return cli;
    }

    /**
     * The floor of a Java CLI on picocli: {@link Hello}, one command with one option, from the same jar, with the JVM flags
     * the launcher gives CLI calls and the same class-data archive.
     */
    static List<String> floor(String java, String cliFlags, List<String> jvmArguments) {
        List<String> cmd = new ArrayList<>(List.of(java));
        if (cliFlags != null && !cliFlags.isBlank()) {
            Collections.addAll(cmd, cliFlags.trim().split("\\s+"));
        } else {
            jvmArguments.stream().filter(a -> KEPT_FLAGS.stream().anyMatch(a::startsWith) && !a.startsWith("-XX:SharedArchiveFile")
                    && !a.startsWith("-Xshare")).forEach(cmd::add);
        }
        jvmArguments.stream().filter(a -> a.startsWith("-XX:SharedArchiveFile") || a.startsWith("-Xshare")).forEach(cmd::add);
        List<String> launch = launch();
        cmd.addAll(List.of("-cp", launch.get(1), Hello.class.getName()));
        return cmd;
    }

    /** A trivial picocli command: what any Java CLI built on picocli pays to start, whatever it does. */
    @Command(name = "hello", mixinStandardHelpOptions = true, description = "Says hello: the start-up bench's picocli floor.")
    static final class Hello implements Runnable {
        @Option(names = "--name", description = "Whom to greet")
        String name = "world";

        @Override
        public void run() {
            System.out.println("hello " + name);
        }

        public static void main(String[] args) {
            System.exit(new CommandLine(new Hello()).execute(args));
        }
    }

    /**
     * Less than any CLI can do: a main that prints a line, from the same jar with the same flags and archive (its one class
     * is not in the archive, and is read from the jar as Rollguard's first class not in it would be). What is left of
     * the JVM's floor for a Java program in this jar, before picocli or any command.
     */
    static final class Bare {
        public static void main(String[] args) {
            System.out.println("hello");
        }
    }

    /** The same command with another main class. */
    private static List<String> withMain(List<String> command, Class<?> main) {
        List<String> c = new ArrayList<>(command);
        c.set(c.size() - 1, main.getName());
        return c;
    }

    private static List<String> launch() {
        try {
            Path source = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (source.toString().endsWith(".jar")) return List.of("-jar", source.toString());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        return List.of("-cp", System.getProperty("java.class.path"), Main.class.getName());
    }

    private static List<String> concat(List<String> a, String... more) {
        List<String> l = new ArrayList<>(a);
        Collections.addAll(l, more);
        return l;
    }

    /** {wall ns, children's CPU ns} of one run. */
    private static long[] time(List<String> command) throws IOException, InterruptedException {
        long cpu = childrenCpuNanos();
        long start = System.nanoTime();
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        int code = p.waitFor();
        long wall = System.nanoTime() - start;
        if (code != 0) throw new IllegalStateException(String.join(" ", command) + " exited with " + code);
        return new long[]{wall, childrenCpuNanos() - cpu};
    }

    /** cutime + cstime of this process (its waited-for children), from /proc/self/stat, in nanoseconds. */
    static long childrenCpuNanos() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            // after "pid (comm) ": state is field 3, so cutime (16) and cstime (17) are at 13 and 14 here
            long ticks = Long.parseLong(f[13]) + Long.parseLong(f[14]);
            return ticks * 10_000_000L; // USER_HZ is 100 on Linux
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static double median(List<long[]> s, int field) {
        List<Long> v = new ArrayList<>(s.stream().map(x -> x[field]).toList());
        Collections.sort(v);
        int n = v.size();
        return (n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2.0) / 1e6;
    }
}
