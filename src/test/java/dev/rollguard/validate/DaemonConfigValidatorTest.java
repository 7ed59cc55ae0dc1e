package dev.rollguard.validate;

import dev.rollguard.Json;
import dev.rollguard.Problem;
import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.sandbox.Sandbox;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Optional;

import static dev.rollguard.validate.Trees.files;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

/** What the daemon checkers decide without running anything: which run, and how their output reads. */
class DaemonConfigValidatorTest {
    private static DaemonChecker checker(String name) {
        return DaemonChecker.named(name).orElseThrow();
    }

    @Test
    void haproxyAlertsBecomeFindingsAtTheirFileAndLine() {
        String out = """
                [NOTICE]   (2) : haproxy version is 2.6.12-1+deb12u4
                [ALERT]    (2) : config : parsing [/etc/haproxy/haproxy.cfg:28] : unknown keyword 'erroorfile' in 'defaults' section; did you mean 'errorfile' maybe ?
                [ALERT]    (2) : config : Error(s) found in configuration file : /etc/haproxy/haproxy.cfg
                """;
        ConfigTree tree = ConfigTree.of(files("haproxy.cfg", "x\n".repeat(30)));
        List<Finding> f = DaemonConfigValidator.findings(checker("haproxy"), 1, out, "/etc/haproxy", tree, "haproxy.cfg");
        assertThat(f).extracting(Finding::rule, Finding::path, Finding::line).containsExactly(tuple("daemon:haproxy", "haproxy.cfg", 28));
        assertThat(f.get(0).message()).contains("unknown keyword 'erroorfile'").contains("did you mean 'errorfile'").doesNotContain("/etc/haproxy/");
    }

    @Test
    void eachCheckersOwnOutputFormatIsRead() {
        ConfigTree tree = ConfigTree.of(files("dovecot.conf", "a\n", "conf.d/10-mail.conf", "b\n", "squid.conf", "c\n", "default.vcl", "d\n",
                "sshd_config", "e\n", "sudoers", "f\n", "logrotate.d/btmp", "g\n", "unbound.conf", "h\n", "named.conf.options", "i\n",
                "lighttpd.conf", "j\n"));
        record Case(String checker, String mount, String output, String path, int line) {}
        List<Case> cases = List.of(
                new Case("dovecot", "/etc/dovecot", "doveconf: Fatal: Error in configuration file /etc/dovecot/conf.d/10-mail.conf line 30: "
                        + "Unknown setting: mail_locatio", "conf.d/10-mail.conf", 30),
                new Case("squid", "/etc/squid", "2026/12/06 05:18:00| /etc/squid/squid.conf(2106): unrecognized: 'htp_port'", "squid.conf", 2106),
                new Case("varnish", "/etc/varnish", "Message from VCC-compiler:\nUnknown field: 'hots' at\n('/etc/varnish/default.vcl' Line 17 Pos 6)\n",
                        "default.vcl", 17),
                new Case("sshd", "/etc/ssh", "/etc/ssh/sshd_config: line 85: Bad configuration option: UsePAMM", "sshd_config", 85),
                new Case("sudoers", "/etc", "/etc/sudoers:47:19: syntax error\n", "sudoers", 47),
                // logrotate names files it included without their directory
                new Case("logrotate", "/etc", "error: btmp:3 unknown option 'monthy' -- ignoring line", "logrotate.d/btmp", 3),
                new Case("unbound", "/etc/unbound", "/etc/unbound/unbound.conf:10: error: unknown keyword 'include-toplevl'", "unbound.conf", 10),
                new Case("bind", "/etc/bind", "/etc/bind/named.conf.options:2: unknown option 'directroy'", "named.conf.options", 2),
                new Case("lighttpd", "/etc/lighttpd", "(configfile.c.2164) source: /etc/lighttpd/lighttpd.conf line: 47 pos: 0 parser failed somehow",
                        "lighttpd.conf", 47));
        for (Case c : cases) {
            List<Finding> f = DaemonConfigValidator.findings(checker(c.checker()), 1, c.output(), c.mount(), tree, "x");
            assertThat(f).as(c.checker()).extracting(Finding::path, Finding::line).containsExactly(tuple(c.path(), c.line()));
        }
    }

