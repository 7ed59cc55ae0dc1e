package dev.rollguard.cli;

import picocli.CommandLine;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** What a usage error says, and where global options may stand: pure functions over the command line's words. */
public final class Usage {
    /** Options every command that talks to a server takes ({@link ServerOptions}), each with one value. */
    static final Set<String> GLOBAL = Set.of("--server", "--actor", "--token");

    private Usage() {
    }

    /**
     * {@code rollguard --server URL services} as {@code rollguard services --server URL}: global options standing before
     * the command move after its name, where picocli reads them. Anything else is left as it is (and still fails to
     * parse where it is wrong).
     */
    public static String[] globalOptionsAfterCommand(String[] args, Set<String> commands) {
        List<String> moved = new ArrayList<>();
        int i = 0;
        while (i < args.length) {
            String a = args[i];
            String name = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (!GLOBAL.contains(name)) break;
            moved.add(a);
            if (!a.contains("=")) {
                if (i + 1 >= args.length) return args;
                moved.add(args[i + 1]);
                i++;
            }
            i++;
        }
        if (moved.isEmpty() || i >= args.length || !commands.contains(args[i])) return args;
        List<String> out = new ArrayList<>();
        out.add(args[i]);
        out.addAll(moved);
        out.addAll(List.of(args).subList(i + 1, args.length));
        return out.toArray(String[]::new);
    }

    /** One line: the unknown command or option and what was probably meant, or picocli's own message. */
    static String describe(CommandLine.ParameterException ex) {
        if (ex instanceof CommandLine.UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
            String first = u.getUnmatched().get(0);
            var spec = u.getCommandLine().getCommandSpec();
            String what = first.startsWith("-") ? "unknown option '" + first + "'"
                    : !spec.subcommands().isEmpty() && spec.positionalParameters().isEmpty() ? "unknown command '" + first + "'"
                    : "unexpected argument '" + first + "'";
            List<String> suggestions = u.getSuggestions();
            return what + (suggestions.isEmpty() ? "" : "; did you mean '" + suggestions.get(0) + "'?");
        }
        return ex.getMessage();
    }
}
