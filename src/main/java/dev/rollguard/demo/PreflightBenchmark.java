package dev.rollguard.demo;

import dev.rollguard.agent.AccessLogTail;
import dev.rollguard.agent.HealthWindow;
import dev.rollguard.agent.Preflight;
import dev.rollguard.agent.ReplaySet;
import dev.rollguard.agent.ShadowCommand;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.AgentProtocol.HostFailure;
import dev.rollguard.protocol.AgentProtocol.PreflightSpec;
import dev.rollguard.protocol.AgentProtocol.ReplayBlock;

import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.Year;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code bench preflight}: what preflight's replay catches that {@code GET /} cannot, on the demo's real stack (Debian's
 * WordPress on Apache + mod_php + MariaDB). A live Apache serves the site and is sent a traffic mix over many pages; its
 * access log fills a {@link ReplaySet} as on a real host. Then each change of a corpus (config mistakes injected at
 * random places, and healthy changes) goes through {@link Preflight#check} exactly as an agent runs it: the probe of
 * {@code /}, then the replay to a shadow of the candidate and a shadow of the current tree.
 *
 * <p>Ground truth is independent of the replay's sample: every request of the mix is sent to a shadow of the candidate
 * and to one of the current tree, and a change "breaks a page" when some request the current tree serves (2xx/3xx)
 * gets a 4xx, 5xx or no answer from the candidate, twice in a row.
 */
public final class PreflightBenchmark {
    /** The traffic mix: the pages a WordPress site's users and crawlers ask for (the default permalinks, no rewrite). */
    static final List<String> MIX = List.of("/", "/wp-login.php", "/wp-login.php?action=lostpassword", "/?p=1", "/?page_id=2",
            "/?cat=1", "/?author=1", "/?s=hello", "/?m=" + Year.now().getValue(), "/?feed=rss2", "/?feed=atom",
            "/?feed=comments-rss2", "/?p=1&feed=rss2", "/?rest_route=/", "/?rest_route=/wp/v2/posts", "/?rest_route=/wp/v2/pages",
            "/?rest_route=/wp/v2/categories", "/?rest_route=/oembed/1.0/embed&url=http://localhost/?p=1", "/wp-admin/",
            "/wp-admin/admin-ajax.php?action=heartbeat", "/?sitemap=index", "/xmlrpc.php?rsd", "/wp-cron.php",
            "/wp-includes/css/dashicons.min.css", "/wp-includes/css/buttons.min.css", "/wp-includes/js/jquery/jquery.min.js",
            "/wp-includes/js/wp-embed.min.js", "/wp-includes/images/w-logo-blue.png", "/wp-admin/css/login.min.css",
            "/wp-content/themes/twentytwentythree/style.css", "/wp-content/themes/twentytwentythree/screenshot.png",
            "/wp-includes/blocks/navigation/view.min.js", "/?p=1&replytocom=1", "/?attachment_id=1", "/?post_type=page",
            "/readme.html", "/license.txt");

    /** Kinds of change: the first four are mistakes, the last three healthy. */
    enum Kind {
        PHP_INCLUDE(true), REWRITE(true), PHP_INI(true), APACHE(true), CONTENT(false), COMMENT(false), SETTING(false);

        final boolean mistake;

        Kind(boolean mistake) { this.mistake = mistake; }
    }

    record Change(Kind kind, String what, Map<String, String> files) {}

    /** One change's outcome: does it break a page of the mix (ground truth), and what stopped it. */
    record Outcome(Change change, boolean breaksAPage, boolean caughtByProbe, boolean caughtByReplay, boolean blockedComparingBodies,
                   long replayMillis) {}

    private PreflightBenchmark() {}

    public static int run(int perKind, long seed, PrintWriter out) throws IOException, InterruptedException {
        Optional<String> missing = ApacheHost.missing().or(MariaDb::missing);
        if (missing.isPresent()) {
            out.println("bench preflight needs the demo's stack: " + missing.get());
            return 1;
        }
        Path scratch = Files.createTempDirectory("rollguard-bench-preflight");
        Files.setPosixFilePermissions(scratch, PosixFilePermissions.fromString("rwxr-xr-x"));
        Duration patience = Duration.ofSeconds(120);
        try (MariaDb db = MariaDb.start(WordPressSite.DATABASE, WordPressSite.USER, WordPressSite.password(), patience)) {
            ConfigTree site = WordPressSite.tree(db.wordpressHost());
            WordPressSite.install(site, scratch.resolve("setup"), patience);
            Path current = scratch.resolve("current");
            TreeLoader.materialize(site, current);
            ApacheHost live = new ApacheHost("live", scratch.resolve("live"), ApacheHost.freePort());
            Files.createSymbolicLink(live.target().resolve("current"), current);
            ReplaySet replay = new ReplaySet(ReplaySet.DEFAULT_CAPACITY);
            List<ReplaySet.Request> everything = MIX.stream().map(p -> new ReplaySet.Request("GET", null, p)).toList();
            try (ApacheHost started = live.start(patience)) {
                HealthWindow logged = new HealthWindow(Instant.now());
                AccessLogTail tail = new AccessLogTail(started.accessLog(), logged, replay, false);
                try {
                    int sent = traffic(started.url(), 3);
                    // Apache writes a request's line after answering it: once every request sent is read from the log, the
                    // set holds every route the site served (routes it does not serve never enter it)
                    long until = System.nanoTime() + patience.toNanos();
                    while (logged.totals()[0] < sent && System.nanoTime() < until) Thread.sleep(100);
                } finally {
                    tail.close();
                }
            }
            List<Change> corpus = corpus(site, perKind, new Random(seed));
            ShadowCommand shadow = new ShadowCommand(live.preflightHook(), live.target());
            PreflightSpec probe = new PreflightSpec(List.of(new AgentProtocol.Probe("/", 200, null)), 60,
                    new AgentProtocol.Replay(true, 0, 60, 4, ReplayBlock.STATUS, null));
            PreflightSpec probeBodies = new PreflightSpec(probe.probes(), 60, new AgentProtocol.Replay(true, 0, 60, 4, ReplayBlock.BODY, null));
            PreflightSpec truth = new PreflightSpec(probe.probes(), 60, new AgentProtocol.Replay(true, 10_000, 120, 4, ReplayBlock.STATUS, null));
            out.printf("replay set: %d routes from %d requests of a %d-page mix to a live Apache + WordPress %s (seed %d)%n",
                    replay.size(), 3 * MIX.size(), MIX.size(), WordPressSite.version(site), seed);
            List<Outcome> outcomes = new ArrayList<>();
            int i = 0;
            for (Change c : corpus) {
                Path candidate = scratch.resolve("candidate-" + i++);
                linkCopy(current, candidate);
                for (Map.Entry<String, String> f : c.files().entrySet()) {
                    Path p = candidate.resolve(f.getKey());
                    Files.deleteIfExists(p); // a hard link: never write through it into the current tree
                    Files.writeString(p, f.getValue());
                }
                try {
                    Optional<HostFailure> groundTruth = Preflight.check(shadow, truth, candidate, Map.of(), current, everything);
                    boolean breaks = groundTruth.isPresent();
                    long t = System.nanoTime();
                    Optional<HostFailure> caught = Preflight.check(shadow, probe, candidate, Map.of(), current, replay.snapshot(200));
                    long ms = (System.nanoTime() - t) / 1_000_000;
                    boolean byProbe = caught.isPresent() && caught.get().replayed().isEmpty();
                    boolean byReplay = caught.isPresent() && !caught.get().replayed().isEmpty();
                    boolean bodies = !c.kind().mistake
                            && Preflight.check(shadow, probeBodies, candidate, Map.of(), current, replay.snapshot(200)).isPresent();
                    outcomes.add(new Outcome(c, breaks, byProbe, byReplay, bodies, ms));
                } finally {
                    TreeLoader.deleteRecursively(candidate);
                }
            }
            print(outcomes, out);
            return 0;
        } finally {
            TreeLoader.deleteRecursively(scratch);
        }
    }

    /** Asks every page of the mix {@code rounds} times; answers how many requests were sent. */
    private static int traffic(String base, int rounds) throws IOException, InterruptedException {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String root = base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
        for (int r = 0; r < rounds; r++) {
            for (String p : MIX) {
                http.send(HttpRequest.newBuilder(URI.create(root + p)).timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.discarding());
            }
        }
        return rounds * MIX.size();
    }

    /** A copy of a tree made of hard links: instant, and a changed file is written as a new file. */
    private static void linkCopy(Path from, Path to) throws IOException {
        try (Stream<Path> s = Files.walk(from)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = to.resolve(from.relativize(p).toString());
                if (Files.isSymbolicLink(p)) Files.createSymbolicLink(t, Files.readSymbolicLink(p));
                else if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.createLink(t, p);
            }
        }
    }

    // ------------------------------------------------------------------ the corpus

    private static final Pattern INCLUDE = Pattern.compile("(?m)^\\s*(?:require|include)(?:_once)?\\b[^;\\n]*?'([^'\\n]+\\.php)'");

    static List<Change> corpus(ConfigTree site, int perKind, Random rnd) {
        List<String> php = site.paths().stream().filter(p -> p.endsWith(".php") && (p.startsWith("wp-includes/") || p.startsWith("wp-admin/")
                || !p.contains("/")) && site.content(p) != null).sorted().toList();
        List<String> withIncludes = php.stream().filter(p -> INCLUDE.matcher(site.content(p)).find()).toList();
        List<String> themeText = site.paths().stream().filter(p -> p.startsWith("wp-content/themes/twentytwentythree/")
                && (p.endsWith(".html") || p.endsWith(".php")) && site.content(p) != null).sorted().toList();
        List<String> pages = MIX.stream().map(p -> p.replaceFirst("^/", "").replaceFirst("\\?.*$", "")).filter(p -> !p.isEmpty()).distinct().toList();
        List<Change> out = new ArrayList<>();
        for (Kind kind : Kind.values()) {
            for (int n = 0; n < perKind; n++) {
                out.add(switch (kind) {
                    case PHP_INCLUDE -> includeTypo(site, withIncludes, rnd);
                    case REWRITE -> htaccess(kind, rnd, List.of(
                            "RewriteEngine On\nRewriteRule ^" + Pattern.quote(pick(pages, rnd)).replace("\\Q", "").replace("\\E", "") + "$ - [F]",
                            "RewriteEngine On\nRewriteCond %{QUERY_STRING} " + pick(List.of("feed=", "rest_route=", "p=", "s=", "cat="), rnd)
                                    + "\nRewriteRule ^ - [F]",
                            "RewriteEngine On\nRewriteRule ^wp-(" + pick(List.of("config|login", "config|admin", "config|includes"), rnd)
                                    + ") - [F]",
                            "RewriteEngine On\nRewriteRule \\.(" + pick(List.of("css", "js", "png"), rnd) + ")$ - [R=404]"));
                    case PHP_INI -> htaccess(kind, rnd, List.of(
                            "<Files \"" + fileName(pick(pages, rnd)) + "\">\nphp_value memory_limit 2M\n</Files>",
                            "<Files \"" + fileName(pick(pages, rnd)) + "\">\nphp_value auto_prepend_file /nonexistent/prepend.php\n</Files>",
                            "php_value max_input_time 60\nphp_value memory_limit 4M",
                            "<Files \"" + fileName(pick(pages, rnd)) + "\">\nphp_flag engine off\n</Files>"));
                    case APACHE -> htaccess(kind, rnd, List.of(
                            "<Files \"" + fileName(pick(pages, rnd)) + "\">\nRequire all denied\n</Files>",
                            "<FilesMatch \"\\.(" + pick(List.of("css", "js", "png", "html|txt"), rnd) + ")$\">\nRequire all denied\n</FilesMatch>",
                            "DirectoryIndex index.html",
                            "Header set X-Frame-Options SAMEORIGIN",
                            "Options -FollowSymLinks\nRewriteEngine On\nRewriteRule ^nothing$ - [F]"));
                    case CONTENT -> contentEdit(site, themeText, rnd);
                    case COMMENT -> comment(site, php, rnd);
                    case SETTING -> htaccess(kind, rnd, List.of(
                            "php_value upload_max_filesize 64M\nphp_value post_max_size 64M",
                            "AddDefaultCharset UTF-8",
                            "Options -Indexes",
                            "RewriteEngine On\nRewriteRule ^old-page/?$ /?p=1 [R=301,L]",
                            "php_value max_execution_time 60",
                            "<FilesMatch \"\\.(bak|sql)$\">\nRequire all denied\n</FilesMatch>"));
                });
            }
        }
        return out;
    }

    private static String fileName(String page) {
        String f = page.replaceFirst("/$", "");
        int slash = f.lastIndexOf('/');
        f = slash < 0 ? f : f.substring(slash + 1);
        return f.isEmpty() ? "index.php" : f;
    }

    private static <T> T pick(List<T> list, Random rnd) { return list.get(rnd.nextInt(list.size())); }

    private static Change htaccess(Kind kind, Random rnd, List<String> choices) {
        String rules = pick(choices, rnd);
        return new Change(kind, ".htaccess: " + rules.replace("\n", " / "), Map.of(".htaccess", rules + "\n"));
    }

    private static Change includeTypo(ConfigTree site, List<String> files, Random rnd) {
        String file = pick(files, rnd);
        String text = site.content(file);
        List<int[]> spots = new ArrayList<>();
        Matcher m = INCLUDE.matcher(text);
        while (m.find()) spots.add(new int[] {m.start(1), m.end(1)});
        int[] s = spots.get(rnd.nextInt(spots.size()));
        String path = text.substring(s[0], s[1]);
        String typo = switch (rnd.nextInt(3)) {
            case 0 -> path.substring(0, path.length() - 4) + ".phpp";
            case 1 -> path.replaceFirst("([a-z])([a-z])([^/]*\\.php)$", "$2$1$3");
            default -> path.replaceFirst("[a-z](?=[^/]*\\.php$)", "");
        };
        return new Change(Kind.PHP_INCLUDE, file + ": '" + path + "' -> '" + typo + "'",
                Map.of(file, text.substring(0, s[0]) + typo + text.substring(s[1])));
    }

    private static Change contentEdit(ConfigTree site, List<String> files, Random rnd) {
        for (int tries = 0; tries < 50; tries++) {
            String file = pick(files, rnd);
            String text = site.content(file);
            Matcher m = Pattern.compile(">([A-Z][a-z]+(?: [a-z]+)+)<").matcher(text);
            List<int[]> spots = new ArrayList<>();
            while (m.find()) spots.add(new int[] {m.start(1), m.end(1)});
            if (spots.isEmpty()) continue;
            int[] s = spots.get(rnd.nextInt(spots.size()));
            return new Change(Kind.CONTENT, file + ": '" + text.substring(s[0], s[1]) + "' edited",
                    Map.of(file, text.substring(0, s[0]) + "Edited: " + text.substring(s[0], s[1]) + text.substring(s[1])));
        }
        String file = "wp-content/themes/twentytwentythree/style.css";
        return new Change(Kind.CONTENT, file + ": a rule added", Map.of(file, site.content(file) + "\n.site-footer { opacity: 0.9; }\n"));
    }

    private static Change comment(ConfigTree site, List<String> files, Random rnd) {
        String file = pick(files, rnd);
        String text = site.content(file);
        int at = text.indexOf("<?php");
        String changed = at < 0 ? text : text.substring(0, at + 5) + "\n// reviewed for the 2026 audit" + text.substring(at + 5);
        return new Change(Kind.COMMENT, file + ": a comment added", Map.of(file, changed));
    }

    // ------------------------------------------------------------------ the table

    static void print(List<Outcome> outcomes, PrintWriter out) {
        out.printf("%-12s %8s %12s %10s %10s %10s %12s %12s%n", "kind", "changes", "break a page", "GET / ok", "replay ok",
                "neither", "GET / recall", "replay recall");
        int bad = 0, probeAll = 0, replayAll = 0;
        for (Kind k : Kind.values()) {
            List<Outcome> of = outcomes.stream().filter(o -> o.change().kind() == k).toList();
            if (!k.mistake) continue;
            List<Outcome> breaking = of.stream().filter(Outcome::breaksAPage).toList();
            long probe = breaking.stream().filter(Outcome::caughtByProbe).count();
            long replay = breaking.stream().filter(o -> o.caughtByProbe() || o.caughtByReplay()).count();
            bad += breaking.size();
            probeAll += probe;
            replayAll += replay;
            out.printf("%-12s %8d %12d %10d %10d %10d %12s %12s%n", k.name().toLowerCase(), of.size(), breaking.size(), probe, replay - probe,
                    breaking.size() - replay, pct(probe, breaking.size()), pct(replay, breaking.size()));
        }
        out.printf("%-12s %8s %12d %10d %10d %10d %12s %12s%n", "all mistakes", "", bad, probeAll, replayAll - probeAll, bad - replayAll,
                pct(probeAll, bad), pct(replayAll, bad));
        out.println();
        out.printf("%-12s %8s %16s %22s%n", "healthy", "changes", "blocked (status)", "blocked (status+body)");
        for (Kind k : Kind.values()) {
            if (k.mistake) continue;
            List<Outcome> of = outcomes.stream().filter(o -> o.change().kind() == k).toList();
            out.printf("%-12s %8d %16d %22d%n", k.name().toLowerCase(), of.size(),
                    of.stream().filter(o -> o.caughtByProbe() || o.caughtByReplay()).count(), of.stream().filter(Outcome::blockedComparingBodies).count());
        }
        List<Long> ms = new ArrayList<>(outcomes.stream().map(Outcome::replayMillis).toList());
        Collections.sort(ms);
        out.printf("%npreflight time per change (probe + replay, both shadows started): median %d ms, max %d ms%n",
                ms.get(ms.size() / 2), ms.get(ms.size() - 1));
        Map<String, String> missed = new LinkedHashMap<>();
        outcomes.stream().filter(o -> o.breaksAPage() && !o.caughtByProbe() && !o.caughtByReplay())
                .forEach(o -> missed.put(o.change().what(), o.change().kind().name()));
        outcomes.stream().filter(o -> !o.change().kind().mistake && (o.caughtByProbe() || o.caughtByReplay()))
                .forEach(o -> missed.put(o.change().what(), "healthy, blocked"));
        missed.forEach((what, kind) -> out.println("  " + kind + ": " + what));
    }

    private static String pct(long n, long of) {
        return of == 0 ? "-" : String.format("%.1f %%", 100.0 * n / of);
    }
}
