package dev.rollguard.config;

import dev.rollguard.Problem;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * How a file or directory of a tree should stand on a host: its permission bits and its owner and group (names, resolved
 * on the host by the agent). A null field is "as the agent creates it", which is what every path got before modes
 * existed: 0644 files and 0755 directories under the usual umask 022, owned by the agent's user.
 * <p>
 * Only the nine permission bits are carried. Setuid, setgid and sticky bits are refused: a config tool that can plant a
 * setuid root file on every host is a privilege escalation waiting for one bad push, Git does not record them either,
 * and the packaged agent's unit runs with {@code RestrictSUIDSGID=yes}.
 */
public record FileMeta(Integer mode, String owner, String group) {
    public static final FileMeta NONE = new FileMeta(null, null, null);
    public static final int DEFAULT_FILE_MODE = 0644;
    public static final int DEFAULT_DIR_MODE = 0755;
    /** POSIX portable user and group names (useradd's default NAME_REGEX, with upper case and a trailing '$' for Samba). */
    private static final Pattern NAME = Pattern.compile("^[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?$");
    private static final Pattern OCTAL = Pattern.compile("^0?[0-7]{3}$");

    public FileMeta {
        if (mode != null && (mode < 0 || mode > 0777)) {
            throw Problem.badRequest("invalid_mode", "mode " + Integer.toOctalString(mode) + " has bits beyond 0777: setuid, setgid and "
                    + "sticky bits are not delivered");
        }
        checkName("owner", owner);
        checkName("group", group);
    }

    private static void checkName(String what, String name) {
        if (name != null && !NAME.matcher(name).matches()) {
            throw Problem.badRequest("invalid_" + what, "invalid " + what + " name '" + name + "': a user or group name of 1 to 32 "
                    + "characters a-z, A-Z, 0-9, '_', '.', '-', not starting with a digit or '-'");
        }
    }

    /** "0755" or "755" (what chmod and Ansible accept) as bits; null stays null. */
    public static Integer parseMode(String path, String text) {
        if (text == null) return null;
        if (!OCTAL.matcher(text).matches()) {
            throw new Problem(400, "invalid_mode", "mode of " + path + " must be 3 or 4 octal digits such as 0644 or 0755 (setuid, setgid "
                    + "and sticky bits are not delivered): '" + text + "'", Map.of("path", path));
        }
        return Integer.parseInt(text, 8);
    }

    /** "0755", or null for no mode. */
    public static String octal(Integer mode) {
        return mode == null ? null : String.format("%04o", mode);
    }

    public boolean isNone() {
        return mode == null && owner == null && group == null;
    }

    public FileMeta withMode(Integer m) {
        return new FileMeta(m, owner, group);
    }

    /** The same, with a mode that is the default for its kind dropped: 0644 and 0755 are what a host gets anyway. */
    public FileMeta normalized(boolean directory) {
        int standard = directory ? DEFAULT_DIR_MODE : DEFAULT_FILE_MODE;
        return mode != null && mode == standard ? withMode(null) : this;
    }

    /** The mode a host ends up with: this one, else the default of its kind. */
    public int effectiveMode(boolean directory) {
        return mode != null ? mode : directory ? DEFAULT_DIR_MODE : DEFAULT_FILE_MODE;
    }

    /** Others may read it (for a directory: enter it). */
    public boolean worldReadable(boolean directory) {
        return (effectiveMode(directory) & (directory ? 0001 : 0004)) != 0;
    }

    /** "0600 root:ssl-cert", "0755", "www-data:" as people read it. */
    public String describe() {
        StringBuilder sb = new StringBuilder(mode == null ? "" : octal(mode));
        if (owner != null || group != null) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(owner == null ? "" : owner).append(':').append(group == null ? "" : group);
        }
        return sb.toString();
    }
}
