package dev.rollguard.cli;

import dev.rollguard.Processes;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.demo.ApacheHost;
import dev.rollguard.demo.Demo;
import dev.rollguard.demo.MariaDb;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

@Command(name = "demo", description = "Replay the seed's outage on a real Apache + PHP fleet (or simulated hosts): server, fleet, load, story, numbers.")
public final class DemoCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--hosts", description = "Production hosts (default 3 with the real WordPress, else 5; one more runs testing)")
    Integer hostsOption;

    @Option(names = "--rps", description = "Requests per second per production host (default 2 with the real WordPress, whose pages "
            + "cost a tenth of a CPU second each uncached; else 10)")
    Double rpsOption;

    @Option(names = "--dir", defaultValue = "rollguard-demo", description = "Working directory: database, hosts, postmortem (default ${DEFAULT-VALUE})")
    Path dir;

    @Option(names = "--simulated", description = "Use simulated hosts even where Apache is available")
    boolean simulated;

    @Option(names = "--no-install", description = "Do not apt-get install apache2 / libapache2-mod-php when missing")
    boolean noInstall;

    @Option(names = "--no-rollback", description = "Turn automatic rollback and the hosts' safeguards off, to watch what they prevent")
    boolean noRollback;

    @Option(names = "--no-preflight", description = "No preflight on the hosts: the typo goes live on the canary, and the watchdog or "
            + "the canary analysis stops it")
    boolean noPreflight;

    @Option(names = "--no-watchdog", description = "No local watchdog on the hosts (with --no-preflight: the server's canary analysis alone)")
    boolean noWatchdog;

    @Option(names = "--wordpress-like", description = "A generated WordPress-like tree instead of Debian's WordPress on MariaDB")
    boolean wordpressLike;

    @Option(names = "--stay", description = "Keep the server, fleet and dashboard up at the end, until Ctrl-C")
    boolean stay;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        if (hostsOption != null && (hostsOption < 2 || hostsOption > 50)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--hosts must be 2..50");
        }
        if (rpsOption != null && (rpsOption <= 0 || rpsOption > 1000)) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--rps must be in (0, 1000]");
        }
        boolean apache = !simulated && apacheAvailable(out);
        boolean wordpress = apache && !wordpressLike && lampAvailable(out);
        int hosts = hostsOption != null ? hostsOption : wordpress ? 3 : 5;
        double rps = rpsOption != null ? rpsOption : wordpress ? 2 : 10;
        clean(dir);
        Demo demo = new Demo(new Demo.Options(hosts, rps, !noRollback, apache, dir.toAbsolutePath(), 10, wordpress,
                apache && !noRollback && !noPreflight, apache && !noRollback && !noWatchdog), out);
        try {
            demo.run(url -> {
                if (!stay) {
                    out.println("stopping the server and the fleet (rollguard demo --stay keeps them and the dashboard up)");
                    return;
                }
                out.println("staying up: " + url + " (Ctrl-C to stop)");
                out.flush();
                CountDownLatch forever = new CountDownLatch(1);
                Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
                try {
                    forever.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            return 0;
        } catch (Demo.Failure f) {
            spec.commandLine().getErr().println("rollguard demo: the story broke: " + f.getMessage());
            return 1;
        }
    }

    private boolean apacheAvailable(PrintWriter out) {
        Optional<String> missing = ApacheHost.missing();
        if (missing.isEmpty()) return true;
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!noInstall && root && Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            out.println(missing.get() + ": installing apache2 and libapache2-mod-php with apt-get (--no-install to skip) ...");
            out.flush();
            Processes.Result r = Processes.run(List.of("/usr/bin/apt-get", "install", "-y", "-q", "apache2", "libapache2-mod-php"),
                    Path.of("/"), Map.of("DEBIAN_FRONTEND", "noninteractive"), Duration.ofMinutes(10));
            if (r.ok() && ApacheHost.missing().isEmpty()) {
                // Debian starts the system's own apache on port 80 after installing it; the demo runs its own instances
                return true;
            }
            out.println("apt-get could not install them (" + (r.timedOut() ? "timed out" : "exit " + r.exitCode()) + ")");
        }
        out.println("NOTE: " + ApacheHost.missing().orElse("Apache unavailable") + " — falling back to simulated hosts "
                + "(same agents, same server; each host answers 500 when a required file is missing).");
        out.flush();
        return false;
    }

    /**
     * MariaDB and PHP's MySQL driver, for the real WordPress. Not installed by the demo: Debian starts the system's MariaDB
     * service on installing it, and the demo never touches a system service. Missing, the demo says which command installs
     * them and plays the story on the generated tree.
     */
    private static boolean lampAvailable(PrintWriter out) {
        Optional<String> missing = MariaDb.missing();
        if (missing.isEmpty()) return true;
        out.println("NOTE: " + missing.get() + " — the real WordPress needs it (sudo " + MariaDb.APT_INSTALL + "); "
                + "falling back to the generated WordPress-like tree.");
        out.flush();
        return false;
    }

    /** A fresh story each run: the previous run's database, hosts and postmortems go. */
    static void clean(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) return;
        for (String f : List.of("rollguard.db", "rollguard.db-wal", "rollguard.db-shm")) Files.deleteIfExists(dir.resolve(f));
        TreeLoader.deleteRecursively(dir.resolve("hosts"));
        try (var s = Files.list(dir)) {
            for (Path p : s.filter(p -> p.getFileName().toString().matches("postmortem-incident-\\d+\\.md")).toList()) Files.delete(p);
        }
    }
}
