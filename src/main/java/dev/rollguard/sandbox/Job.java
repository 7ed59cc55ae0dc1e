package dev.rollguard.sandbox;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One program to run in the sandbox: what it runs, which host directories it sees (nothing else of the host's
 * file system is visible but the system's programs and libraries), its environment (nothing is inherited) and its
 * limits.
 *
 * @param command  the program and its arguments, as seen inside the sandbox
 * @param mounts   what the program sees besides /usr and the libraries
 * @param env      the whole environment (PATH is added when absent)
 * @param workDir  the working directory inside the sandbox
 * @param limits   time, memory, processes, file size, output
 * @param procfs   mount a /proc of the sandbox's own process namespace (shell scripts may want it; config tests do not)
 */
public record Job(List<String> command, List<Mount> mounts, Map<String, String> env, String workDir, Limits limits, boolean procfs) {
    public Job {
        if (command == null || command.isEmpty()) throw new IllegalArgumentException("a sandbox job needs a command");
        command = List.copyOf(command);
        mounts = List.copyOf(mounts);
        env = Map.copyOf(env);
        workDir = workDir == null ? "/" : workDir;
        limits = limits == null ? Limits.DEFAULT : limits;
        long ceiling = memoryCeiling(mounts, limits);
        if (ceiling > MEMORY_CEILING) {
            throw new IllegalArgumentException("a sandbox job may hold " + (ceiling >> 20) + " MiB of memory; at most "
                    + (MEMORY_CEILING >> 20) + " MiB are allowed (address space times processes, plus its tmpfs)");
        }
    }

    /** The most memory one job can hold, as a whole: every process at its address-space limit, every tmpfs full. */
    public static final long MEMORY_CEILING = 2304L << 20;

    /** What this job can hold at most (what {@link Slots} counts against the memory budget across jobs). */
    public long ceiling() {
        return memoryCeiling(mounts, limits);
    }

    /**
     * What a job can hold at most. The root and /dev are read only, so what it can write to memory is its sized tmpfs;
     * what its processes can map is their address-space limit times how many there may be.
     */
    static long memoryCeiling(List<Mount> mounts, Limits limits) {
        long tmpfs = mounts.stream().mapToLong(m -> m instanceof Tmpfs t ? t.sizeBytes() : 0).sum();
        return limits.memoryBytes() * limits.processes() + tmpfs;
    }

    /** A host path or an empty file system made visible inside the sandbox. */
    public sealed interface Mount permits ReadOnly, Tmpfs, Dir, Link {}

    /** A host file or directory, read only, at {@code target}. */
    public record ReadOnly(Path source, String target) implements Mount {}

    /** An empty, writable, size-bounded file system in memory at {@code target}: the only place the program may write. */
    public record Tmpfs(String target, long sizeBytes) implements Mount {}

    /** An empty directory created inside a tmpfs mounted earlier (e.g. /run/apache2 inside /run). */
    public record Dir(String target) implements Mount {}

    /** A symbolic link at {@code path} (e.g. /var/run -> /run, as on the host). */
    public record Link(String target, String path) implements Mount {}

    /**
     * @param timeout     wall-clock time before the whole sandbox is killed
     * @param memoryBytes address-space limit of each process (RLIMIT_AS)
     * @param processes   processes the sandbox's user may have (RLIMIT_NPROC; counted inside the sandbox's own user namespace)
     * @param fileBytes   largest file the program may write (RLIMIT_FSIZE)
     * @param cpuSeconds  CPU time of each process (RLIMIT_CPU)
     * @param outputBytes output kept; the rest is read and dropped
     */
    public record Limits(Duration timeout, long memoryBytes, int processes, long fileBytes, int cpuSeconds, int outputBytes) {
        /**
         * 128 MiB of address space for each of 16 processes: {@code apache2 -t} with mod_php and WordPress's config runs
         * in less, and the sandbox's init, a shell and a pipeline fit in the count.
         */
        public static final Limits DEFAULT = new Limits(Duration.ofSeconds(60), 128L << 20, 16, 64L << 20, 60, 64 * 1024);

        public Limits withTimeout(Duration t) {
            return new Limits(t, memoryBytes, processes, fileBytes, Math.max(cpuSeconds, (int) Math.min(Integer.MAX_VALUE, t.toSeconds() + 1)),
                    outputBytes);
        }
    }
}
