package dev.rollguard.sandbox;

import dev.rollguard.Parts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 25 item 3: every sandboxed job runs under the seccomp filter. Real system calls are made inside the real
 * sandbox (Perl's {@code syscall}, perl-base being in every Debian system), and the filter's numbers are checked against
 * the kernel headers as Debian ships them.
 */
class SeccompTest {
    static Sandbox sandbox;
    static Seccomp.Arch arch;

    @BeforeAll
    static void setUp() {
        sandbox = Sandbox.detect();
        arch = Seccomp.forArch(System.getProperty("os.arch")).orElse(null);
    }

    @AfterAll
    static void tearDown() {
        sandbox.close();
    }

    static Sandbox.Result perl(String script) {
        Parts.need("SANDBOX", sandbox.available(), "bubblewrap cannot run here: " + sandbox.unavailableReason());
        return sandbox.run(new Job(List.of("/bin/sh", "-c", "/usr/bin/perl -e \"$1\"; echo status=$?", "sh", script), List.of(), Map.of(), "/",
                Job.Limits.DEFAULT.withTimeout(Duration.ofSeconds(30)), false));
    }

    /** Each denied call, made with zero arguments (which without the filter reach the kernel and fail, or not, on their own). */
    @Test
    void everyDeniedCallFailsWithEperm() {
        String calls = arch.denied().entrySet().stream().map(e -> "['" + e.getKey() + "'," + e.getValue() + "]").collect(Collectors.joining(","));
        Sandbox.Result r = perl("for my $c (" + calls + ") { $! = 0; my $r = syscall($c->[1], 0, 0, 0, 0, 0, 0); "
                + "print $c->[0], ' ', ($r == -1 ? $! + 0 : 'ok'), \"\\n\"; }");
        Map<String, String> errno = r.output().lines().filter(l -> l.contains(" ") && !l.startsWith("status="))
                .collect(Collectors.toMap(l -> l.split(" ")[0], l -> l.split(" ")[1]));
        assertThat(errno.keySet()).as(r.output()).containsExactlyInAnyOrderElementsOf(Seccomp.DENIED);
        assertThat(errno).as(r.output()).allSatisfy((call, e) -> assertThat(e).as(call).isEqualTo(String.valueOf(Seccomp.EPERM)));
        assertThat(r.output()).contains("status=0");
    }

    /** Calls that would work without the filter: they reach it, not the kernel's own checks. */
    @Test
    void callsThatWorkUnfilteredAreRefused() {
        int ptrace = arch.denied().get("ptrace");
        int keyctl = arch.denied().get("keyctl");
        int readv = arch.denied().get("process_vm_readv");
        Sandbox.Result r = perl("$! = 0; syscall(" + ptrace + ", 0, 0, 0, 0); print 'traceme ', $! + 0, \"\\n\"; "
                // KEYCTL_GET_KEYRING_ID of the session keyring (-3), creating it: works for any user
                + "$! = 0; syscall(" + keyctl + ", 0, -3, 1); print 'keyring ', $! + 0, \"\\n\"; "
                + "$! = 0; syscall(" + readv + ", $$, 0, 0, 0, 0, 0); print 'readv ', $! + 0, \"\\n\"; "
                // ADDR_NO_RANDOMIZE: turns address randomisation off for what it runs next
                + "$! = 0; syscall(" + arch.personalityNr() + ", 0x0040000); print 'norandom ', $! + 0, \"\\n\"; "
                + "$! = 0; my $p = syscall(" + arch.personalityNr() + ", 0xffffffff); print 'query ', ($p >= 0 ? 'ok' : $! + 0), \"\\n\"; "
                + "$! = 0; syscall(" + arch.clone3Nr() + ", 0, 0); print 'clone3 ', $! + 0, \"\\n\"; "
                + "my $pid = fork(); if ($pid == 0) { exit 7 } waitpid($pid, 0); print 'fork ', $? >> 8, \"\\n\"; "
                // clone(CLONE_NEWUTS | SIGCHLD): a namespace through clone, not unshare
                + "$! = 0; syscall(" + arch.cloneNr() + ", 0x04000000 | 17, 0, 0, 0, 0); print 'clone-newuts ', $! + 0, \"\\n\";");
        assertThat(r.output().lines()).as(r.output()).contains("traceme 1", "keyring 1", "readv 1", "norandom 1", "query ok",
                "clone3 " + Seccomp.ENOSYS, "fork 7", "clone-newuts 1", "status=0");
    }

    /** x32's numbers (bit 30 set) reach x86_64's kernel entry points under numbers no rule names: the process is killed. */
    @Test
    void theX32AbiKillsTheProcess() {
        assumeTrue(arch.x32(), "x32 exists on x86_64 only");
        Sandbox.Result r = perl("syscall(" + (Seccomp.X32_SYSCALL_BIT | 39) + "); print \"SURVIVED\\n\";");
        // killed by SIGSYS (31): the shell reports 128 + 31
        assertThat(r.output()).doesNotContain("SURVIVED").contains("status=159");
    }

    /** The numbers are the kernel's, as linux-libc-dev ships them (x86_64's own table; aarch64 uses the generic one). */
    @Test
    void theNumbersAreTheKernelHeaders() throws IOException {
        Path x86 = Path.of("/usr/include/x86_64-linux-gnu/asm/unistd_64.h");
        Path generic = Path.of("/usr/include/asm-generic/unistd.h");
        assumeTrue(Files.isReadable(x86) && Files.isReadable(generic), "linux-libc-dev is not installed");
        Map<String, Integer> x86Numbers = numbers(Files.readString(x86));
        Map<String, Integer> genericNumbers = numbers(Files.readString(generic));
        for (var e : Seccomp.X86_64_ARCH.denied().entrySet()) assertThat(x86Numbers.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
        for (var e : Seccomp.AARCH64_ARCH.denied().entrySet()) assertThat(genericNumbers.get(e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
        assertThat(List.of(Seccomp.X86_64_ARCH.cloneNr(), Seccomp.X86_64_ARCH.clone3Nr(), Seccomp.X86_64_ARCH.personalityNr()))
                .containsExactly(x86Numbers.get("clone"), x86Numbers.get("clone3"), x86Numbers.get("personality"));
        assertThat(List.of(Seccomp.AARCH64_ARCH.cloneNr(), Seccomp.AARCH64_ARCH.clone3Nr(), Seccomp.AARCH64_ARCH.personalityNr()))
                .containsExactly(genericNumbers.get("clone"), genericNumbers.get("clone3"), genericNumbers.get("personality"));
    }

    /** The program starts by checking the ABI, and anything else is refused where no numbers are known. */
    @Test
    void theProgramChecksTheArchitectureFirst() {
        ByteBuffer p = ByteBuffer.wrap(Seccomp.program(Seccomp.X86_64_ARCH)).order(ByteOrder.nativeOrder());
        assertThat(p.capacity() % 8).isZero();
        // ld [4] (seccomp_data.arch); jeq AUDIT_ARCH_X86_64
        assertThat(p.getShort(0)).isEqualTo((short) 0x20);
        assertThat(p.getInt(4)).isEqualTo(4);
        assertThat(p.getShort(8)).isEqualTo((short) 0x15);
        assertThat(p.getInt(12)).isEqualTo(0xC000003E);
        assertThat(Seccomp.forArch("riscv64")).isEmpty();
        assertThat(Seccomp.forArch("amd64")).contains(Seccomp.X86_64_ARCH);
    }

    private static Map<String, Integer> numbers(String header) {
        Map<String, Integer> out = new HashMap<>();
        Matcher m = Pattern.compile("#define __NR(?:3264)?_(\\w+)\\s+(\\d+)").matcher(header);
        while (m.find()) out.putIfAbsent(m.group(1), Integer.parseInt(m.group(2)));
        return out;
    }
}