    @Test
    void lighttpdsUnknownKeyWarningIsPlacedWhereTheKeyIsSetEvenWhenItExitsZero() {
        ConfigTree tree = ConfigTree.of(files("lighttpd.conf", "server.modules = ()\n\nserver.documnet-root = \"/var/www\"\n"));
        List<Finding> f = DaemonConfigValidator.findings(checker("lighttpd"), 0,
                "2026-12-06 05:00:00: (server.c.1234) WARNING: unknown config-key: server.documnet-root (ignored)\n", "/etc/lighttpd", tree, "lighttpd.conf");
        assertThat(f).extracting(Finding::path, Finding::line).containsExactly(tuple("lighttpd.conf", 3));
    }

    @Test
    void postfixFpmFail2banMariadbAndSystemdOutputIsRead() {
        ConfigTree tree = ConfigTree.of(files("main.cf", "myhostname = x\nsmtpd_baner = y\n", "pool.d/www.conf", "[www]\n",
                "jail.conf", "[DEFAULT]\nbantime = 10m\n", "jail.d/x.local", "[sshd]\nenabled = true\nfilter = shd\n",
                "mariadb.conf.d/50-server.cnf", "[mysqld]\nuser = mysql\nbind-adress = 127.0.0.1\n", "system/php8.2-fpm.service", "[Service]\n"));
        record Case(String checker, String mount, String output, String path, int line) {}
        List<Case> cases = List.of(
                // exits 0: an unused parameter is postfix's misspelled one, placed where it is set
                new Case("postfix", "/etc/postfix", "/usr/sbin/postconf: warning: /etc/postfix/main.cf: unused parameter: smtpd_baner=y\n", "main.cf", 2),
                new Case("php-fpm", "/etc/php/8.2/fpm", "[06-Dec-2026 08:41:45] ERROR: [/etc/php/8.2/fpm/pool.d/www.conf:127] unknown entry 'pm.max_childern'\n"
                        + "[06-Dec-2026 08:41:45] ERROR: Unable to include /etc/php/8.2/fpm/pool.d/www.conf from /etc/php/8.2/fpm/php-fpm.conf at line 127\n",
                        "pool.d/www.conf", 127),
                // a filter name that names no filter: where a setting's value is that name
                new Case("fail2ban", "/etc/fail2ban", "2026-12-06 08:42:05,249 fail2ban.jailreader [25128]: ERROR   Unable to read the filter 'shd'\n",
                        "jail.d/x.local", 3),
                new Case("fail2ban", "/etc/fail2ban", "ERROR   Failed during configuration: File contains no section headers.\nfile: '/etc/fail2ban/jail.conf', line: 1\n",
                        "jail.conf", 1),
                new Case("mariadb", "/etc/mysql", "2026-12-06  8:53:59 0 [ERROR] /usr/sbin/mariadbd: unknown variable 'bind-adress=127.0.0.1'\n",
                        "mariadb.conf.d/50-server.cnf", 3),
                new Case("systemd", "/etc/systemd", "/etc/systemd/system/php8.2-fpm.service:7: Failed to parse service type, ignoring: notfy\n",
                        "system/php8.2-fpm.service", 7));
        for (Case c : cases) {
            List<Finding> f = DaemonConfigValidator.findings(checker(c.checker()), c.checker().equals("postfix") ? 0 : 1, c.output(), c.mount(), tree, "x");
            assertThat(f).as(c.checker()).extracting(Finding::severity, Finding::path, Finding::line)
                    .containsExactly(tuple(FindingSeverity.ERROR, c.path(), c.line()));
        }
    }

