package dev.rollguard.demo;

import dev.rollguard.Processes;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeEntry;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.protocol.AgentProtocol;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * A real WordPress site from Debian's packages: {@code wordpress} as shipped (its links to /etc and /usr/share/javascript
 * kept) plus the default theme of its version ({@code wordpress-theme-twentytwentythree}), both unpacked from the .deb
 * files, never installed. Debian's {@code wp-config.php} reads {@code /etc/wordpress/config-<host>.php}, which is the
 * system's, not the demo's: the site's own {@code wp-config.php} replaces it in the managed tree, holding what Debian's
 * per-host file would (database, content directory) and taking its URL from the request, so that every host of the fleet
 * serves the one site, installed once, under its own port.
 */
public final class WordPressSite {
    public static final String TITLE = "Rollguard Demo Shop";
    public static final String DATABASE = "wordpress";
    public static final String USER = "wordpress";
    private static final String PASSWORD = "rollguard-demo";
    private static final String THEME = "twentytwentythree";
    /** The seed's typo, in the real wp-settings.php: one require of a file every request needs. */
    private static final String TYPO_FROM = "/plugin.php'";
    private static final String TYPO_TO = "/plugin.phpp'";

    private WordPressSite() {}

    /** Where the packages are kept between runs (as .ci/run keeps them). */
    public static Path cache() {
        return Path.of(System.getProperty("user.home"), ".cache", "rollguard");
    }

    /**
     * Debian's WordPress tree as shipped: {@code $ROLLGUARD_WORDPRESS_DIR}, else the cache's unpacked copy, else unpacked
     * now from the package (downloaded with {@code apt-get download} if not in the cache).
     */
    public static Path wordpressDir() throws IOException {
        String env = System.getenv("ROLLGUARD_WORDPRESS_DIR");
        if (env != null && Files.isRegularFile(Path.of(env, "wp-settings.php"))) return Path.of(env);
        Path dir = cache().resolve("wordpress-as-shipped");
        if (Files.isRegularFile(dir.resolve("wp-settings.php"))) return dir;
        Path unpacked = unpack("wordpress");
        Files.createDirectories(cache());
        Files.move(unpacked.resolve("usr/share/wordpress"), dir);
        TreeLoader.deleteRecursively(unpacked);
        return dir;
    }

    /** The .deb of a package in the cache, downloaded there if absent, unpacked into a new temporary directory. */
    private static Path unpack(String pkg) throws IOException {
        Files.createDirectories(cache());
        Optional<Path> deb = cachedDeb(pkg);
        if (deb.isEmpty()) {
            Processes.Result r = Processes.run(List.of("apt-get", "download", pkg), cache(), Map.of(), Duration.ofMinutes(5));
            deb = cachedDeb(pkg);
            if (deb.isEmpty()) throw new IOException("apt-get download " + pkg + " failed: " + r.output().strip());
        }
        Path out = Files.createTempDirectory("rollguard-" + pkg + "-");
        Processes.Result r = Processes.run(List.of("dpkg-deb", "-x", deb.get().toString(), out.toString()), cache(), Map.of(), Duration.ofMinutes(5));
        if (!r.ok()) throw new IOException("dpkg-deb -x " + deb.get() + " failed: " + r.output().strip());
        return out;
    }

    private static Optional<Path> cachedDeb(String pkg) throws IOException {
        try (var s = Files.list(cache())) {
            return s.filter(p -> p.getFileName().toString().startsWith(pkg + "_") && p.getFileName().toString().endsWith(".deb")).findFirst();
        }
    }

    /** The site's tree: WordPress as shipped, its default theme, and this site's wp-config.php for {@code db}. */
    public static ConfigTree tree(String dbHost) throws IOException {
        ConfigTree wordpress = TreeLoader.load(wordpressDir(), Limits.DEFAULT);
        Path theme = unpack("wordpress-theme-" + THEME);
        Map<String, TreeEntry> entries = new TreeMap<>(wordpress.entries());
        try {
            ConfigTree t = TreeLoader.load(theme.resolve("usr/share/wordpress/wp-content/themes/" + THEME), Limits.DEFAULT);
            t.entries().forEach((path, e) -> entries.put("wp-content/themes/" + THEME + "/" + path, e));
        } finally {
            TreeLoader.deleteRecursively(theme);
        }
        entries.put("wp-config.php", TreeEntry.text(config(dbHost)));
        return ConfigTree.ofEntries(entries, Limits.DEFAULT);
    }

