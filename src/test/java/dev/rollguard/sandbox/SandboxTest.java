package dev.rollguard.sandbox;

import dev.rollguard.Parts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The sandbox itself, really run (bubblewrap is installed by .ci/run), and the command line it builds. */
class SandboxTest {
    static Sandbox sandbox;
    static Path tree;
    static final String SECRET = "sandbox-test-secret-4711";

    @BeforeAll
    static void setUp() throws IOException {
        sandbox = Sandbox.detect();
        tree = Files.createTempDirectory("sandbox-tree-");
        Files.writeString(tree.resolve("in-tree.conf"), "fine\n");
        Path secret = Files.createTempDirectory("sandbox-secret-").resolve("token");
        Files.writeString(secret, SECRET + "\n");
        // links in a tree that point out of it: resolved inside the sandbox, where nothing of the host is
        Files.createSymbolicLink(tree.resolve("shadow"), Path.of("/etc/shadow"));
        Files.createSymbolicLink(tree.resolve("token"), secret);
        Files.createSymbolicLink(tree.resolve("up"), Path.of("../../../../../.."));
        sandbox.grantRead(tree);
    }

    @AfterAll
    static void tearDown() {
        sandbox.close();
    }

    /** Every run really starts bubblewrap: skipped where it cannot run, failed where bin/test promised it (ROLLGUARD_REQUIRE_SANDBOX). */
    static Sandbox.Result sh(String script, Job.Limits limits) {
        Parts.need("SANDBOX", sandbox.available(), "bubblewrap cannot run here: " + sandbox.unavailableReason());
        return sandbox.run(new Job(List.of("/bin/sh", "-c", script), List.of(new Job.ReadOnly(tree, "/tree"), new Job.Tmpfs("/tmp", 1 << 20)),
                Map.of("GIVEN", "yes"), "/tree", limits, true));
    }

    static Sandbox.Result sh(String script) {
        return sh(script, Job.Limits.DEFAULT.withTimeout(Duration.ofSeconds(30)));
    }

    @Test
    void seesOnlyTheTreeAndTheSystemsPrograms() throws IOException {
        Sandbox.Result r = sh("cat in-tree.conf; cat shadow token up/etc/shadow up/root/.bash_history 2>&1; ls /; ls /etc; id -u; id -g");
        assertThat(r.output()).contains("fine").doesNotContain(SECRET).contains("No such file");
        if (Files.isReadable(Path.of("/etc/shadow"))) {
            assertThat(r.output()).doesNotContain(Files.readAllLines(Path.of("/etc/shadow")).get(0));
        }
        List<String> lines = r.output().lines().toList();
        assertThat(lines).contains("65534");
        assertThat(lines).doesNotContain("root", "home", "work", "var", "srv", "shadow", "hostname", "ssl");
    }

    @Test
    void theTreeIsReadOnlyAndNothingOfTheServersEnvironmentGetsIn() {
        Sandbox.Result r = sh("echo x > in-tree.conf 2>&1 || echo REFUSED; echo y > /usr/x 2>&1 || echo REFUSED; env; cat /proc/1/environ | tr '\\0' '\\n'");
        assertThat(r.output()).contains("REFUSED").doesNotContain("JAVA_HOME", "ROLLGUARD_", "MAVEN", "HOME=/root");
        assertThat(r.output().lines().filter(l -> l.matches("[A-Z_]+=.*")).map(l -> l.substring(0, l.indexOf('='))))
                .isSubsetOf("GIVEN", "PATH", "MALLOC_ARENA_MAX", "PWD", "SHLVL", "_", "OLDPWD").contains("GIVEN");
    }

