package dev.rollguard.validate;

import dev.rollguard.config.Hashing;
import dev.rollguard.sandbox.Job;
import dev.rollguard.sandbox.Sandbox;
import dev.rollguard.sandbox.Slots;
import dev.rollguard.sandbox.Turn;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A few long-lived PHP processes (one per core), each in the sandbox, that lint many files each: a process per file
 * cost ~87 s on WordPress. The workers see no tree at all: contents travel on their stdin, and the driver
 * ({@code phplint.php}) compiles each in a scratch tmpfs without executing it. A worker that dies (a crash, a limit,
 * a full opcode cache) is started again; a file that takes longer than the timeout is an error and costs its worker.
 */
final class PhpLintPool implements AutoCloseable {
    private static final Duration PER_FILE = Duration.ofSeconds(20);
    private static final int FILES_PER_WORKER = 20_000;

    private final Sandbox sandbox;
    private final Path php;
    private final int size;
    private final ConcurrentLinkedQueue<Worker> idle = new ConcurrentLinkedQueue<>();
    private final ExecutorService threads;
    private final ScheduledExecutorService watchdog;
    private Path driverDir;
    private String version;
    private boolean opcache;

    PhpLintPool(Sandbox sandbox, Path php, int size) {
        this.sandbox = sandbox;
        this.php = php;
        this.size = Math.max(1, size);
        this.threads = Executors.newFixedThreadPool(this.size, r -> daemon(r, "php-lint"));
        this.watchdog = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "php-lint-watchdog"));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** PHP's version as the sandboxed php reports it (results of one version say nothing about another). */
    synchronized String version() {
        if (version == null) {
            Sandbox.Result r = sandbox.run(new Job(List.of(php.toString(), "-n", "-r", "echo PHP_VERSION, \"\\n\", ini_get('extension_dir');"),
                    List.of(), Map.of(), "/", Job.Limits.DEFAULT.withTimeout(Duration.ofSeconds(30)), false));
            List<String> lines = r.output().strip().lines().toList();
            if (!r.ok() || lines.size() < 2) throw new IllegalStateException("php does not start in the sandbox: " + Text.firstLines(r.output(), 2));
            version = lines.get(0).strip();
            opcache = Files.isRegularFile(Path.of(lines.get(1).strip(), "opcache.so"));
        }
        return version;
    }

    /**
     * What linting one file came to. Conclusive: {@code php -l}'s own verdict on the file, the same on any machine. Not
     * when it timed out or the compiler died under it: a quieter machine may lint it, so it must not be remembered.
     */
    record Linted(PhpLintCache.Outcome outcome, boolean conclusive) {}

    /**
     * Lints every content (by its hash) and answers the outcome of each. Each thread linting holds one of the sandbox's
     * slots and a worker's share of its memory budget for {@code turn}, as any other sandboxed check does (an idle
     * worker waits on its stdin and grows no further); a turn that ends stops the linting between files.
     */
    Map<String, Linted> lint(Map<String, String> contentsByHash, Turn turn) {
        version();
        long ceiling = workerJob().ceiling();
        ConcurrentLinkedQueue<Map.Entry<String, String>> todo = new ConcurrentLinkedQueue<>(contentsByHash.entrySet());
        Map<String, Linted> out = new ConcurrentHashMap<>();
        List<Future<?>> running = new ArrayList<>();
        for (int i = 0; i < Math.min(size, contentsByHash.size()); i++) {
            running.add(threads.submit(() -> {
                Worker w = null;
                try (Slots.Slot slot = sandbox.slots().acquire(turn, ceiling)) {
                    Map.Entry<String, String> e;
                    while ((e = todo.poll()) != null) {
                        turn.check();
                        if (w == null) w = take();
                        Attempt a = w.lint(e.getKey(), e.getValue());
                        if (a.outcome() == null) {
                            // the worker died under this file (or just before it): once more on a fresh one
                            w.close();
                            w = take();
                            a = w.lint(e.getKey(), e.getValue());
                        }
                        if (a.outcome() == null) {
                            w.close();
                            w = null;
                            out.put(e.getKey(), new Linted(new PhpLintCache.Outcome(0, a.timedOut() ? "php -l timed out after " + PER_FILE.toSeconds() + " s"
                                    : "the PHP compiler crashed or hit a sandbox limit on this file"), false));
                        } else {
                            out.put(e.getKey(), new Linted(a.outcome(), true));
                        }
                    }
                } finally {
                    if (w != null) {
                        if (w.alive()) idle.add(w);
                        else w.close();
                    }
                }
            }));
        }
        for (Future<?> f : running) {
            try {
                f.get();
            } catch (ExecutionException e) {
                // a turn that ended, or a queue too full to wait in: the validation's answer, as for the other checks
                if (e.getCause() instanceof Turn.Over | e.getCause() instanceof Slots.Refusal) throw (RuntimeException) e.getCause();
                throw new IllegalStateException("php-lint failed: " + e.getCause(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("php-lint interrupted", e);
            }
        }
        return out;
    }

    private Worker take() {
        Worker w;
        while ((w = idle.poll()) != null) {
            if (w.alive()) return w;
            w.close();
        }
        return new Worker(startProcess());
    }

    private synchronized Path driver() {
        if (driverDir == null) {
            try (InputStream in = PhpLintPool.class.getResourceAsStream("phplint.php")) {
                if (in == null) throw new IllegalStateException("phplint.php missing from the jar");
                driverDir = Files.createTempDirectory("rollguard-phplint-");
                Files.write(driverDir.resolve("phplint.php"), in.readAllBytes());
                sandbox.grantRead(driverDir);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return driverDir.resolve("phplint.php");
    }

    private Process startProcess() {
        try {
            return sandbox.start(workerJob());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start php in the sandbox: " + e.getMessage(), e);
        }
    }

    private Job workerJob() {
        // no php.ini of this machine (-n), but short_open_tag off as Debian's shipped php.ini has it: with it on, a file
        // starting with "<?xml" would be a parse error here and fine on a Debian host
        List<String> cmd = new ArrayList<>(List.of(php.toString(), "-n", "-d", "display_errors=0", "-d", "display_startup_errors=0",
                "-d", "log_errors=0", "-d", "memory_limit=256M", "-d", "error_reporting=E_ALL", "-d", "short_open_tag=0"));
        if (opcache) {
            // optimisation off: compile exactly as php -l does; caching on (the driver relies on it) in a bounded cache
            cmd.addAll(List.of("-d", "zend_extension=opcache.so", "-d", "opcache.enable_cli=1", "-d", "opcache.optimization_level=0",
                    "-d", "opcache.file_update_protection=0", "-d", "opcache.validate_timestamps=0", "-d", "opcache.memory_consumption=64",
                    "-d", "opcache.interned_strings_buffer=8", "-d", "opcache.jit=disable", "-d", "opcache.lockfile_path=/tmp"));
        }
        cmd.add("/phplint.php");
        // CPU time accumulates over a worker's life: it is bounded per file by the watchdog, and workers are recycled
        // one PHP process (memory_limit 256M) beside the sandbox's own: 512 MiB of address space each is plenty
        Job.Limits limits = new Job.Limits(Duration.ofDays(365), 512L << 20, 4, 64L << 20, 3600, 0);
        return new Job(cmd, List.of(new Job.ReadOnly(driver(), "/phplint.php"), new Job.Tmpfs("/scratch", 96L << 20),
                new Job.Tmpfs("/tmp", 8L << 20)), Map.of(), "/scratch", limits, false);
    }

    private record Attempt(PhpLintCache.Outcome outcome, boolean timedOut) {}

    /** One sandboxed PHP process and its pipes; used by one thread at a time. */
    private final class Worker implements AutoCloseable {
        private final Process process;
        private final OutputStream in;
        private final BufferedReader out;
        private int files;
        private volatile boolean killed;

        Worker(Process process) {
            this.process = process;
            this.in = process.getOutputStream();
            this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        }

        boolean alive() { return process.isAlive() && !killed && files < FILES_PER_WORKER; }

        Attempt lint(String hash, String content) {
            files++;
            String name = hash.length() > 64 ? Hashing.sha256(hash) : hash;
            byte[] bytes = content.getBytes(StandardCharsets.UTF_8);
            ScheduledFuture<?> deadline = watchdog.schedule(() -> {
                killed = true;
                Sandbox.kill(process);
            }, PER_FILE.toMillis(), TimeUnit.MILLISECONDS);
            try {
                in.write((name + " " + bytes.length + "\n").getBytes(StandardCharsets.US_ASCII));
                in.write(bytes);
                in.flush();
                String line = out.readLine();
                if (line == null || !line.startsWith(name + "\t")) return new Attempt(null, killed);
                String[] p = line.substring(name.length() + 1).split("\t", 2);
                if (p[0].equals("ok")) return new Attempt(PhpLintCache.Outcome.CLEAN, false);
                int lineNo = p[0].matches("\\d{1,9}") ? Integer.parseInt(p[0]) : 0;
                String message = p.length > 1 ? p[1] : p[0];
                return new Attempt(new PhpLintCache.Outcome(lineNo, message), false);
            } catch (IOException e) {
                return new Attempt(null, killed);
            } finally {
                deadline.cancel(false);
            }
        }

        @Override
        public void close() {
            Sandbox.kill(process);
        }
    }

    @Override
    public void close() {
        Worker w;
        while ((w = idle.poll()) != null) w.close();
        threads.shutdownNow();
        watchdog.shutdownNow();
        if (driverDir != null) {
            try {
                Files.deleteIfExists(driverDir.resolve("phplint.php"));
                Files.deleteIfExists(driverDir);
            } catch (IOException ignored) {
                // a temp file left behind is harmless
            }
        }
    }
}
