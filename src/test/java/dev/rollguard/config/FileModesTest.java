package dev.rollguard.config;

import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.protocol.AgentProtocol;
import dev.rollguard.protocol.WireDirectory;
import dev.rollguard.protocol.WireEntry;
import dev.rollguard.validate.ExposedSecretValidator;
import dev.rollguard.validate.Finding;
import dev.rollguard.validate.ValidationInput;
import dev.rollguard.values.Values;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Modes and owners of a tree: read from disk, carried on the wire, set by the spec's rules, diffed and checked. */
class FileModesTest {
    private static final String KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n";
    private Path dir;

    @AfterEach
    void cleanUp() {
        if (dir != null) TreeLoader.deleteRecursively(dir);
    }

    private static ConfigTree tree(Map<String, String> files, Map<String, FileMeta> meta) {
        return ConfigTree.of(files).withMeta(meta);
    }

    @Test
    void aDirectoryIsReadWithItsFilesAndDirectoriesModesAndDefaultModesAreNotRecorded() throws Exception {
        dir = Files.createTempDirectory("rg-modes-");
        Files.createDirectories(dir.resolve("ssl/private"));
        Files.createDirectories(dir.resolve("bin"));
        Files.writeString(dir.resolve("ssl/private/site.key"), KEY);
        Files.writeString(dir.resolve("bin/reload.sh"), "#!/bin/sh\n");
        Files.writeString(dir.resolve("site.conf"), "Listen 80\n");
        Files.setPosixFilePermissions(dir.resolve("ssl/private/site.key"), PosixFilePermissions.fromString("rw-------"));
        Files.setPosixFilePermissions(dir.resolve("ssl/private"), PosixFilePermissions.fromString("rwx------"));
        Files.setPosixFilePermissions(dir.resolve("ssl"), PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setAttribute(dir.resolve("bin/reload.sh"), "unix:mode", 04755);
        assertThat(((Integer) Files.getAttribute(dir.resolve("bin/reload.sh"), "unix:mode")) & 07777).isEqualTo(04755);
        Files.setPosixFilePermissions(dir.resolve("site.conf"), PosixFilePermissions.fromString("rw-r--r--"));

        ConfigTree t = TreeLoader.load(dir, Limits.DEFAULT);
        assertThat(t.meta("ssl/private/site.key").mode()).isEqualTo(0600);
        assertThat(t.meta("ssl/private").mode()).isEqualTo(0700);
        // setuid is not a permission bit Java reports, and never one Rollguard delivers: 4755 arrives as 0755
        assertThat(t.meta("bin/reload.sh").mode()).isEqualTo(0755);
        // 0644 files and 0755 directories are what a host gets anyway: no meta, and the tree hashes as before modes
        assertThat(t.meta()).doesNotContainKeys("site.conf", "ssl", "bin");
        ConfigTree plain = ConfigTree.ofEntries(t.entries(), Limits.DEFAULT);
        assertThat(t.treeHash()).isNotEqualTo(plain.treeHash());
        assertThat(plain.withMeta(Map.of("site.conf", new FileMeta(0644, null, null))).treeHash()).isEqualTo(plain.treeHash());
    }

    @Test
    void modesAndOwnersTravelOnTheWireAndAreVerifiedByTheTreeHash() {
        ConfigTree t = tree(Map.of("ssl/private/site.key", KEY, "run.sh", "#!/bin/sh\n"),
                Map.of("ssl/private/site.key", new FileMeta(0640, "root", "ssl-cert"), "run.sh", new FileMeta(0755, null, null),
                        "ssl/private", new FileMeta(0710, null, "ssl-cert")));
        AgentProtocol.Bundle b = Json.read(Json.write(TreeWire.bundle("s", 3, t)), AgentProtocol.Bundle.class);
        assertThat(b.entries()).anySatisfy(e -> assertThat(e.path() + " " + e.mode() + " " + e.owner() + ":" + e.group())
                .isEqualTo("ssl/private/site.key 0640 root:ssl-cert"));
        assertThat(b.directories()).containsExactly(new WireDirectory("ssl/private", "0710", null, "ssl-cert"));
        ConfigTree back = TreeWire.verifiedTree(b);
        assertThat(back.meta()).isEqualTo(t.meta());
        assertThat(back.treeHash()).isEqualTo(t.treeHash());

        // a bundle whose modes were changed on the way does not match its tree hash
        List<WireEntry> tampered = b.entries().stream().map(e -> e.path().equals("run.sh")
                ? new WireEntry(e.path(), e.sha256(), e.size(), e.base64(), null, "0777", null, null) : e).toList();
        assertThatThrownBy(() -> TreeWire.verifiedTree(new AgentProtocol.Bundle("s", 3, null, null, b.treeHash(), tampered, b.directories())))
                .isInstanceOf(Problem.class).hasMessageContaining("does not match its tree hash");
    }

    @Test
    void badModesAndNamesAreRefusedWithTheirPath() {
        WireEntry setuid = new WireEntry("a.sh", null, null, "eA==", null, "4755", null, null);
        assertThatThrownBy(() -> new TreeWire.Upload(null, List.of(setuid)).tree(Limits.DEFAULT))
                .isInstanceOf(Problem.class).hasMessageContaining("mode of a.sh must be 3 or 4 octal digits");
        WireEntry badOwner = new WireEntry("a.sh", null, null, "eA==", null, null, "root;rm", null);
        assertThatThrownBy(() -> new TreeWire.Upload(null, List.of(badOwner)).tree(Limits.DEFAULT))
                .isInstanceOf(Problem.class).hasMessageContaining("invalid owner name 'root;rm'");
        WireEntry link = new WireEntry("l", null, null, null, "a", "0600", null, null);
        assertThatThrownBy(() -> new TreeWire.Upload(null, List.of(link)).tree(Limits.DEFAULT))
                .isInstanceOf(Problem.class).hasMessageContaining("a link has none of its own");
        assertThatThrownBy(() -> ConfigTree.of(Map.of("a", "x")).withMeta(Map.of("nowhere", new FileMeta(0600, null, null))))
                .isInstanceOf(Problem.class).hasMessageContaining("neither a file nor a directory");
    }

    @Test
    void theSpecsOwnershipRulesApplyInOrderAndTheirModesWin() {
        ConfigTree pushed = tree(Map.of("ssl/private/site.key", KEY, "ssl/certs/site.pem", "cert\n", "site.conf", "x\n"),
                Map.of("ssl/private/site.key", new FileMeta(0644, null, null)));
        List<Ownership> rules = List.of(new Ownership("**", "root", "root", null, null),
                new Ownership("ssl/private{,/**}", null, "ssl-cert", "0640", "0710"));
        ConfigTree t = Ownership.apply(rules, pushed);
        assertThat(t.meta("ssl/private/site.key")).isEqualTo(new FileMeta(0640, "root", "ssl-cert"));
        assertThat(t.meta("ssl/private")).isEqualTo(new FileMeta(0710, "root", "ssl-cert"));
        assertThat(t.meta("ssl/certs/site.pem")).isEqualTo(new FileMeta(null, "root", "root"));
        // Java's glob: "**" crosses directories, "*" does not, so "*" alone matches only names at the top
        // (and the key, pushed with the default 0644, gets its own default: private)
        assertThat(Ownership.apply(List.of(new Ownership("*", "www-data", null, null, null)), pushed).meta().keySet())
                .containsExactlyInAnyOrder("site.conf", "ssl", "ssl/private/site.key");
        assertThatThrownBy(() -> new Ownership("x", null, null, null, null)).hasMessageContaining("sets nothing");
        assertThatThrownBy(() -> new Ownership("a/{b", "root", null, null, null)).hasMessageContaining("not a glob");
        assertThatThrownBy(() -> new Ownership("a", "root", null, "999", null)).hasMessageContaining("octal");
    }

    @Test
    void aRuleForTheDeliveredNameHoldsForTheTemplateRenderedToIt() {
        List<Ownership> rules = List.of(new Ownership("wp-config.php", null, "www-data", "0640", null),
                new Ownership("sites/*.conf", "root", null, null, null));
        Map<String, String> files = Map.of("wp-config.php.tmpl", "<?php define('DB_HOST', '{{db_host}}');\n",
                "sites/a.conf.tmpl", "ServerName {{rollguard.host}}\n", "notes.tmpl", "x\n");
        ConfigTree withValues = ConfigTree.of(with(files, Values.PATH, "defaults: {db_host: db}\n"));
        ConfigTree t = Ownership.apply(rules, withValues, Values.deliveredNames(withValues));
        assertThat(t.meta("wp-config.php.tmpl")).isEqualTo(new FileMeta(0640, null, "www-data"));
        assertThat(t.meta("sites/a.conf.tmpl")).isEqualTo(new FileMeta(null, "root", null));
        assertThat(t.meta("notes.tmpl")).isIn(null, FileMeta.NONE);
        // without a values file nothing is rendered: a .tmpl file is delivered as it is named, and matched so
        ConfigTree plain = ConfigTree.of(files);
        assertThat(Ownership.apply(rules, plain, Values.deliveredNames(plain)).meta("wp-config.php.tmpl")).isIn(null, FileMeta.NONE);
    }

    private static Map<String, String> with(Map<String, String> files, String path, String text) {
        Map<String, String> out = new HashMap<>(files);
        out.put(path, text);
        return out;
    }

    @Test
    void aModeChangeShowsAsGitShowsIt() {
        ConfigTree v1 = tree(Map.of("run.sh", "#!/bin/sh\n", "ssl/private/site.key", KEY, "a.conf", "a\n"), Map.of());
        ConfigTree v2 = tree(Map.of("run.sh", "#!/bin/sh\n", "ssl/private/site.key", KEY, "a.conf", "b\n"),
                Map.of("run.sh", new FileMeta(0755, null, null), "ssl/private/site.key", new FileMeta(0600, "www-data", "www-data"),
                        "ssl/private", new FileMeta(0700, null, null), "a.conf", new FileMeta(0640, null, null)));
        Map<String, TreeDiff.FileDiff> d = new LinkedHashMap<>();
        TreeDiff.between(v1, v2, "v1", "v2").forEach(f -> d.put(f.path(), f));
        assertThat(d.get("run.sh").unified()).isEqualTo("diff v1/run.sh v2/run.sh\nold mode 100644\nnew mode 100755\n");
        assertThat(d.get("run.sh").changedLines()).isEmpty();
        assertThat(d.get("ssl/private/site.key").unified()).isEqualTo("diff v1/ssl/private/site.key v2/ssl/private/site.key\n"
                + "old mode 100644\nnew mode 100600\nold owner (as the agent creates it)\nnew owner www-data:www-data\n");
        assertThat(d.get("ssl/private/").unified()).isEqualTo("diff v1/ssl/private/ v2/ssl/private/\nold mode 040755\nnew mode 040700\n");
        // content and mode both: the mode lines first, then the lines
        assertThat(d.get("a.conf").unified()).startsWith("diff v1/a.conf v2/a.conf\nold mode 100644\nnew mode 100640\n--- v1/a.conf\n+++ v2/a.conf\n");
        assertThat(d.get("a.conf").additions()).isEqualTo(1);
        assertThat(TreeDiff.between(v2, v2, "v2", "v2")).isEmpty();
    }

    @Test
    void aWorldReadableKeyOrSecretIsAWarningAndAPrivateOneIsNot() {
        Map<String, String> files = Map.of("ssl/site.key", KEY, "wp-config.php", "<?php define('DB_PASSWORD', 'hunter2');\n",
                "wp-config-sample.php", "<?php define('DB_PASSWORD', 'password_here');\n",
                "app.ini", "api_key = 8c1f2e\n", "code.php", "<?php $password = $_POST['pwd'];\n", "private/db.ini", "password=x\n");
        ConfigTree open = tree(files, Map.of());
        assertThat(warnings(open)).containsExactlyInAnyOrder("ssl/site.key", "wp-config.php", "app.ini", "private/db.ini");
        assertThat(findings(open)).anySatisfy(f -> assertThat(f.message())
                .isEqualTo("ssl/site.key holds a private key and every user of the host can read it (mode 0644, the default)"));
        ConfigTree closed = tree(files, Map.of("ssl/site.key", new FileMeta(0600, null, null), "wp-config.php", new FileMeta(0640, null, "www-data"),
                "app.ini", new FileMeta(0755, null, null), "private", new FileMeta(0750, null, null)));
        // 0755 lets others read; a directory without 'x' for others shuts out everything below it
        assertThat(warnings(closed)).containsExactly("app.ini");
    }

    @Test
    void aKeyByItsNameIsPrivateByDefaultAndWarnedAboutWhenPushedReadable() {
        Map<String, TreeEntry> entries = new LinkedHashMap<>();
        entries.put("ssl/site.p12", TreeEntry.file(new byte[]{0, 1, 2, (byte) 0xff}));
        entries.put("ssh/id_ed25519", TreeEntry.text("opaque\n"));
        entries.put("ssl/site.crt", TreeEntry.text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"));
        ConfigTree pushed = ConfigTree.ofEntries(entries, Limits.DEFAULT).withMeta(Map.of("ssh/id_ed25519", new FileMeta(null, "deploy", null)));
        ConfigTree stored = Ownership.apply(List.of(), pushed, Values.deliveredNames(pushed));
        assertThat(stored.meta("ssl/site.p12")).isEqualTo(new FileMeta(0600, null, null));
        assertThat(stored.meta("ssh/id_ed25519")).isEqualTo(new FileMeta(0600, "deploy", null));
        assertThat(stored.meta("ssl/site.crt")).isIn(null, FileMeta.NONE);
        assertThat(warnings(stored)).isEmpty();
        // 0644 is every file's default (from disk it is not even recorded), so a key pushed so is private too; another
        // mode pushed wins, and a readable key is a warning; a rule's mode wins over both
        ConfigTree defaulted = Ownership.apply(List.of(), pushed.withMeta(Map.of("ssl/site.p12", new FileMeta(0644, null, null))),
                UnaryOperator.identity());
        assertThat(defaulted.meta("ssl/site.p12").mode()).isEqualTo(0600);
        ConfigTree readable = Ownership.apply(List.of(), pushed.withMeta(Map.of("ssl/site.p12", new FileMeta(0664, null, null))),
                UnaryOperator.identity());
        assertThat(readable.meta("ssl/site.p12").mode()).isEqualTo(0664);
        assertThat(findings(readable)).extracting(Finding::message)
                .contains("ssl/site.p12 holds a key (by its name) and every user of the host can read it (mode 0664)");
        assertThat(Ownership.apply(List.of(new Ownership("ssl/*", null, null, "0640", null)), pushed).meta("ssl/site.p12").mode()).isEqualTo(0640);
    }

    private static List<Finding> findings(ConfigTree t) {
        try (ValidationInput in = new ValidationInput(t, null, null)) {
            return new ExposedSecretValidator().validate(in);
        }
    }

    private static List<String> warnings(ConfigTree t) {
        return findings(t).stream().peek(f -> assertThat(f.severity()).isEqualTo(FindingSeverity.WARNING)).map(Finding::path).toList();
    }
}
