package dev.rollguard.readme;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The commands of a README section's ```bash blocks, as a person types them, with what the README says they do.
 * The convention (written in the README next to the section, in a comment): a line's trailing comment starts with two
 * spaces and "#"; in it, {@code exit N} is the exit status the command must end with (0 when absent), each "quoted
 * text" must appear in its output, and {@code (not run by the README test)} marks a line only a person can run.
 * A here-document and lines continued with a backslash belong to the command they start in.
 */
record ReadmeCommands(List<Line> lines) {
    private static final Pattern TRAILING_COMMENT = Pattern.compile("\\s{2,}#\\s?(.*)$");
    private static final Pattern EXIT = Pattern.compile("\\bexit (\\d+)\\b");
    private static final Pattern QUOTED = Pattern.compile("\"([^\"]+)\"");
    private static final Pattern HEREDOC = Pattern.compile("<<-?'?\"?(\\w+)'?\"?");
    static final String NOT_RUN = "(not run by the README test)";

    /** A comment for the reader, or a command with its expectations. */
    sealed interface Line permits Comment, Command {}

    record Comment(String text) implements Line {}

    record Command(String text, int expectedExit, List<String> expectedOutput, boolean run) implements Line {
        boolean background() {
            return stripComment(text.lines().reduce((a, b) -> b).orElse("")).endsWith("&");
        }
    }

    /** The ```bash blocks between the heading {@code heading} and the next heading. */
    static ReadmeCommands of(String readme, String heading) {
        List<String> all = readme.lines().toList();
        int start = all.indexOf(heading);
        if (start < 0) throw new IllegalArgumentException("README has no heading '" + heading + "'");
        List<Line> out = new ArrayList<>();
        boolean inBash = false;
        boolean inOther = false;
        for (int i = start + 1; i < all.size(); i++) {
            String l = all.get(i);
            if (!inBash && !inOther && l.startsWith("#")) break;
            if (l.startsWith("```")) {
                if (inBash || inOther) {
                    inBash = inOther = false;
                } else if (l.strip().equals("```bash")) {
                    inBash = true;
                } else {
                    inOther = true;
                }
                continue;
            }
            if (!inBash || l.isBlank()) continue;
            if (l.stripLeading().startsWith("#")) {
                out.add(new Comment(l));
                continue;
            }
            StringBuilder text = new StringBuilder(l);
            Matcher heredoc = HEREDOC.matcher(stripComment(l));
            if (heredoc.find()) {
                String end = heredoc.group(1);
                while (++i < all.size()) {
                    text.append('\n').append(all.get(i));
                    if (all.get(i).strip().equals(end)) break;
                }
            }
            while (stripComment(text.toString()).endsWith("\\") && i + 1 < all.size()) text.append('\n').append(all.get(++i));
            out.add(command(text.toString()));
        }
        return new ReadmeCommands(List.copyOf(out));
    }

    private static Command command(String text) {
        String first = text.lines().findFirst().orElse("");
        Matcher m = TRAILING_COMMENT.matcher(first);
        String comment = m.find() ? m.group(1) : "";
        Matcher exit = EXIT.matcher(comment);
        int expectedExit = exit.find() ? Integer.parseInt(exit.group(1)) : 0;
        List<String> expected = new ArrayList<>();
        Matcher q = QUOTED.matcher(comment);
        while (q.find()) expected.add(q.group(1));
        return new Command(text, expectedExit, List.copyOf(expected), !comment.contains(NOT_RUN));
    }

    private static String stripComment(String line) {
        Matcher m = TRAILING_COMMENT.matcher(line);
        return (m.find() ? line.substring(0, m.start()) : line).stripTrailing();
    }

    List<Command> commands() {
        return lines.stream().filter(l -> l instanceof Command).map(l -> (Command) l).toList();
    }
}
