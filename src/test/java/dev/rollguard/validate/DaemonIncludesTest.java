package dev.rollguard.validate;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.ValidationSettings;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static dev.rollguard.validate.Trees.files;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

/** The daemons' include syntax in the built-in reference check: a typo is caught where the daemon is not installed. */
class DaemonIncludesTest {
    private static List<Finding> errors(Map<String, String> files) {
        return Trees.run(new MissingReferenceValidator(), files).stream().filter(f -> f.rule().equals(MissingReferenceValidator.RULE)).toList();
    }

    private static List<Finding> pushed(Map<String, String> parent, Map<String, String> changes) {
        ConfigTree before = ConfigTree.of(parent);
        try (ValidationInput in = new ValidationInput(before.with(changes), before, ValidationSettings.DEFAULT)) {
            return new MissingReferenceValidator().validate(in);
        }
    }

    @Test
    void eachDaemonsIncludeTypoIsAnErrorAtItsLine() {
        record Case(String path, String content, int line) {}
        List<Case> cases = List.of(
                new Case("dovecot/dovecot.conf", "protocols = imap\n!include ionf.d/*.conf\n", 2),
                new Case("dovecot/conf.d/10-auth.conf", "!include auth-sytem.conf.ext\n", 1),
                new Case("squid/squid.conf", "http_port 3128\ninclude /etc/squid/conf.d/debain.conf\n", 2),
                new Case("lighttpd/lighttpd.conf", "server.port = 80\ninclude \"/etc/lighttpd/conf-enabled/10-fastcg.conf\"\n", 2),
                new Case("unbound/unbound.conf", "server:\ninclude: \"/etc/unbound/unbound.conf.d/remote-contrl.conf\"\n", 2),
                new Case("rsyslog.conf", "$IncludeConfig /etc/rsyslog.d/50-defalt.conf\n", 1),
                new Case("rsyslog.d/x.conf", "include(file=\"/etc/rsyslog.d/50-defalt.conf\")\n", 1),
                new Case("logrotate.conf", "weekly\ninclude /etc/logrotate.dd\n", 2),
                new Case("munin/munin.conf", "includedir /etc/munin/munin-conf.dd\n", 1),
                new Case("fail2ban/jail.d/x.conf", "[INCLUDES]\nbefore = ../paths-debain.conf\n\n[sshd]\nenabled = true\n", 2),
                new Case("sudoers", "root ALL=(ALL) ALL\n@include /etc/sudoers.d/locl\n", 2),
                new Case("bind/named.conf", "include \"/etc/bind/named.conf.optons\";\n", 1));
        for (Case c : cases) {
            Map<String, String> files = files("dovecot/conf.d/10-mail.conf", "mail_location = mbox:~/mail\n", "dovecot/conf.d/auth-system.conf.ext", "x\n",
                    "squid/conf.d/debian.conf", "x\n", "lighttpd/conf-enabled/10-fastcgi.conf", "x\n", "unbound/unbound.conf.d/remote-control.conf", "x\n",
                    "rsyslog.d/50-default.conf", "x\n", "logrotate.d/btmp", "x\n", "munin/munin-conf.d/local.conf", "x\n",
                    "fail2ban/paths-debian.conf", "x\n", "sudoers.d/local", "x\n", "bind/named.conf.options", "x\n",
                    "rsyslog.conf", "$IncludeConfig /etc/rsyslog.d/*.conf\n", c.path(), c.content());
            assertThat(errors(files)).as(c.path()).extracting(Finding::path, Finding::line).contains(tuple(c.path(), c.line()));
        }
    }

    @Test
    void theTreeAsWrittenIsSilentAndTheSuggestionNamesTheFileMeant() {
        Map<String, String> files = files("dovecot/dovecot.conf", "!include conf.d/*.conf\n!include_try local.conf\n", "dovecot/conf.d/10-mail.conf", "x = y\n",
                "logrotate.conf", "include /etc/logrotate.d\n", "logrotate.d/btmp", "/var/log/btmp {\n}\n",
                "fail2ban/jail.conf", "[INCLUDES]\nbefore = paths-debian.conf\nafter = jail.local\n", "fail2ban/paths-debian.conf", "x\n",
                // sshd's Include of an empty drop-in directory, as Debian ships it
                "ssh/sshd_config", "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n",
                // YAML's include: (a CI matrix) is not unbound's
                ".gitlab-ci.yml", "include:\n  - local: ci/none.yml\n", "unbound/unbound.conf", "include: \"/etc/unbound/unbound.conf.d/*.conf\"\n");
        assertThat(errors(files)).isEmpty();
        List<Finding> typo = errors(files("dovecot/dovecot.conf", "!include conf.d/10-mial.conf\n", "dovecot/conf.d/10-mail.conf", "x = y\n"));
        assertThat(typo).singleElement().satisfies(f -> assertThat(f.suggestion()).contains("conf.d/10-mail.conf"));
    }

    @Test
    void aToleratedIncludeThatTheEditEmptiedIsAnError() {
        Map<String, String> parent = files("dovecot/dovecot.conf", "!include_try conf.d/*.conf\n", "dovecot/conf.d/10-mail.conf", "x = y\n");
        assertThat(pushed(parent, Map.of("dovecot/dovecot.conf", "!include_try ionf.d/*.conf\n")))
                .extracting(Finding::path, Finding::line).containsExactly(tuple("dovecot/dovecot.conf", 1));
        // one that matched nothing before either is what !include_try is for
        Map<String, String> empty = files("dovecot/dovecot.conf", "!include_try local.d/*.conf\n", "dovecot/conf.d/10-mail.conf", "x = y\n");
        assertThat(pushed(empty, Map.of("dovecot/conf.d/10-mail.conf", "z = y\n"))).isEmpty();
    }
}