    @Test
    void aUnitWhoseProgramThisMachineLacksIsAWarningNotAFailure() {
        ConfigTree tree = ConfigTree.of(files("system/mariadb.service", "[Service]\n"));
        String out = "mariadb.service: Command /etc/mysql/debian-start is not executable: No such file or directory\n";
        assertThat(DaemonConfigValidator.findings(checker("systemd"), 1, out, "/etc/systemd", tree, "system/mariadb.service"))
                .extracting(Finding::severity, Finding::path).containsExactly(tuple(FindingSeverity.WARNING, "system/mariadb.service"));
        assertThat(DaemonConfigValidator.findings(checker("systemd"), 1, out + "Unit mariadb.service has a bad unit file setting.\n", "/etc/systemd", tree,
                "system/mariadb.service")).extracting(Finding::severity).containsExactly(FindingSeverity.ERROR);
    }

    @Test
    void unitsAreRecognisedAtTheRootOrInASystemDirectoryOnly() {
        DaemonChecker systemd = checker("systemd");
        assertThat(systemd.isMain("php8.2-fpm.service")).isTrue();
        assertThat(systemd.isMain("lib/systemd/system/php8.2-fpm.service")).isTrue();
        assertThat(systemd.isMain("contrib/examples/app.service")).isFalse();
        assertThat(systemd.isMain(".service")).isFalse();
        assertThat(checker("postfix").commandLine("/usr/sbin/postconf", "/etc/postfix/main.cf")).endsWith("/usr/sbin/postconf", "/etc/postfix");
    }

    @Test
    void aFailureThatNamesNoPlaceIsReportedAtTheMainConfigAndOutsideFilesAreSaidToBeOutside() {
        ConfigTree tree = ConfigTree.of(files("haproxy.cfg", "global\n"));
        assertThat(DaemonConfigValidator.findings(checker("haproxy"), 1, "something broke\n", "/etc/haproxy", tree, "haproxy.cfg"))
                .extracting(Finding::path, Finding::line, Finding::message)
                .containsExactly(tuple("haproxy.cfg", 0, "haproxy exited with 1: something broke"));
        List<Finding> outside = DaemonConfigValidator.findings(checker("bind"), 1, "/etc/shadow:1: unknown option 'root'\n", "/etc/bind", tree,
                "haproxy.cfg");
        assertThat(outside).singleElement().satisfies(f -> {
            assertThat(f.path()).isEqualTo("haproxy.cfg");
            assertThat(f.line()).isZero();
            assertThat(f.message()).contains("outside the tree");
        });
        assertThat(DaemonConfigValidator.findings(checker("haproxy"), 0, "Configuration file is valid\n", "/etc/haproxy", tree, "haproxy.cfg")).isEmpty();
    }

    @Test
    void anUnknownUserIsAWarningTheSandboxCannotKnowTheHostsUsers() {
        ConfigTree tree = ConfigTree.of(files("logrotate.d/app", "/var/log/app.log {\n create 0640 app adm\n}\n"));
        assertThat(DaemonConfigValidator.findings(checker("logrotate"), 1, "error: app:2 unknown user 'app'\n", "/etc", tree, "logrotate.conf"))
                .extracting(Finding::severity, Finding::path, Finding::line).containsExactly(tuple(FindingSeverity.WARNING, "logrotate.d/app", 2));
    }

