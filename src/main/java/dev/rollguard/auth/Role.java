package dev.rollguard.auth;

import dev.rollguard.Problem;

import java.util.EnumSet;
import java.util.Set;

/** Roles per service (or on every service, "*"). */
public enum Role {
    VIEWER(EnumSet.of(Permission.READ)),
    EDITOR(EnumSet.of(Permission.READ, Permission.PUSH)),
    RELEASER(EnumSet.of(Permission.READ, Permission.PUSH, Permission.RELEASE)),
    APPROVER(EnumSet.of(Permission.READ, Permission.APPROVE)),
    ADMIN(EnumSet.allOf(Permission.class));

    private final Set<Permission> grants;

    Role(Set<Permission> grants) {
        this.grants = grants;
    }

    public boolean grants(Permission p) {
        return p == Permission.PUBLIC || p == Permission.AUTHENTICATED || grants.contains(p);
    }

    public static Role parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase());
        } catch (RuntimeException e) {
            throw Problem.badRequest("invalid_role", "role must be viewer, editor, releaser, approver or admin, not '" + s + "'");
        }
    }
}
