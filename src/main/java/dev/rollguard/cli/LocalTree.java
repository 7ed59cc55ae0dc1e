package dev.rollguard.cli;

import dev.rollguard.config.ConfigTree;
import dev.rollguard.config.FindingSeverity;
import dev.rollguard.config.Limits;
import dev.rollguard.config.TreeLoader;
import dev.rollguard.validate.Finding;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;

/**
 * A directory given on the command line, read as it is. One that cannot be read at all throws
 * {@link TreeLoader.UnreadableDirectory}, a usage error (exit 2, see {@link Main}).
 */
final class LocalTree {
    static final String UNREADABLE = "unreadable_file";
    static final String NOT_A_FILE = "not_a_file";

    private LocalTree() {}

    static TreeLoader.Scan scan(Path dir, Limits limits) {
        return TreeLoader.scan(dir, limits);
    }

    /**
     * For push and fix: a file that cannot be read refuses the tree (a version must hold all of it), naming the file and
     * why; FIFOs, sockets and devices are left out with a notice.
     */
    static ConfigTree load(CommandLine cmd, Path dir, Limits limits) {
        TreeLoader.Scan scan = TreeLoader.scan(dir, limits);
        PrintWriter err = cmd.getErr();
        for (TreeLoader.Skipped s : scan.skipped()) {
            if (s.reason() == TreeLoader.Skipped.Reason.NOT_A_FILE) err.println("notice: left out " + s.describe());
        }
        return TreeLoader.complete(scan);
    }

    /** For validate: what could not be read is a finding at its path, like anything else wrong with the tree. */
    static List<Finding> findings(List<TreeLoader.Skipped> skipped) {
        return skipped.stream().map(s -> s.reason() == TreeLoader.Skipped.Reason.UNREADABLE
                ? Finding.error(UNREADABLE, s.path(), 0, 0, "cannot read: " + s.detail())
                : Finding.of(NOT_A_FILE, FindingSeverity.WARNING, s.path(), 0, 0, "left out: " + s.detail(), null, null)).toList();
    }
}
