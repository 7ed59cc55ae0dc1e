package dev.rollguard.agent;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FileMeta;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The owners and groups a tree names, resolved on this host (the name service: /etc/passwd, /etc/group, LDAP, as the
 * JDK's lookup reaches them), and their application to staged files. Resolved all at once before a file is written, so an
 * unknown name fails the apply before anything changes here.
 */
final class Owners {
    private final Map<String, UserPrincipal> users;
    private final Map<String, GroupPrincipal> groups;

    private Owners(Map<String, UserPrincipal> users, Map<String, GroupPrincipal> groups) {
        this.users = users;
        this.groups = groups;
    }

    /** Every owner and group the tree names; {@link UnknownOwner} lists every one this host does not know, with a path of each. */
    static Owners resolve(ConfigTree tree) {
        Map<String, String> userPaths = new TreeMap<>();
        Map<String, String> groupPaths = new TreeMap<>();
        tree.meta().forEach((path, m) -> {
            if (m.owner() != null) userPaths.putIfAbsent(m.owner(), path);
            if (m.group() != null) groupPaths.putIfAbsent(m.group(), path);
        });
        Map<String, UserPrincipal> users = new HashMap<>();
        Map<String, GroupPrincipal> groups = new HashMap<>();
        if (userPaths.isEmpty() && groupPaths.isEmpty()) return new Owners(users, groups);
        UserPrincipalLookupService lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        List<String> unknown = new ArrayList<>();
        for (var u : userPaths.entrySet()) {
            try {
                users.put(u.getKey(), lookup.lookupPrincipalByName(u.getKey()));
            } catch (UserPrincipalNotFoundException e) {
                unknown.add("user '" + u.getKey() + "' (owner of " + u.getValue() + ")");
            } catch (IOException e) {
                unknown.add("user '" + u.getKey() + "' (owner of " + u.getValue() + "): " + e.getMessage());
            }
        }
        for (var g : groupPaths.entrySet()) {
            try {
                groups.put(g.getKey(), lookup.lookupPrincipalByGroupName(g.getKey()));
            } catch (UserPrincipalNotFoundException e) {
                unknown.add("group '" + g.getKey() + "' (group of " + g.getValue() + ")");
            } catch (IOException e) {
                unknown.add("group '" + g.getKey() + "' (group of " + g.getValue() + "): " + e.getMessage());
            }
        }
        if (!unknown.isEmpty()) throw new UnknownOwner(unknown);
        return new Owners(users, groups);
    }

    /** Exactly this mode, owner and group on a staged file or directory (never through a link); null fields left as created. */
    void apply(Path p, FileMeta m) throws IOException {
        if (m.isNone()) return;
        PosixFileAttributeView view = Files.getFileAttributeView(p, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS);
        // owner first: chown clears setuid/setgid bits, and a mode set before it could be changed by it on some systems
        if (m.owner() != null) view.setOwner(users.get(m.owner()));
        if (m.group() != null) view.setGroup(groups.get(m.group()));
        if (m.mode() != null) view.setPermissions(permissions(m.mode()));
    }

    /** 0750 as rwxr-x---. */
    static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> perms = EnumSet.noneOf(PosixFilePermission.class);
        for (PosixFilePermission p : PosixFilePermission.values()) {
            if ((mode & (0400 >> p.ordinal())) != 0) perms.add(p);
        }
        return perms;
    }

    /** Names this host does not know: the tree cannot stand here as pushed. */
    static final class UnknownOwner extends RuntimeException {
        UnknownOwner(List<String> unknown) {
            super("unknown on this host: " + String.join(", ", unknown) + "; the version was not staged");
        }
    }
}