    @Test
    void checkersRunForTheirMainConfigFoundInTheTreeTheShallowestOneWithItsMarkerOrWhereTheSpecSays() {
        ConfigTree tree = ConfigTree.of(files("haproxy/haproxy.cfg", "global\n", "doc/examples/haproxy.cfg", "global\n", "bind/named.conf", "options {\n};\n",
                "lb/main.cfg", "global\n", "README", "squid.conf is not here",
                // fail2ban's filter for squid's log is not squid's config
                "fail2ban/filter.d/squid.conf", "[Definition]\nfailregex = ^\\s+\\d\\s<HOST>\\s+NONE/405\n"));
        assertThat(DaemonConfigValidator.plan(tree, null, ValidationSettings.DEFAULT))
                .extracting(p -> p.checker().name(), DaemonConfigValidator.Planned::main, DaemonConfigValidator.Planned::declared)
                .containsExactly(tuple("haproxy", "haproxy/haproxy.cfg", false), tuple("bind", "bind/named.conf", false));
        ValidationSettings declared = ValidationSettings.DEFAULT.withDaemons(List.of(new ValidationSettings.DaemonRef("haproxy", "lb/main.cfg"),
                new ValidationSettings.DaemonRef("squid", null)));
        assertThat(DaemonConfigValidator.plan(tree, null, declared))
                .extracting(p -> p.checker().name(), DaemonConfigValidator.Planned::main, DaemonConfigValidator.Planned::declared)
                .containsExactly(tuple("haproxy", "lb/main.cfg", true), tuple("squid", null, true), tuple("bind", "bind/named.conf", false));
    }

    @Test
    void aMissingProgramIsANoticeNamingThePackageAndBlocksWhenTheSpecDeclaredTheChecker() {
        DaemonConfigValidator v = new DaemonConfigValidator(Sandbox.unavailable("not needed"), program -> Optional.empty());
        Map<String, String> files = files("haproxy.cfg", "global\n", "bind/named.conf", "options {};\n");
        try (ValidationInput in = new ValidationInput(ConfigTree.of(files), null, ValidationSettings.DEFAULT.withDaemons(
                List.of(new ValidationSettings.DaemonRef("haproxy", null), new ValidationSettings.DaemonRef("squid", null))))) {
            List<Finding> f = v.validate(in);
            assertThat(f).extracting(Finding::rule, Finding::severity, Finding::path).containsExactly(
                    tuple("daemon:haproxy", FindingSeverity.ERROR, "haproxy.cfg"), tuple("daemon:squid", FindingSeverity.ERROR, null));
            assertThat(f.get(0).message()).contains("haproxy is not installed (Debian: apt-get install haproxy)");
            assertThat(f.get(1).message()).contains("the tree holds no squid.conf");
            assertThat(in.notices()).containsExactly("daemon:bind skipped: named-checkconf is not installed (Debian: apt-get install bind9-utils)");
        }
    }

    @Test
    void aSpecMayDeclareOnlyKnownCheckersAndReadsThemFromYaml() throws Exception {
        DaemonConfigValidator v = new DaemonConfigValidator(Sandbox.unavailable("not needed"), program -> Optional.empty());
        assertThatThrownBy(() -> v.check(ValidationSettings.DEFAULT.withDaemons(List.of(new ValidationSettings.DaemonRef("hapoxy", null)))))
                .isInstanceOf(Problem.class).hasMessageContaining("no checker named 'hapoxy'").hasMessageContaining("haproxy, bind");
        ValidationSettings s = Json.YAML.readValue("daemons: [haproxy, {name: bind, config: dns/named.conf}]\n", ValidationSettings.class);
        assertThat(s.daemons()).containsExactly(new ValidationSettings.DaemonRef("haproxy", null), new ValidationSettings.DaemonRef("bind", "dns/named.conf"));
        assertThat(Json.YAML.readValue(Json.YAML.writeValueAsString(s), ValidationSettings.class)).isEqualTo(s);
    }

    @Test
    void theFirstChangedLineOfEachChangedFile() {
        ConfigTree parent = ConfigTree.of(files("a.conf", "one\ntwo\nthree\n", "b.conf", "same\n"));
        ConfigTree tree = ConfigTree.of(files("a.conf", "one\ntwo\n\n", "b.conf", "same\n", "c.conf", "new\n"));
        assertThat(DaemonConfigValidator.firstChangedLines(parent, tree)).containsExactly(Map.entry("a.conf", 3), Map.entry("c.conf", 1));
    }
}