    private static String config(String dbHost) {
        return String.join("\n",
                "<?php",
                "/* This site's configuration (Debian keeps it in /etc/wordpress/config-<host>.php; here it is part of the tree",
                " * Rollguard releases). Every host of the fleet serves the one site under its own address. */",
                "define('DB_NAME', '" + DATABASE + "');",
                "define('DB_USER', '" + USER + "');",
                "define('DB_PASSWORD', '" + PASSWORD + "');",
                "define('DB_HOST', '" + dbHost + "');",
                "define('DB_CHARSET', 'utf8mb4');",
                "define('WP_CONTENT_DIR', __DIR__ . '/wp-content');",
                "define('WP_HOME', 'http://' . $_SERVER['HTTP_HOST']);",
                "define('WP_SITEURL', 'http://' . $_SERVER['HTTP_HOST']);",
                "define('AUTOMATIC_UPDATER_DISABLED', true);",
                "define('DISABLE_WP_CRON', true);",
                "$table_prefix = 'wp_';",
                "if (!defined('ABSPATH')) define('ABSPATH', __DIR__ . '/');",
                "require_once ABSPATH . 'wp-settings.php';",
                "");
    }

    /** The seed's outage in the real file: one {@code .php} typed as {@code .phpp} in a require of wp-settings.php. */
    public static ConfigTree withTypo(ConfigTree site) {
        String settings = site.content("wp-settings.php");
        if (!settings.contains(TYPO_FROM)) throw new IllegalStateException("wp-settings.php has no " + TYPO_FROM);
        return site.with(Map.of("wp-settings.php", settings.replaceFirst(Pattern.quote(TYPO_FROM), TYPO_TO)));
    }

    /** WordPress's version, as wp-includes/version.php says. */
    public static String version(ConfigTree site) {
        Matcher m = Pattern.compile("\\$wp_version = '([^']+)'").matcher(site.content("wp-includes/version.php"));
        return m.find() ? m.group(1) : "?";
    }

    /** The password the demo's MariaDB user gets. */
    public static String password() { return PASSWORD; }

    /**
     * Installs the site once, before its first release, as its administrator would: the tree on a scratch Apache + mod_php
     * (deleted afterwards), and WordPress's own installer run against it. The fleet's hosts then serve the installed site.
     */
    public static void install(ConfigTree site, Path scratch, Duration timeout) throws IOException, InterruptedException {
        Files.createDirectories(scratch);
        try (ApacheHost apache = new ApacheHost("setup", scratch, ApacheHost.freePort())) {
            Files.createDirectories(apache.target().resolve("site"));
            TreeLoader.materialize(site, apache.target().resolve("site"));
            Files.createSymbolicLink(apache.target().resolve("current"), Path.of("site"));
            apache.start(timeout);
            install(apache.url(), timeout);
        } finally {
            TreeLoader.deleteRecursively(scratch);
        }
    }

    /**
     * WordPress's own installer, non-interactively: step 2 of {@code wp-admin/install.php} with the site's title and its
     * administrator, as the form would post them. Idempotent: a site already installed answers so and is left alone.
     */
    public static void install(String baseUrl, Duration timeout) throws IOException, InterruptedException {
        Map<String, String> form = new LinkedHashMap<>();
        form.put("weblog_title", TITLE);
        form.put("user_name", "admin");
        form.put("admin_password", "rollguard-demo-admin");
        form.put("admin_password2", "rollguard-demo-admin");
        form.put("pw_weak", "1");
        form.put("admin_email", "admin@example.org");
        form.put("blog_public", "0");
        String body = form.entrySet().stream().map(e -> e.getKey() + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base(baseUrl) + "wp-admin/install.php?step=2")).timeout(timeout)
                .header("Content-Type", "application/x-www-form-urlencoded").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200 || !(r.body().contains("Success!") || r.body().contains("Already Installed"))) {
            throw new IOException("WordPress's installer answered " + r.statusCode() + ": "
                    + r.body().substring(0, Math.min(500, r.body().length())));
        }
    }

    /** Real pages of the site, each with its status and the site's title in the body: the probes of its preflight. */
    public static AgentProtocol.PreflightSpec probes() {
        String title = Pattern.quote(TITLE);
        return new AgentProtocol.PreflightSpec(List.of(new AgentProtocol.Probe("/", 200, "<title>" + title),
                new AgentProtocol.Probe("/wp-login.php", 200, "<title>Log In &lsaquo; " + title)), 30);
    }

    private static String base(String url) {
        return url.endsWith("/") ? url : url + "/";
    }
}
