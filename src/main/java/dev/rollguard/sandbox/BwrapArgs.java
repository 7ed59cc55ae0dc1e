package dev.rollguard.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The command line that runs a {@link Job} under bubblewrap: a pure function of the job, how the sandbox was found
 * to work on this machine, and the host's system layout, so every flag can be checked without running anything.
 */
final class BwrapArgs {
    private BwrapArgs() {}

    /**
     * @param launch   how bubblewrap is started (as an unprivileged uid, or as this user in a user namespace)
     * @param tools    bwrap, util-linux's setpriv (drops root) and prlimit (sets the job's limits inside the sandbox), sh
     * @param system   host paths mounted read only at the same place (/usr, the libraries; /etc/alternatives)
     * @param links    merged-/usr links to recreate (e.g. /lib -> usr/lib)
     * @param etc      synthetic /etc files (passwd, group) written by the sandbox, not the host's
     * @param seccomp  the {@link Seccomp} program's file, written by the sandbox
     */
    static List<String> command(Launch launch, Tools tools, List<Path> system, Map<String, String> links, Map<String, Path> etc, Path seccomp,
                                Job job) {
        List<String> cmd = new ArrayList<>();
        // bubblewrap reads a seccomp program only from an open file descriptor, and a JVM child inherits none but 0-2: a
        // fixed script opens our filter file as fd 3 and execs the rest, which it passes on as "$@" without reading it
        // (no word of the job ever reaches the shell's parser)
        cmd.addAll(List.of(tools.sh().toString(), "-c", "exec " + SECCOMP_FD + "<\"$1\" || exit 127; shift; exec \"$@\"", "rollguard-sandbox", seccomp.toString()));
        if (launch == Launch.DROP_TO_NOBODY) {
            // root starts it: give up root before bubblewrap runs, so nothing in the sandbox is root anywhere
            cmd.addAll(List.of(tools.setpriv().toString(), "--reuid=" + Sandbox.UID, "--regid=" + Sandbox.GID, "--clear-groups", "--inh-caps=-all",
                    "--bounding-set=-all", "--"));
        }
        cmd.add(tools.bwrap().toString());
        // every namespace: no network (only a loopback of its own), no other processes, no IPC, its own host name
        cmd.addAll(List.of("--unshare-all", "--unshare-user", "--uid", String.valueOf(Sandbox.UID), "--gid", String.valueOf(Sandbox.GID),
                // no user namespaces inside: the kernel's namespace code is where sandbox escapes have come from
                "--disable-userns", "--die-with-parent", "--new-session", "--hostname", "sandbox", "--clearenv",
                // applied to the job (not to bubblewrap's own set-up), after which no_new_privs holds for good
                "--seccomp", String.valueOf(SECCOMP_FD)));
        for (Path p : system) cmd.addAll(List.of("--ro-bind", p.toString(), p.toString()));
        links.forEach((link, target) -> cmd.addAll(List.of("--symlink", target, link)));
        cmd.addAll(List.of("--dev", "/dev"));
        if (job.procfs()) cmd.addAll(List.of("--proc", "/proc"));
        for (Job.Mount m : job.mounts()) {
            if (m instanceof Job.ReadOnly r) cmd.addAll(List.of("--ro-bind", r.source().toString(), r.target()));
            else if (m instanceof Job.Tmpfs t) cmd.addAll(List.of("--size", String.valueOf(t.sizeBytes()), "--tmpfs", t.target()));
            else if (m instanceof Job.Dir d) cmd.addAll(List.of("--dir", d.target()));
            else if (m instanceof Job.Link l) cmd.addAll(List.of("--symlink", l.target(), l.path()));
        }
        // after the job's mounts, so a tree mounted at /etc cannot bring its own passwd
        etc.forEach((target, source) -> cmd.addAll(List.of("--ro-bind", source.toString(), target)));
        // the root and /dev are tmpfs without a size: read only once laid out, so the job's sized tmpfs are all it can fill
        cmd.addAll(List.of("--remount-ro", "/dev", "--remount-ro", "/"));
        Map<String, String> env = new TreeMap<>(job.env());
        env.putIfAbsent("PATH", "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin");
        // glibc gives a thread that finds the main arena locked an arena of its own, 64 MiB of address space reserved
        // at once: under the job's address-space limit a multi-threaded checker (mariadbd) then ran out of memory
        // "needing 30840 bytes", only when its threads happened to contend (seen at load 7, once in four suite runs)
        env.putIfAbsent("MALLOC_ARENA_MAX", "1");
        env.forEach((k, v) -> cmd.addAll(List.of("--setenv", k, v)));
        cmd.addAll(List.of("--chdir", job.workDir(), "--"));
        Job.Limits l = job.limits();
        cmd.addAll(List.of(tools.prlimit().toString(), "--as=" + l.memoryBytes(), "--nproc=" + l.processes(), "--fsize=" + l.fileBytes(),
                "--cpu=" + l.cpuSeconds(), "--core=0", "--"));
        cmd.addAll(job.command());
        return cmd;
    }

    /** The descriptor the seccomp program is read from: the first after stdin, stdout and stderr. */
    static final int SECCOMP_FD = 3;

    /** bwrap, util-linux's setpriv and prlimit, and the shell that opens the seccomp program's file (/bin/sh). */
    record Tools(Path bwrap, Path setpriv, Path prlimit, Path sh) {}

    /** How bubblewrap gets its namespaces on this machine. */
    enum Launch {
        /** Running as root: switch to uid/gid 65534 first, then bubblewrap makes an unprivileged user namespace. */
        DROP_TO_NOBODY,
        /** Running as an ordinary user (or root where unprivileged namespaces are disabled): a user namespace of this user. */
        USER_NAMESPACE
    }
}
