package dev.rollguard.demo;

import dev.rollguard.Processes;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One real Apache 2 + mod_php instance on a loopback port, with its own ServerRoot, logs and PID file. Its
 * DocumentRoot is {@code target/current}: the symlink a Rollguard agent swaps. Stopped by PID (master and
 * children), also when the JVM exits.
 */
public final class ApacheHost implements AutoCloseable {
    public static final String BINARY = "/usr/sbin/apache2";
    private static final String MODULES = "/usr/lib/apache2/modules";

    private final String name;
    private final Path root;
    private final int port;
    private final ExitHook cleanup = new ExitHook("apache-cleanup", this::stop);
    private volatile long pid = -1;

    public ApacheHost(String name, Path root, int port) throws IOException {
        this.name = name;
        this.root = root;
        this.port = port;
        for (Path d : List.of(root, root.resolve("logs"), root.resolve("run"), root.resolve("empty"), target())) {
            Files.createDirectories(d);
            // Apache's workers run as www-data when started by root: they must reach the tree
            Files.setPosixFilePermissions(d, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
        Files.writeString(conf(), config());
        Files.writeString(shadowConf(), config(true));
    }

    /** Is Apache with mod_php on this machine? Empty if so, else what is missing. */
    public static Optional<String> missing() {
        if (!Files.isExecutable(Path.of(BINARY))) return Optional.of("apache2 is not installed (Debian package apache2)");
        if (phpModule().isEmpty()) return Optional.of("mod_php is not installed (Debian package libapache2-mod-php)");
        return Optional.empty();
    }

    private static Optional<Path> phpModule() {
        try (var s = Files.list(Path.of(MODULES))) {
            return s.filter(p -> p.getFileName().toString().matches("libphp[0-9.]*\\.so")).findFirst();
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private String config() {
        return config(false);
    }

    /**
     * The main instance serves {@code target/current} on this host's port and logs every request; the shadow instance
     * (preflight) serves the staged tree named by ROLLGUARD_STAGED_DIR on ROLLGUARD_PREFLIGHT_PORT (Apache reads both
     * from its environment), keeps its own PID file and writes no access log, so its probes never count as traffic.
     */
    private String config(boolean shadow) {
        String r = root.toString();
        String run = r + (shadow ? "/run/shadow-${ROLLGUARD_PREFLIGHT_PORT}" : "/run");
        boolean asRoot = "root".equals(System.getProperty("user.name"));
        List<String> lines = new ArrayList<>(List.of(
                "# written by rollguard demo: one Apache instance of the demo fleet" + (shadow ? " (preflight shadow)" : ""),
                "ServerRoot " + r,
                "ServerName 127.0.0.1",
                "Listen 127.0.0.1:" + (shadow ? "${ROLLGUARD_PREFLIGHT_PORT}" : port),
                "PidFile " + run + "/apache.pid",
                "DefaultRuntimeDir " + run,
                "Mutex file:" + run + " default",
                "LoadModule mpm_prefork_module " + MODULES + "/mod_mpm_prefork.so",
                "LoadModule authz_core_module " + MODULES + "/mod_authz_core.so",
                "LoadModule dir_module " + MODULES + "/mod_dir.so",
                "LoadModule mime_module " + MODULES + "/mod_mime.so",
                // WordPress's permalinks and an admin's own rules live in the tree's .htaccess files, as on a real host
                "LoadModule rewrite_module " + MODULES + "/mod_rewrite.so",
                "LoadModule php_module " + phpModule().map(Path::toString).orElse(MODULES + "/libphp.so"),
                asRoot ? "User www-data\nGroup www-data" : "# not root: workers run as the current user",
                "StartServers " + (shadow ? 1 : 2),
                "MinSpareServers " + (shadow ? 1 : 2),
                "MaxSpareServers " + (shadow ? 2 : 6),
                "MaxRequestWorkers " + (shadow ? 4 : 24),
                "ErrorLog " + r + (shadow ? "/logs/shadow-error.log" : "/logs/error.log"),
                "TypesConfig /etc/mime.types"));
        if (shadow) {
            lines.add("DocumentRoot ${ROLLGUARD_STAGED_DIR}");
        } else {
            lines.addAll(List.of(
                    "LogFormat \"%h %l %u %t \\\"%r\\\" %>s %b \\\"%{Referer}i\\\" \\\"%{User-Agent}i\\\" %D\" rollguard",
                    "CustomLog " + r + "/logs/access.log rollguard",
                    // before its first release the host has no tree: it serves an empty root until the agent's graceful restart
                    "<IfFile \"" + target().resolve("current") + "\">",
                    "  DocumentRoot " + target().resolve("current"),
                    "</IfFile>",
                    "<IfFile !\"" + target().resolve("current") + "\">",
                    "  DocumentRoot " + root.resolve("empty"),
                    "</IfFile>"));
        }
        lines.addAll(List.of(
                "<Directory />",
                "  Options FollowSymLinks",
                "  AllowOverride None",
                "  Require all granted",
                "</Directory>",
                // the served tree's .htaccess files count, as WordPress expects (and Debian's own site config allows)
                "<Directory \"" + (shadow ? "${ROLLGUARD_STAGED_DIR}" : target().resolve("current").toString()) + "\">",
                "  AllowOverride All",
                "</Directory>",
                "DirectoryIndex index.php",
                "<FilesMatch \"\\.php$\">",
                "  SetHandler application/x-httpd-php",
                "</FilesMatch>",
                "php_admin_flag display_errors off",
                "php_admin_flag log_errors on",
                // a swapped symlink must be seen at once, not after PHP's realpath cache expires
                "php_admin_value realpath_cache_ttl 0",
                ""));
        return String.join("\n", lines);
    }

    /** A free loopback port for a new instance. */
    public static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public String name() { return name; }
    public int port() { return port; }
    public String url() { return "http://127.0.0.1:" + port + "/"; }
    public Path conf() { return root.resolve("httpd.conf"); }
    public Path shadowConf() { return root.resolve("shadow.conf"); }
    public Path target() { return root.resolve("target"); }
    public Path accessLog() { return root.resolve("logs/access.log"); }
    public Path errorLog() { return root.resolve("logs/error.log"); }

    /** The agent's pre-apply hook: Apache's own config test, run against the staged tree as DocumentRoot. */
    public String preApplyHook() {
        return BINARY + " -t -f " + conf() + " -c \"DocumentRoot $ROLLGUARD_RELEASE_DIR\"";
    }

    /**
     * The agent's preflight hook: a second Apache + mod_php in the foreground serving the staged tree on the preflight
     * port (its run directory made first, since Apache does not make it). NO_DETACH, not FOREGROUND: only NO_DETACH
     * starts a new session, and prefork's shutdown signals its whole process group, which would be the agent's otherwise.
     */
    public String preflightHook() {
        return "mkdir -p " + root.resolve("run") + "/shadow-$ROLLGUARD_PREFLIGHT_PORT && exec " + BINARY + " -f " + shadowConf()
                + " -DNO_DETACH";
    }

    /** The agent's reload hook: a graceful restart, so no request is cut. */
    public String reloadHook() {
        return BINARY + " -f " + conf() + " -k graceful";
    }

    public ApacheHost start(Duration timeout) throws IOException, InterruptedException {
        Files.deleteIfExists(accessLog());
        Files.createFile(accessLog());
        Processes.Result r = Processes.run(List.of(BINARY, "-f", conf().toString(), "-k", "start"), root, Map.of(), Duration.ofSeconds(30));
        if (!r.ok()) throw new IOException("apache " + name + " did not start: " + r.output().strip());
        cleanup.arm();
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            readPid();
            if (pid > 0 && answers()) return this;
            Thread.sleep(50);
        }
        throw new IOException("apache " + name + " did not answer on port " + port + " within " + timeout.toSeconds() + " s; see " + errorLog());
    }

    private void readPid() {
        try {
            Path f = root.resolve("run/apache.pid");
            if (Files.exists(f)) pid = Long.parseLong(Files.readString(f).strip());
        } catch (IOException | NumberFormatException e) {
            // not written yet
        }
    }

    private boolean answers() {
        try {
            HttpURLConnection c = (HttpURLConnection) URI.create(url()).toURL().openConnection();
            c.setConnectTimeout(200);
            c.setReadTimeout(2000);
            c.getResponseCode();
            c.disconnect();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    public long pid() { return pid; }

    /** Stops the master and every worker by PID; waits for them to be gone. */
    public void stop() {
        readPid();
        if (pid <= 0) return;
        Optional<ProcessHandle> master = ProcessHandle.of(pid);
        if (master.isEmpty()) return;
        List<ProcessHandle> workers = master.get().descendants().toList();
        master.get().destroy();
        try {
            master.get().onExit().get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            master.get().destroyForcibly();
        }
        for (ProcessHandle w : workers) {
            if (w.isAlive()) w.destroyForcibly();
        }
        pid = -1;
    }

    @Override
    public void close() {
        stop();
        cleanup.disarm();
    }
}