    @Test
    void aRunWhoseTurnEndsIsKilled() {
        Parts.need("SANDBOX", sandbox.available(), "bubblewrap cannot run here: " + sandbox.unavailableReason());
        Turn turn = Turn.unbounded("abandoned");
        AtomicReference<Throwable> failed = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                sandbox.run(new Job(List.of("/bin/sh", "-c", "sleep 600"), List.of(), Map.of(), "/",
                        Job.Limits.DEFAULT.withTimeout(Duration.ofSeconds(600)), false), turn);
            } catch (Throwable e) {
                failed.set(e);
            }
        });
        t.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> sandbox.slots().use().running() == 1
                && ProcessHandle.current().descendants().anyMatch(p -> p.info().command().orElse("").endsWith("sleep")));
        turn.cancel("the request was abandoned");
        // killed, not left to sleep its ten minutes: the slot is free again and the caller told why
        await().atMost(Duration.ofSeconds(60)).until(() -> !t.isAlive());
        assertThat(failed.get()).isInstanceOf(Turn.Over.class).hasMessageContaining("abandoned");
        assertThat(sandbox.slots().use().running()).isZero();
        assertThat(ProcessHandle.current().descendants().noneMatch(p -> p.info().command().orElse("").endsWith("sleep"))).isTrue();
    }

    @Test
    void noNetwork() {
        Sandbox.Result r = sh("cat /proc/net/dev | tail -n +3 | cut -d: -f1");
        assertThat(r.output().lines().map(String::strip).toList()).containsExactly("lo");
    }

    @Test
    void timeMemoryProcessAndOutputLimits() {
        long start = System.nanoTime();
        Sandbox.Result slow = sh("sleep 60", Job.Limits.DEFAULT.withTimeout(Duration.ofSeconds(1)));
        assertThat(slow.timedOut()).isTrue();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(30));

        Job.Limits small = new Job.Limits(Duration.ofSeconds(30), 256L << 20, 8, 1 << 20, 30, 4096);
        Sandbox.Result memory = sh("python3 -c 'b = bytearray(1024 * 1024 * 1024); print(\"ALLOCATED\")' 2>&1", small);
        assertThat(memory.output()).doesNotContain("ALLOCATED").contains("MemoryError");

        Sandbox.Result forks = sh("i=0; while [ $i -lt 100 ]; do sleep 5 & i=$((i+1)); done 2>&1; echo started-all", small);
        assertThat(forks.output()).doesNotContain("started-all");

        Sandbox.Result big = sh("dd if=/dev/zero of=/tmp/big bs=1M count=8 2>&1; yes", small.withTimeout(Duration.ofSeconds(2)));
        assertThat(big.output()).containsAnyOf("File too large", "File size limit exceeded");
        assertThat(big.output().length()).isLessThanOrEqualTo(4096);
    }

    /**
     * Issue 25 item 3: what a job can hold is bounded as a whole. The root and /dev (tmpfs without a size) are read
     * only, so its sized tmpfs are all it can fill; no user namespace can be made inside; and a job whose processes and
     * tmpfs could hold more than the ceiling is refused before it runs.
     */
    @Test
    void theSandboxAsAWholeIsBounded() {
        Sandbox.Result r = sh("echo x > /x 2>&1 || echo ROOT-READ-ONLY; echo x > /dev/x 2>&1 || echo DEV-READ-ONLY; "
                + "echo x > /tmp/x && echo TMP-WRITABLE; echo x > /dev/null && echo NULL-WRITABLE; unshare -U true 2>&1 || echo NO-USER-NAMESPACE");
        assertThat(r.output()).contains("ROOT-READ-ONLY", "DEV-READ-ONLY", "TMP-WRITABLE", "NULL-WRITABLE", "NO-USER-NAMESPACE");
        assertThat(Job.memoryCeiling(List.of(new Job.Tmpfs("/tmp", 64L << 20)), Job.Limits.DEFAULT)).isLessThanOrEqualTo(Job.MEMORY_CEILING);
        assertThatThrownBy(() -> new Job(List.of("/bin/true"), List.of(), Map.of(), "/",
                new Job.Limits(Duration.ofSeconds(1), 1L << 30, 64, 1 << 20, 1, 0), false))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at most 2304 MiB");
        assertThatThrownBy(() -> new Job(List.of("/bin/true"), List.of(new Job.Tmpfs("/tmp", 4L << 30)), Map.of(), "/", Job.Limits.DEFAULT, false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theCommandLineDropsRootAndAllowsOnlyWhatTheJobNames() {
        Job job = new Job(List.of("/usr/bin/true"), List.of(new Job.ReadOnly(Path.of("/x/tree"), "/tree")), Map.of("A", "b"), "/tree",
                Job.Limits.DEFAULT, false);
        BwrapArgs.Tools tools = new BwrapArgs.Tools(Path.of("/usr/bin/bwrap"), Path.of("/usr/bin/setpriv"), Path.of("/usr/bin/prlimit"), Path.of("/bin/sh"));
        List<String> dropped = BwrapArgs.command(BwrapArgs.Launch.DROP_TO_NOBODY, tools, List.of(Path.of("/usr")), Map.of("/lib", "usr/lib"),
                Map.of("/etc/passwd", Path.of("/s/passwd")), Path.of("/s/seccomp.bpf"), job);
        // a fixed script opens the seccomp program as fd 3; the job's words are its arguments, never its text
        assertThat(dropped.subList(0, 5)).containsExactly("/bin/sh", "-c", "exec 3<\"$1\" || exit 127; shift; exec \"$@\"", "rollguard-sandbox",
                "/s/seccomp.bpf");
        assertThat(dropped.subList(5, 8)).containsExactly("/usr/bin/setpriv", "--reuid=65534", "--regid=65534");
        assertThat(String.join(" ", dropped)).contains("--unshare-all --unshare-user --uid 65534 --gid 65534", "--clearenv",
                "--ro-bind /usr /usr", "--symlink usr/lib /lib", "--ro-bind /x/tree /tree", "--ro-bind /s/passwd /etc/passwd",
                "--setenv A b", "--chdir /tree", "/usr/bin/prlimit --as=" + (128L << 20), "--disable-userns", "--seccomp 3", "--remount-ro /dev --remount-ro /").doesNotContain("--proc", "--share-net", "--bind ");
        assertThat(dropped.get(dropped.size() - 1)).isEqualTo("/usr/bin/true");
        List<String> userns = BwrapArgs.command(BwrapArgs.Launch.USER_NAMESPACE, tools, List.of(), Map.of(), Map.of(), Path.of("/s/f"), job);
        assertThat(userns.get(5)).isEqualTo("/usr/bin/bwrap");
    }

    @Test
    void unavailableSaysWhyAndRunsNothing() {
        Sandbox none = Sandbox.unavailable("bubblewrap (bwrap) is not installed");
        assertThat(none.available()).isFalse();
        assertThat(none.describe()).contains("skipped", "never run unsandboxed", "bwrap");
    }
}
