package dev.rollguard.versions;

import dev.rollguard.Problem;

import java.util.regex.Pattern;

/**
 * The Git commit a version was pushed from: its id (SHA-1 or SHA-256), author, message, and whether the pushed tree
 * had uncommitted changes on top of it ({@code dirty}: then the commit is where the change started, not what it is).
 */
public record GitCommit(String commit, String author, String email, String message, boolean dirty) {
    private static final Pattern ID = Pattern.compile("[0-9a-f]{40}|[0-9a-f]{64}");

    public GitCommit {
        if (commit == null || !ID.matcher(commit).matches()) {
            throw Problem.badRequest("invalid_git_commit", "git.commit must be a full commit id (40 or 64 hex digits)");
        }
        if (author == null || author.isBlank() || author.length() > 200) {
            throw Problem.badRequest("invalid_git_commit", "git.author must be a name of 1 to 200 characters");
        }
        if (email != null && email.length() > 320) throw Problem.badRequest("invalid_git_commit", "git.email is too long");
        if (message == null) message = "";
        if (message.length() > 65_536) throw Problem.badRequest("invalid_git_commit", "git.message is longer than 64 KiB");
    }

    public String shortId() { return commit.substring(0, 7); }

    /** "commit 3f2c1e0 by alice", the way people cite a version's source. */
    public String describe() {
        return "commit " + shortId() + " by " + author + (dirty ? " (with uncommitted changes)" : "");
    }

    public String subject() {
        int nl = message.indexOf('\n');
        return (nl < 0 ? message : message.substring(0, nl)).strip();
    }
}
