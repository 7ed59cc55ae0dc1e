package dev.rollguard.sandbox;

import dev.rollguard.Processes;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Where every program the server (or the offline CLI) runs on user input runs: config tests, the PHP linter, command
 * validators.
 *
 * <p>Why bubblewrap (Debian's {@code bubblewrap}): it is the small, audited namespace launcher Flatpak runs every
 * desktop application in; it needs no daemon, no root and no image, starts in milliseconds, and takes an allow-list of
 * mounts, so a program sees exactly /usr (programs and libraries), the tree read only and an empty tmpfs, with no
 * network and no other process visible. {@code unshare(1)} alone cannot build such a file system view without root
 * and a hand-written pivot_root; systemd-run needs a system manager and root; firejail is setuid with a larger attack
 * surface; a container runtime would need images and a daemon.
 *
 * <p>The program runs as uid/gid 65534 (nobody): when the server runs as root it gives up root with util-linux's
 * {@code setpriv} before bubblewrap starts, so nothing in the sandbox is root in any namespace; as any other user,
 * the program runs in a user namespace of that user. Limits (address space, processes, file size, CPU) are set by
 * {@code prlimit} inside; wall time and output size are bounded here. A {@link Seccomp} filter refuses the system
 * calls kernel escapes are made of (ptrace, mounts, namespaces, keyrings, eBPF, io_uring, modules).
 *
 * <p>When bubblewrap is missing or cannot create namespaces here, {@link #available()} is false with the reason,
 * and callers skip their external program (never run it unsandboxed).
 */
public final class Sandbox implements AutoCloseable {
    public static final int UID = 65534;
    public static final int GID = 65534;

    public record Result(int exitCode, String output, boolean timedOut) {
        public boolean ok() { return exitCode == 0 && !timedOut; }
    }

    // Debian's fixed users and groups, then the system users the daemons' packages create (their numbers differ from host
    // to host; a config names them, and the daemons' own checkers look them up: haproxy -c fails on "user haproxy" without one)
    private static final List<String> USERS = List.of("root:0", "daemon:1", "bin:2", "sys:3", "sync:4", "games:5", "man:6", "lp:7",
            "mail:8", "news:9", "uucp:10", "proxy:13", "www-data:33", "backup:34", "list:38", "irc:39", "_apt:42", "nobody:65534",
            "haproxy:200", "bind:201", "dovecot:202", "dovenull:203", "unbound:204", "varnish:205", "vcache:206", "varnishlog:207",
            "sshd:208", "postfix:209", "mysql:210", "prometheus:211", "Debian-exim:212", "_chrony:213");
    private static final List<String> GROUPS = List.of("root:0", "daemon:1", "bin:2", "sys:3", "adm:4", "tty:5", "disk:6", "lp:7",
            "mail:8", "news:9", "uucp:10", "man:12", "proxy:13", "kmem:15", "dialout:20", "cdrom:24", "sudo:27", "audio:29",
            "www-data:33", "shadow:42", "utmp:43", "backup:34", "list:38", "irc:39", "staff:50", "games:60", "users:100", "nogroup:65534",
            "haproxy:200", "bind:201", "dovecot:202", "dovenull:203", "unbound:204", "varnish:205", "vcache:206", "varnishlog:207",
            "postfix:209", "mysql:210", "prometheus:211", "Debian-exim:212", "_chrony:213", "postdrop:220", "ssl-cert:221", "_ssh:222");

    private static final String SECCOMP_FILE = "seccomp.bpf";

    private final BwrapArgs.Tools tools;
    private final BwrapArgs.Launch launch;
    private final String unavailable;
    private final String version;
    private final Path etcDir;
    private final List<Path> system;
    private final Map<String, String> links;
    private final Map<String, Path> etc;
    private final Slots slots;

    private Sandbox(BwrapArgs.Tools tools, BwrapArgs.Launch launch, String unavailable, String version, Path etcDir,
                    List<Path> system, Map<String, String> links, Slots slots) {
        this.slots = slots;
        this.tools = tools;
        this.launch = launch;
        this.unavailable = unavailable;
        this.version = version;
        this.etcDir = etcDir;
        this.system = system;
        this.links = links;
        this.etc = etcDir == null ? Map.of() : Map.of("/etc/passwd", etcDir.resolve("passwd"), "/etc/group", etcDir.resolve("group"));
    }

    /** A sandbox that runs nothing, with the reason: what a machine without bubblewrap gets. */
    public static Sandbox unavailable(String reason) {
        return new Sandbox(null, null, reason, null, null, List.of(), Map.of(), Slots.forThisMachine(0));
    }

    /** {@link #detect(long)} with the default memory budget across jobs ({@link Slots#defaultMemoryBudget()}). */
    public static Sandbox detect() {
        return detect(0);
    }

    /**
     * Finds bubblewrap and checks that it really can create its namespaces here (some kernels or containers forbid it).
     *
     * @param memoryBudget what the jobs running at once may hold together, in bytes (0: {@link Slots#defaultMemoryBudget()})
     */
    public static Sandbox detect(long memoryBudget) {
        Slots slots = Slots.forThisMachine(memoryBudget);
        Optional<Path> bwrap = Processes.which("bwrap");
        if (bwrap.isEmpty()) return unavailable("bubblewrap (bwrap) is not installed (Debian: apt-get install bubblewrap)");
        Optional<Path> prlimit = Processes.which("prlimit");
        Optional<Path> setpriv = Processes.which("setpriv");
        if (prlimit.isEmpty() || setpriv.isEmpty()) return unavailable("util-linux's prlimit and setpriv are missing");
        Optional<Seccomp.Arch> arch = Seccomp.forArch(System.getProperty("os.arch"));
        if (arch.isEmpty()) {
            return unavailable("the sandbox's seccomp filter knows the system-call numbers of x86_64 and aarch64 only, and this machine is "
                    + System.getProperty("os.arch") + ": nothing runs without it");
        }
        BwrapArgs.Tools tools = new BwrapArgs.Tools(bwrap.get(), setpriv.get(), prlimit.get(), Path.of("/bin/sh"));
        Processes.Result v = Processes.run(List.of(bwrap.get().toString(), "--version"), null, Map.of(), Duration.ofSeconds(10));
        String version = v.output().strip();
        Path etcDir;
        try {
            etcDir = Files.createTempDirectory("rollguard-sandbox-etc-");
            Files.writeString(etcDir.resolve("passwd"), String.join("", USERS.stream().map(u -> {
                String[] p = u.split(":");
                return p[0] + ":x:" + p[1] + ":" + (p[0].equals("nobody") ? GID : p[1]) + ":" + p[0] + ":/nonexistent:/usr/sbin/nologin\n";
            }).toList()));
            Files.writeString(etcDir.resolve("group"), String.join("", GROUPS.stream().map(g -> g.replace(":", ":x:") + ":\n").toList()));
            Files.write(etcDir.resolve(SECCOMP_FILE), Seccomp.program(arch.get()));
            // readable by the unprivileged user that starts bubblewrap when we are root
            for (Path p : List.of(etcDir.resolve("passwd"), etcDir.resolve("group"), etcDir.resolve(SECCOMP_FILE))) {
                Files.setPosixFilePermissions(p, EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                        PosixFilePermission.GROUP_READ, PosixFilePermission.OTHERS_READ));
            }
            Files.setPosixFilePermissions(etcDir, EnumSet.of(PosixFilePermission.OWNER_READ, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE,
                    PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE));
        } catch (IOException e) {
            return unavailable("cannot write the sandbox's /etc files: " + e.getMessage());
        }
        List<Path> system = new ArrayList<>(List.of(Path.of("/usr")));
        Map<String, String> links = new LinkedHashMap<>();
        for (String dir : List.of("/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")) {
            Path p = Path.of(dir);
            if (Files.isSymbolicLink(p)) {
                try {
                    links.put(dir, Files.readSymbolicLink(p).toString());
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else if (Files.isDirectory(p)) {
                system.add(p);
            }
        }
        // programs found through Debian's alternatives (php, awk, nc) and the linker's cache: public, and nothing else of /etc
        for (String f : List.of("/etc/alternatives", "/etc/ld.so.cache")) {
            if (Files.exists(Path.of(f))) system.add(Path.of(f));
        }
        boolean root = "root".equals(System.getProperty("user.name")) || isRoot();
        List<BwrapArgs.Launch> tries = root ? List.of(BwrapArgs.Launch.DROP_TO_NOBODY, BwrapArgs.Launch.USER_NAMESPACE)
                : List.of(BwrapArgs.Launch.USER_NAMESPACE);
        String why = null;
        for (BwrapArgs.Launch launch : tries) {
            Sandbox s = new Sandbox(tools, launch, null, version, etcDir, List.copyOf(system), Map.copyOf(links), slots);
            Result probe = s.run(new Job(List.of("/bin/sh", "-c", "exit 0"), List.of(), Map.of(), "/",
                    Job.Limits.DEFAULT.withTimeout(Duration.ofSeconds(30)), false));
            if (probe.ok()) return s;
            why = probe.output().strip().lines().findFirst().orElse("exit " + probe.exitCode());
        }
        deleteQuietly(etcDir);
        return unavailable("bubblewrap cannot create its namespaces here: " + why);
    }

    private static boolean isRoot() {
        try {
            return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:uid") == 0;
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return false;
        }
    }

    public boolean available() { return unavailable == null; }

    /** Why nothing can run, or null when the sandbox works. */
    public String unavailableReason() { return unavailable; }

    /** One line for the server's start-up log. */
    public String describe() {
        if (!available()) return "sandbox unavailable: " + unavailable + "; external validators (php-lint, apache-configtest, "
                + "nginx-configtest, command:*) are skipped, never run unsandboxed";
        return "sandbox: " + version + ", external validators run as uid " + UID
                + (launch == BwrapArgs.Launch.DROP_TO_NOBODY ? " (root dropped with setpriv)" : " in a user namespace")
                + ", no network, only /usr and the tree (read only) visible, a seccomp filter; " + slots.use().capacity()
                + " at once within " + (slots.use().memoryBudget() >> 20) + " MiB of memory (" + (Job.MEMORY_CEILING >> 20) + " MiB at most each)";
    }

    /** The full command line for a job (for tests and for {@link #start}). */
    public List<String> commandLine(Job job) {
        if (!available()) throw new IllegalStateException("sandbox unavailable: " + unavailable);
        return BwrapArgs.command(launch, tools, system, links, etc, etcDir.resolve(SECCOMP_FILE), job);
    }

    /** How many runs of {@link #run(Job, Turn)} go at once, and who waits. */
    public Slots slots() { return slots; }

    /**
     * Runs a job for a caller's {@link Turn}: it waits for one of the {@link Slots} and its share of the memory budget
     * (fairly between owners), and is killed
     * when the turn ends while it runs ({@link Turn.Over} then, as when the turn ends while it waits).
     */
    public Result run(Job job, Turn turn) {
        try (Slots.Slot slot = slots.acquire(turn, job.ceiling())) {
            Result r = run(job, turn::overReason);
            turn.check();
            return r;
        }
    }

    /** Runs a job to its end (or its timeout, when the whole sandbox is killed); output is stdout and stderr together, capped. */
    public Result run(Job job) {
        return run(job, () -> null);
    }

    private Result run(Job job, Supplier<String> stop) {
        ProcessBuilder pb = new ProcessBuilder(commandLine(job)).redirectErrorStream(true);
        // nothing of the server's environment (database URLs, tokens) reaches bubblewrap or its children
        pb.environment().clear();
        pb.directory(Path.of("/").toFile());
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            return new Result(127, "cannot start the sandbox: " + e.getMessage(), false);
        }
        int cap = job.limits().outputBytes();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> drain(p.getInputStream(), out, cap), "sandbox-output");
        reader.setDaemon(true);
        reader.start();
        try {
            p.getOutputStream().close();
            long deadline = System.nanoTime() + job.limits().timeout().toNanos();
            boolean done = false;
            // in slices, so a caller that gave up stops its run within a slice
            while (!done && stop.get() == null && System.nanoTime() - deadline < 0) {
                done = p.waitFor(Math.min(200, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)), TimeUnit.MILLISECONDS);
            }
            if (!done) kill(p);
            reader.join(5000);
            String text;
            synchronized (out) {
                text = out.toString(StandardCharsets.UTF_8);
            }
            return new Result(done ? p.exitValue() : -1, text, !done);
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            return new Result(-1, "interrupted", true);
        } catch (IOException e) {
            kill(p);
            return new Result(-1, "sandbox I/O failed: " + e.getMessage(), false);
        }
    }

    /** Starts a long-lived job whose stdin and stdout the caller speaks to; its stderr is discarded. */
    public Process start(Job job) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(commandLine(job)).redirectError(ProcessBuilder.Redirect.DISCARD);
        pb.environment().clear();
        pb.directory(Path.of("/").toFile());
        return pb.start();
    }

    /** Kills a sandbox: bubblewrap's death takes its whole process namespace with it (--die-with-parent). */
    public static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Makes a directory this process wrote (a tree to check) readable by the sandbox's user and by nobody else: when
     * root gives up root, the tree's group becomes 65534 with group read (and search) permission; the owner stays.
     */
    public void grantRead(Path dir) {
        if (launch != BwrapArgs.Launch.DROP_TO_NOBODY) return;
        try {
            GroupPrincipal group = dir.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByGroupName(String.valueOf(GID));
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                    grant(d, group, true);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                    if (attrs.isSymbolicLink()) {
                        Files.getFileAttributeView(f, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(group);
                    } else {
                        grant(f, group, false);
                    }
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("cannot hand " + dir + " to the sandbox: " + e.getMessage(), e);
        }
    }

    private static void grant(Path p, GroupPrincipal group, boolean dir) throws IOException {
        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        view.setGroup(group);
        Set<PosixFilePermission> perms = EnumSet.copyOf(view.readAttributes().permissions());
        perms.add(PosixFilePermission.GROUP_READ);
        if (dir) perms.add(PosixFilePermission.GROUP_EXECUTE);
        perms.removeAll(EnumSet.of(PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE,
                PosixFilePermission.GROUP_WRITE));
        view.setPermissions(perms);
    }

    private static void drain(InputStream in, ByteArrayOutputStream out, int cap) {
        byte[] buf = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(buf)) >= 0) {
                synchronized (out) {
                    if (out.size() < cap) out.write(buf, 0, Math.min(n, cap - out.size()));
                }
            }
        } catch (IOException ignored) {
            // the sandbox went away; what was read is what we report
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) return;
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) Files.deleteIfExists(f);
            Files.deleteIfExists(dir);
        } catch (IOException ignored) {
            // a temp dir left behind is harmless
        }
    }

    @Override
    public void close() {
        deleteQuietly(etcDir);
    }
}
