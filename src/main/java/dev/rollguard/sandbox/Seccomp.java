package dev.rollguard.sandbox;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The seccomp filter every sandboxed job runs under, as the classic-BPF program bubblewrap's {@code --seccomp FD} loads
 * (an array of {@code struct sock_filter}, 8 bytes each, in the machine's byte order).
 *
 * <p>Why a deny list: the checkers are whole daemons ({@code apache2 -t}, {@code nginx -t}, php, haproxy, named) whose
 * system calls change with every release; an allow list would break a checker on the next Debian point release. The
 * denied calls are the ones a config test never needs and a kernel exploit does: debugging other processes
 * ({@code ptrace}, {@code process_vm_*}), file systems and namespaces (the old and the new mount API, {@code unshare},
 * {@code setns}, {@code clone}/{@code clone3} with namespace flags), kernel keyrings, eBPF, perf, userfaultfd (the usual
 * race-widening tool), modules, kexec, reboot, swap, {@code open_by_handle_at} (the Shocker escape), io_uring (a
 * second system-call interface seccomp cannot see into) and {@code personality} beyond asking for the current one.
 * They fail with EPERM, as an unprivileged process would expect; {@code clone3} fails with ENOSYS, which makes the C
 * library fall back to {@code clone} (whose flags, unlike clone3's, a filter can read).
 *
 * <p>System-call numbers differ per architecture, so the program first checks {@code seccomp_data.arch}: a call through
 * another ABI (i386's {@code int 0x80} on x86_64, or x32's numbers with bit 30 set) would dodge every number below,
 * and kills the process. Machines other than x86_64 and aarch64 get no filter, and so no sandbox ({@link #forArch}).
 */
final class Seccomp {
    private Seccomp() {}

    // struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6] (the low word first on little-endian)
    private static final int NR = 0;
    private static final int ARCH = 4;
    private static final int ARG0 = 16;

    // classic BPF opcodes (linux/bpf_common.h)
    private static final short LD_W_ABS = 0x20;
    private static final short JEQ_K = 0x15;
    private static final short JSET_K = 0x45;
    private static final short RET_K = 0x06;

    // return values (linux/seccomp.h)
    static final int RET_KILL_PROCESS = 0x80000000;
    static final int RET_ALLOW = 0x7fff0000;
    static final int RET_ERRNO = 0x00050000;
    static final int EPERM = 1;
    static final int ENOSYS = 38;

    /** x32's system calls are x86_64's numbers with this bit set: the same kernel entry points, a number no rule below names. */
    static final int X32_SYSCALL_BIT = 0x40000000;

    /** The namespace flags of clone(2): CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET. */
    static final int CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

    /** personality(0xffffffff) only asks for the current persona; everything else changes it (e.g. turns address randomisation off). */
    static final int PERSONALITY_QUERY = 0xffffffff;

    /**
     * One machine's ABI: its audit architecture and its numbers for the calls the filter names.
     *
     * @param denied calls refused with EPERM, by name (for the tests and the reader) and number
     */
    record Arch(String name, int audit, boolean x32, Map<String, Integer> denied, int cloneNr, int clone3Nr, int personalityNr) {}

    /** The calls denied outright, by name, on both architectures. */
    static final List<String> DENIED = List.of("ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "pivot_root",
            "open_tree", "move_mount", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr", "unshare", "setns", "keyctl", "add_key",
            "request_key", "bpf", "perf_event_open", "userfaultfd", "kexec_load", "kexec_file_load", "init_module", "finit_module",
            "delete_module", "reboot", "swapon", "swapoff", "open_by_handle_at", "io_uring_setup", "io_uring_enter", "io_uring_register");

    /** arch/x86/entry/syscalls/syscall_64.tbl, in {@link #DENIED}'s order. */
    private static final int[] X86_64 = {101, 310, 311, 165, 166, 155, 428, 429, 430, 431, 432, 433, 442, 272, 308, 250, 248, 249, 321, 298,
            323, 246, 320, 175, 313, 176, 169, 167, 168, 304, 425, 426, 427};
    /** include/uapi/asm-generic/unistd.h (aarch64 uses the generic table), in {@link #DENIED}'s order. */
    private static final int[] AARCH64 = {117, 270, 271, 40, 39, 41, 428, 429, 430, 431, 432, 433, 442, 97, 268, 219, 217, 218, 280, 241,
            282, 104, 294, 105, 273, 106, 142, 224, 225, 265, 425, 426, 427};

    static final Arch X86_64_ARCH = arch("x86_64", 0xC000003E, true, X86_64, 56, 435, 135);
    static final Arch AARCH64_ARCH = arch("aarch64", 0xC00000B7, false, AARCH64, 220, 435, 92);

    private static Arch arch(String name, int audit, boolean x32, int[] numbers, int clone, int clone3, int personality) {
        Map<String, Integer> denied = new LinkedHashMap<>();
        for (int i = 0; i < DENIED.size(); i++) denied.put(DENIED.get(i), numbers[i]);
        return new Arch(name, audit, x32, Map.copyOf(denied), clone, clone3, personality);
    }

    /** The filter's ABI for a JVM's {@code os.arch}, or empty where the filter has no numbers (the sandbox then refuses to run). */
    static Optional<Arch> forArch(String osArch) {
        return switch (osArch) {
            case "amd64", "x86_64" -> Optional.of(X86_64_ARCH);
            case "aarch64", "arm64" -> Optional.of(AARCH64_ARCH);
            default -> Optional.empty();
        };
    }

    /** The program as bubblewrap reads it from its file descriptor. */
    static byte[] program(Arch arch) {
        Program p = new Program();
        p.load(ARCH);
        p.jumpIfEqual(arch.audit(), "abi-ok", null);
        p.ret(RET_KILL_PROCESS);
        p.label("abi-ok");
        p.load(NR);
        if (arch.x32()) {
            p.jumpIfSet(X32_SYSCALL_BIT, "kill", null);
        }
        for (int nr : arch.denied().values()) p.jumpIfEqual(nr, "eperm", null);
        p.jumpIfEqual(arch.clone3Nr(), "enosys", null);
        p.jumpIfEqual(arch.cloneNr(), "clone", null);
        p.jumpIfEqual(arch.personalityNr(), "personality", null);
        p.ret(RET_ALLOW);

        // clone(flags, ...): the flags are the first argument on both architectures; only their low word holds namespace bits
        p.label("clone");
        p.load(ARG0);
        p.jumpIfSet(CLONE_NAMESPACES, "eperm", null);
        p.ret(RET_ALLOW);

        // personality(persona): the kernel reads an unsigned int, the low word
        p.label("personality");
        p.load(ARG0);
        p.jumpIfEqual(PERSONALITY_QUERY, "allow", "eperm");

        p.label("allow");
        p.ret(RET_ALLOW);
        p.label("eperm");
        p.ret(RET_ERRNO | EPERM);
        p.label("enosys");
        p.ret(RET_ERRNO | ENOSYS);
        p.label("kill");
        p.ret(RET_KILL_PROCESS);
        return p.bytes();
    }

    /**
     * A tiny assembler: instructions with jumps to labels, resolved at the end into BPF's forward offsets (a jump's
     * offset counts the instructions it skips; at most 255, ample for this program's ~45 instructions).
     */
    private static final class Program {
        private record Insn(short code, String jt, String jf, int k) {}

        private final List<Insn> insns = new ArrayList<>();
        private final Map<String, Integer> labels = new HashMap<>();

        void load(int offset) { insns.add(new Insn(LD_W_ABS, null, null, offset)); }

        void ret(int value) { insns.add(new Insn(RET_K, null, null, value)); }

        /** Jumps to {@code ifTrue} when the accumulator equals {@code k}, else to {@code ifFalse} (null: the next instruction). */
        void jumpIfEqual(int k, String ifTrue, String ifFalse) { insns.add(new Insn(JEQ_K, ifTrue, ifFalse, k)); }

        /** Jumps to {@code ifTrue} when the accumulator has any of {@code k}'s bits set. */
        void jumpIfSet(int k, String ifTrue, String ifFalse) { insns.add(new Insn(JSET_K, ifTrue, ifFalse, k)); }

        void label(String name) {
            if (labels.putIfAbsent(name, insns.size()) != null) throw new IllegalStateException("label " + name + " twice");
        }

        byte[] bytes() {
            ByteBuffer out = ByteBuffer.allocate(insns.size() * 8).order(ByteOrder.nativeOrder());
            for (int i = 0; i < insns.size(); i++) {
                Insn in = insns.get(i);
                out.putShort(in.code()).put(offset(i, in.jt())).put(offset(i, in.jf())).putInt(in.k());
            }
            return out.array();
        }

        private byte offset(int from, String label) {
            if (label == null) return 0;
            Integer to = labels.get(label);
            if (to == null) throw new IllegalStateException("no label " + label);
            int skip = to - from - 1;
            if (skip < 0 || skip > 255) throw new IllegalStateException("a BPF jump goes forward at most 255 instructions: " + label);
            return (byte) skip;
        }
    }
}
