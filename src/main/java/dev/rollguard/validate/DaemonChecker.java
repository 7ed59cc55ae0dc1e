package dev.rollguard.validate;

import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One daemon's own config checker ({@code haproxy -c}, {@code named-checkconf}, {@code doveconf -n} …): how its main
 * config is recognised in a tree, where the tree goes in the sandbox so the config's absolute paths mean the tree, the
 * command line, and how its output names a file and a line. {@link #ALL} is the catalogue; {@link DaemonConfigValidator}
 * runs them.
 *
 * @param name         the checker's name in specs and rules ({@code daemon:haproxy})
 * @param debianPackage what to install when {@code program} is missing
 * @param program      the checker's program, looked up on this machine's PATH (and /usr/sbin)
 * @param mainNames    base names of the main config ({@code haproxy.cfg}); the shallowest one in the tree is checked
 * @param marker       what the main config's text holds (a directive only it has): fail2ban's filter.d/squid.conf is a
 *                     filter for squid's log, not squid's config
 * @param conventional where the main config's directory lives on a Debian host
 * @param command      the command line; {@code {program}} and {@code {main}} (the main config's absolute path in the
 *                     sandbox) are replaced
 * @param scratch      directories the checker needs to exist (inside the scratch file systems /run, /var/*, /tmp)
 * @param hostFiles    public files of the host's /etc the checker reads besides the tree (lighttpd's mime.types)
 * @param located      output lines naming a place: groups {@code file}, {@code line}, {@code msg}
 * @param unlocated    output lines naming a config key but no place (lighttpd's "unknown config-key"): groups
 *                     {@code key}, {@code msg}; they count even when the checker exits 0
 */
record DaemonChecker(String name, String debianPackage, String program, List<String> mainNames, Pattern marker, String conventional,
                     List<String> command, List<String> scratch, List<String> hostFiles, List<Pattern> located, Pattern unlocated) {

    DaemonChecker {
        mainNames = List.copyOf(mainNames);
        command = List.copyOf(command);
        scratch = List.copyOf(scratch);
        hostFiles = List.copyOf(hostFiles);
        located = List.copyOf(located);
    }

    /** "file:line: msg" (unbound-checkconf, named-checkconf, visudo's file:line:col:). */
    private static final Pattern COLON = Pattern.compile("(?m)^(?<file>/[^:\\s]+):(?<line>\\d+)(?::\\d+)?:\\s*(?<msg>.+)$");

    static final List<DaemonChecker> ALL = List.of(
            new DaemonChecker("haproxy", "haproxy", "haproxy", List.of("haproxy.cfg"),
                    Pattern.compile("(?m)^[ \\t]*(global|defaults|frontend|backend|listen)\\b"), "/etc/haproxy",
                    List.of("{program}", "-c", "-f", "{main}"), List.of("/run/haproxy", "/var/lib/haproxy"), List.of(),
                    List.of(Pattern.compile("(?m)^\\[ALERT][^\\n]*?parsing \\[(?<file>/[^:\\]]+):(?<line>\\d+)] : (?<msg>[^\\n]+)")), null),
            // -z loads the zones the config names (named-checkzone's checks, each zone file at its line)
            new DaemonChecker("bind", "bind9-utils", "named-checkconf", List.of("named.conf"),
                    Pattern.compile("(?m)^[ \\t]*(options|include|zone|acl|key|logging|controls|view)\\b[^=\\n]*[{;\"]"), "/etc/bind",
                    List.of("{program}", "-z", "{main}"), List.of("/var/cache/bind", "/var/lib/bind", "/run/named"), List.of(),
                    List.of(COLON), null),
            new DaemonChecker("dovecot", "dovecot-core", "doveconf", List.of("dovecot.conf"),
                    Pattern.compile("(?m)^[ \\t]*(!include|protocols[ \\t]*=|listen[ \\t]*=|mail_location[ \\t]*=|service[ \\t]|passdb[ \\t]|userdb[ \\t]|ssl[ \\t]*=)"), "/etc/dovecot",
                    List.of("{program}", "-n", "-c", "{main}"), List.of("/run/dovecot", "/var/lib/dovecot"), List.of(),
                    List.of(Pattern.compile("(?m)Error in configuration file (?<file>/[^:\\s]+) line (?<line>\\d+): (?<msg>[^\\n]+)")), null),
            new DaemonChecker("squid", "squid", "squid", List.of("squid.conf"),
                    Pattern.compile("(?m)^[ \\t]*(http_port|https_port|acl|http_access|cache_dir|include)[ \\t]"), "/etc/squid",
                    List.of("{program}", "-k", "parse", "-f", "{main}"), List.of("/run/squid", "/var/spool/squid", "/var/log/squid"), List.of(),
                    List.of(Pattern.compile("(?m)(?<file>/[^(\\s]+)\\((?<line>\\d+)\\): (?<msg>[^\\n]+)"),
                            Pattern.compile("(?m)FATAL: (?<msg>[^\\n]*?) in (?<file>/[^\\s]+) line (?<line>\\d+)")), null),
            // the trust anchor Debian's unbound-helper copies from dns-root-data before every start
            new DaemonChecker("unbound", "unbound", "unbound-checkconf", List.of("unbound.conf"),
                    Pattern.compile("(?m)^[ \\t]*(server|include|include-toplevel|remote-control|forward-zone|stub-zone|auth-zone)[ \\t]*:"), "/etc/unbound",
                    List.of("/bin/sh", "-c", "[ -r /usr/share/dns/root.key ] && cp /usr/share/dns/root.key /var/lib/unbound/root.key; "
                            + "exec \"$0\" \"$1\"", "{program}", "{main}"), List.of("/var/lib/unbound", "/run/unbound"), List.of(),
                    List.of(COLON), null),
            new DaemonChecker("varnish", "varnish", "varnishd", List.of("default.vcl"),
                    Pattern.compile("(?m)^[ \\t]*vcl[ \\t]+\\d"), "/etc/varnish",
                    List.of("{program}", "-C", "-n", "/tmp/varnish", "-f", "{main}"), List.of("/tmp/varnish"), List.of(),
                    List.of(Pattern.compile("(?s)Message from VCC-compiler:\\n(?<msg>[^\\n]+)\\n[^\\n]*?\\('(?<file>/[^']+)' Line (?<line>\\d+) Pos \\d+\\)")),
                    null),
            // sshd -t refuses to check without a host key: Debian's postinst makes them; a throw-away one stands in
            new DaemonChecker("sshd", "openssh-server", "sshd", List.of("sshd_config"),
                    Pattern.compile("(?mi)^[ \\t]*(Port|ListenAddress|HostKey|PermitRootLogin|PasswordAuthentication|UsePAM|Include|Subsystem|KbdInteractiveAuthentication|ChallengeResponseAuthentication|X11Forwarding|PrintMotd|AcceptEnv)[ \\t]"), "/etc/ssh",
                    List.of("/bin/sh", "-c", "ssh-keygen -q -t ed25519 -N '' -f /tmp/hostkey >/dev/null && exec \"$0\" -t -f \"$1\" -h /tmp/hostkey",
                            "{program}", "{main}"), List.of("/run/sshd"), List.of(),
                    List.of(Pattern.compile("(?m)^(?<file>/[^:\\s]+): line (?<line>\\d+): (?<msg>[^\\n]+)")), null),
            new DaemonChecker("sudoers", "sudo", "visudo", List.of("sudoers"),
                    Pattern.compile("(?m)^[ \\t]*(Defaults|[@#]include|[@#]includedir|%?[A-Za-z_][A-Za-z0-9_-]*[ \\t]+ALL[ \\t]*=)"), "/etc",
                    List.of("{program}", "-c", "-f", "{main}"), List.of(), List.of(), List.of(COLON), null),
            new DaemonChecker("logrotate", "logrotate", "logrotate", List.of("logrotate.conf"),
                    Pattern.compile("(?m)^[ \\t]*(weekly|daily|monthly|yearly|rotate[ \\t]|include[ \\t]|create\\b|compress)"), "/etc",
                    List.of("{program}", "-d", "-s", "/tmp/logrotate.state", "{main}"), List.of(), List.of(),
                    List.of(Pattern.compile("(?m)^error: (?<file>[^:\\s]+):(?<line>\\d+) (?<msg>[^\\n]+)")), null),
            // Debian's lighttpd.conf builds its mime types from the host's /etc/mime.types (include_shell create-mime.conf.pl)
            new DaemonChecker("lighttpd", "lighttpd", "lighttpd", List.of("lighttpd.conf"),
                    Pattern.compile("(?m)^[ \\t]*(server\\.[a-z.-]+|include|include_shell)[ \\t]*[+:]?=?"), "/etc/lighttpd",
                    List.of("{program}", "-tt", "-f", "{main}"), List.of("/run/lighttpd", "/var/log/lighttpd", "/var/cache/lighttpd"),
                    List.of("/etc/mime.types"),
                    List.of(Pattern.compile("(?m)source: (?<file>/[^\\s]+) line: (?<line>\\d+) pos: \\d+ (?<msg>[^\\n]+)")),
                    Pattern.compile("(?m)(?<msg>WARNING: unknown config-key: (?<key>[A-Za-z0-9_.-]+)[^\\n]*)")),
            // postconf reads main.cf (-n: a misspelled parameter is "unused") and master.cf (-M) of the directory -c names;
            // `postfix check` would also check the host's queue directories and owners, which the sandbox does not have
            new DaemonChecker("postfix", "postfix", "postconf", List.of("main.cf"),
                    Pattern.compile("(?m)^[ \\t]*(myhostname|mydestination|smtpd_banner|relayhost|inet_interfaces|alias_maps|mynetworks|compatibility_level|smtpd_tls_cert_file)[ \\t]*="),
                    "/etc/postfix", List.of("/bin/sh", "-c", "\"$0\" -c \"$1\" -n >/dev/null && exec \"$0\" -c \"$1\" -M >/dev/null", "{program}", "{dir}"),
                    List.of("/var/spool/postfix", "/var/lib/postfix"), List.of(),
                    List.of(Pattern.compile("(?m)(?<file>/[^,:\\s]+), line (?<line>\\d+): (?<msg>[^\\n]+)")),
                    Pattern.compile("(?m)(?<msg>unused parameter: (?<key>[A-Za-z0-9_]+)=[^\\n]*)")),
            // every unit of the main unit's directory; --man=no: Documentation= names man pages the sandbox need not have
            new DaemonChecker("systemd", "systemd", "systemd-analyze", List.of("*.service", "*.socket", "*.timer", "*.path", "*.mount"),
                    Pattern.compile("(?m)^\\[(Service|Socket|Timer|Path|Mount)]"), "/etc/systemd/system",
                    List.of("/bin/sh", "-c", "d=\"$1\"; set --; for f in \"$d\"/*.service \"$d\"/*.socket \"$d\"/*.timer \"$d\"/*.path \"$d\"/*.mount; do "
                            + "[ -f \"$f\" ] && set -- \"$@\" \"$f\"; done; exec systemd-analyze verify --man=no \"$@\"", "{program}", "{dir}"),
                    List.of(), List.of(), List.of(COLON), null),
            new DaemonChecker("php-fpm", "php8.2-fpm", "php-fpm8.2", List.of("php-fpm.conf"),
                    Pattern.compile("(?m)^[ \\t]*(\\[global]|include[ \\t]*=|pid[ \\t]*=|error_log[ \\t]*=)"), "/etc/php/8.2/fpm",
                    List.of("{program}", "-t", "-y", "{main}"), List.of("/run/php"), List.of(),
                    List.of(Pattern.compile("(?m)\\[(?<file>/[^:\\]]+):(?<line>\\d+)] (?<msg>[^\\n]+)")), null),
            // -d parses every jail, filter and action; -t would also want each jail's log file, which is on the host
            new DaemonChecker("fail2ban", "fail2ban", "fail2ban-client", List.of("jail.conf"),
                    Pattern.compile("(?m)^[ \\t]*(bantime|banaction|findtime|maxretry)[ \\t]*="), "/etc/fail2ban",
                    List.of("/bin/sh", "-c", "exec \"$0\" -c \"$1\" -d >/dev/null", "{program}", "{dir}"), List.of("/run/fail2ban"), List.of(),
                    List.of(Pattern.compile("(?m)Failed during configuration: (?<msg>[^\\n]+)\\nfile: '(?<file>/[^']+)', line: (?<line>\\d+)"),
                            Pattern.compile("(?m)While reading from '(?<file>/[^']+)' \\[line\\s*(?<line>\\d+)]: (?<msg>[^\\n]+)")),
                    Pattern.compile("(?m)(?<msg>Unable to read (?:the )?(?:filter|action) '(?<key>[^'\\[]+)'[^\\n]*)")),
            // MariaDB has no --validate-config (MySQL's): --help --verbose reads every option file and refuses an unknown
            // variable the way the server's start would, without a data directory
            new DaemonChecker("mariadb", "mariadb-server-core", "mariadbd", List.of("mariadb.cnf", "my.cnf"),
                    Pattern.compile("(?m)^[ \\t]*(!includedir|!include|\\[(mysqld|server|mariadb|client-server|mysqld_safe)])"), "/etc/mysql",
                    List.of("/bin/sh", "-c", "exec \"$0\" --defaults-file=\"$1\" --help --verbose >/dev/null", "{program}", "{main}"),
                    List.of("/var/lib/mysql", "/run/mysqld"), List.of(), List.of(),
                    Pattern.compile("(?m)(?<msg>unknown (?:variable|option) '-{0,2}(?<key>[A-Za-z0-9_-]+)[^\\n]*)")));

    static Optional<DaemonChecker> named(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        return ALL.stream().filter(d -> d.name.equals(n)).findFirst();
    }

    static List<String> names() {
        return ALL.stream().map(DaemonChecker::name).toList();
    }

    String rule() { return "daemon:" + name; }

    /** The command line for a main config at {@code main} in the sandbox ({@code {dir}}: its directory). */
    List<String> commandLine(String programPath, String main) {
        String dir = main.lastIndexOf('/') > 0 ? main.substring(0, main.lastIndexOf('/')) : "/";
        return command.stream().map(a -> a.replace("{program}", programPath).replace("{main}", main).replace("{dir}", dir)).toList();
    }

    /**
     * Whether a tree path has one of the main config's names. A pattern ({@code *.service}) counts only at the tree's
     * root or in a directory named like the daemon's own ({@code system}): a unit shipped among an application's
     * examples is not this host's.
     */
    boolean isMain(String path) {
        String base = References.basename(path);
        if (mainNames.contains(base)) return true;
        for (String n : mainNames) {
            if (!n.startsWith("*") || !base.endsWith(n.substring(1)) || base.length() == n.length() - 1) continue;
            int slash = path.lastIndexOf('/');
            if (slash < 0 || References.basename(path.substring(0, slash)).equals(References.basename(conventional))) return true;
        }
        return false;
    }
}
