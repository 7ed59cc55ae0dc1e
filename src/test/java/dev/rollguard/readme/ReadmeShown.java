package dev.rollguard.readme;

import dev.rollguard.cli.Main;
import dev.rollguard.cli.Usage;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a README shows: the rollguard commands it writes (in code blocks, inline code and the CLI table) and the figures
 * it prints (fenced blocks without a language that hold a number, tables with a numeric cell), each checked as a reader
 * would: a command must parse against the real picocli command tree, and a figure must say which command produced it.
 * <p>
 * Synopses are read as synopses: {@code [optional]} parts are included, {@code a|b} and {@code [x | y]} are tried one
 * alternative at a time, {@code ...} is an elision, and a placeholder value ({@code N}, {@code DIR}, {@code <tree>})
 * that picocli cannot convert is replaced by a value of the option's type. A missing required option is no error (prose
 * names a command without all of its options); an unknown subcommand, option or argument, or a real value of the wrong
 * type, is.
 */
public final class ReadmeShown {
    /** A command as the README writes it, at its 1-based line; a synopsis (inline code, the CLI table) may hold [optional] parts and a|b. */
    record Shown(int line, String text, boolean synopsis) {}

    /** Something the reader would be misled by, at its 1-based line. */
    record Problem(int line, String what) {}

    private sealed interface Block permits Heading, Text, Fence {}

    private record Heading(int line, String text) implements Block {}

    /** A paragraph (or a table: every line starts with "|"), lines joined with '\n'. */
    private record Text(int line, String text) implements Block {
        boolean table() {
            return text.lines().allMatch(l -> l.startsWith("|"));
        }
    }

    private record Fence(int line, String info, List<String> body) implements Block {}

    private static final Pattern SPAN = Pattern.compile("`([^`]+)`");
    private static final String CLI = "(?:(?:/usr/bin/time )?bin/rollguard|java -jar rollguard\\.jar|rollguard)(?=\\s|$)";
    /** Where a command starts in a line of a code block: at its start, or after a prompt, sudo/exec, a list item or $(. */
    private static final Pattern IN_CODE = Pattern.compile("(?:^\\s*(?:\\$ |sudo |exec |- run: |- )?|\\$\\(|&& |; )(" + CLI + ")");
    private static final Pattern FIGURE_COMMAND = Pattern.compile("^(?:/usr/bin/time )?bin/rollguard\\s");
    private static final Pattern NUMERIC_CELL = Pattern.compile("[-+]?\\d[\\d.,]*\\s*(?:%|ms|s|MiB)?|\\d+/\\d+");
    private static final Pattern PLACEHOLDER = Pattern.compile("[A-Z][A-Z0-9_-]*|SEVn|<[^>]+>|YYYY-MM-DD");
    private static final Pattern BRACKET_ALTERNATIVES = Pattern.compile("\\[([^\\[\\]]*\\s\\|\\s[^\\[\\]]*)]");

    /** One tree for every parse: picocli resets every option to its initial value before it parses. */
    private static final CommandLine CLI_TREE = Main.commandLine();

    private final List<Block> blocks;

    private ReadmeShown(List<Block> blocks) {
        this.blocks = blocks;
    }

    static ReadmeShown of(String readme) {
        // HTML comments are not shown; their line breaks stay, so line numbers stay the file's
        List<String> lines = Pattern.compile("(?s)<!--.*?-->").matcher(readme)
                .replaceAll(c -> "\n".repeat((int) c.group().chars().filter(ch -> ch == '\n').count())).lines().toList();
        List<Block> blocks = new ArrayList<>();
        StringBuilder para = new StringBuilder();
        int paraLine = 0;
        for (int i = 0; i < lines.size(); i++) {
            String l = lines.get(i);
            boolean fence = l.startsWith("```");
            if (l.isBlank() || fence || l.startsWith("#")) {
                if (!para.isEmpty()) blocks.add(new Text(paraLine, para.toString()));
                para.setLength(0);
            }
            if (fence) {
                int start = i;
                List<String> body = new ArrayList<>();
                while (++i < lines.size() && !lines.get(i).startsWith("```")) body.add(lines.get(i));
                blocks.add(new Fence(start + 1, l.substring(3).strip(), body));
            } else if (l.startsWith("#")) {
                blocks.add(new Heading(i + 1, l));
            } else if (!l.isBlank()) {
                if (para.isEmpty()) paraLine = i + 1;
                else para.append('\n');
                para.append(l);
            }
        }
        if (!para.isEmpty()) blocks.add(new Text(paraLine, para.toString()));
        return new ReadmeShown(blocks);
    }

    /** Every rollguard command the README writes: in code blocks, in inline code, and in the CLI section's table. */
    List<Shown> commands() {
        List<Shown> out = new ArrayList<>();
        boolean cliSection = false;
        for (Block b : blocks) {
            if (b instanceof Heading h) {
                cliSection = h.text().equals("## CLI");
            } else if (b instanceof Text t) {
                if (cliSection && t.table()) {
                    // the CLI table's first column holds commands without their "rollguard"
                    String[] rows = t.text().split("\n");
                    for (int r = 0; r < rows.length; r++) {
                        Matcher m = SPAN.matcher(firstCell(rows[r]));
                        while (m.find()) out.add(new Shown(t.line() + r, "rollguard " + m.group(1), true));
                    }
                }
                Matcher m = SPAN.matcher(t.text().replace('\n', ' '));
                while (m.find()) {
                    int line = t.line() + (int) t.text().substring(0, m.start()).chars().filter(c -> c == '\n').count();
                    if (m.group(1).matches(CLI + ".*")) out.add(new Shown(line, m.group(1), true));
                }
            } else if (b instanceof Fence f) {
                for (int i = 0; i < f.body().size(); i++) {
                    int line = f.line() + 1 + i;
                    String l = uncomment(f.body().get(i));
                    // a command continued with a backslash, also inside a comment
                    while (l.stripTrailing().endsWith("\\") && i + 1 < f.body().size()) l = l.stripTrailing() + "\n" + uncomment(f.body().get(++i));
                    Matcher m = IN_CODE.matcher(l);
                    while (m.find()) out.add(new Shown(line, shellWords(l.substring(m.start(1))), false));
                }
            }
        }
        return out;
    }

    /** Each figure (a fenced block without a language holding a number, a table with a numeric cell) that names no command. */
    List<Problem> figuresWithoutCommand() {
        List<Problem> out = new ArrayList<>();
        boolean named = false;
        boolean afterFigure = false;
        for (Block b : blocks) {
            boolean figure = false;
            if (b instanceof Heading) {
                named = afterFigure = false;
            } else if (b instanceof Text t && t.table() && t.text().lines().anyMatch(ReadmeShown::hasNumericCell)) {
                figure = true;
            } else if (b instanceof Text t) {
                Matcher m = SPAN.matcher(t.text().replace('\n', ' '));
                while (m.find()) named |= FIGURE_COMMAND.matcher(m.group(1)).find();
                afterFigure = false;
            } else if (b instanceof Fence f && f.info().isEmpty() && f.body().stream().anyMatch(l -> l.matches(".*\\d.*"))) {
                figure = true;
            } else {
                afterFigure = false;
            }
            if (!figure) continue;
            boolean ownPrompt = b instanceof Fence f && !f.body().isEmpty() && f.body().get(0).startsWith("$ bin/rollguard ");
            // a figure right after another one (only blank lines between) is the same command's output
            if (!named && !afterFigure && !ownPrompt) {
                int line = b instanceof Fence f ? f.line() : ((Text) b).line();
                out.add(new Problem(line, "a figure that names no command: no `bin/rollguard ...` in the text before it since the last figure or heading"));
            }
            named = false;
            afterFigure = true;
        }
        return out;
    }

    /**
     * The lines of the first figure block after the text that names {@code command} (a backticked span starting with it),
     * for tests that compare a figure with a fresh run of its command.
     */
    public static List<String> figureAfter(String readme, String command) {
        boolean named = false;
        for (Block b : of(readme).blocks) {
            if (b instanceof Text t) {
                Matcher m = SPAN.matcher(t.text().replace('\n', ' '));
                while (m.find()) named |= m.group(1).startsWith(command);
            } else if (named && b instanceof Fence f && f.info().isEmpty()) {
                return f.body();
            }
        }
        throw new IllegalArgumentException("no figure after `" + command + "` in the README");
    }

    /** Null when {@code text} parses against the real command tree, else why not. */
    static String parseProblem(Shown shown) {
        List<List<String>> variants = shown.synopsis() ? variants(shown.text()) : List.of(words(shown.text()));
        for (List<String> args : variants) {
            String p = parseOne(args);
            if (p != null) return p + " (in: " + String.join(" ", args) + ")";
        }
        return null;
    }

    private static String parseOne(List<String> words) {
        List<String> args = new ArrayList<>(words.subList(words.get(0).equals("java") ? 3 : words.get(0).equals("/usr/bin/time") ? 2 : 1, words.size()));
        for (int attempt = 0; attempt < 50; attempt++) {
            try {
                return unlistedValue(CLI_TREE.parseArgs(Usage.globalOptionsAfterCommand(args.toArray(String[]::new), CLI_TREE.getSubcommands().keySet())));
            } catch (CommandLine.MissingParameterException e) {
                // picocli reports missing required options before unknown ones: supply them and parse again
                for (ArgSpec missing : e.getMissing()) {
                    if (missing instanceof OptionSpec o) args.add(o.longestName());
                    if (missing.arity().min > 0) args.add(Objects.requireNonNullElse(sample(missing), "x"));
                }
            } catch (CommandLine.UnmatchedArgumentException e) {
                return e.getMessage();
            } catch (CommandLine.ParameterException e) {
                int at = e.getValue() == null ? -1 : args.indexOf(e.getValue());
                String sample = at < 0 || !PLACEHOLDER.matcher(e.getValue()).matches() ? null : sample(e.getArgSpec());
                if (sample == null) return e.getMessage();
                args.set(at, sample);
            }
        }
        return "no parse after filling in placeholders and required options";
    }

    /** A value given to an argument that lists its values (picocli's completion candidates) and is not one of them, or null. */
    private static String unlistedValue(CommandLine.ParseResult r) {
        for (CommandLine.ParseResult p = r; p != null; p = p.subcommand()) {
            for (ArgSpec a : p.matchedArgs()) {
                if (a.completionCandidates() == null || a.typedValues().isEmpty()) continue;
                List<String> listed = new ArrayList<>();
                a.completionCandidates().forEach(listed::add);
                for (String v : a.stringValues()) {
                    if (!listed.contains(v) && !PLACEHOLDER.matcher(v).matches()) return "'" + v + "' is none of " + listed;
                }
            }
        }
        return null;
    }

    /** A value of the type a placeholder stands for, or null when there is none to try. */
    private static String sample(ArgSpec spec) {
        if (spec == null) return null;
        Class<?> t = spec.auxiliaryTypes().length > 0 && spec.isMultiValue() ? spec.auxiliaryTypes()[0] : spec.type();
        if (t.isEnum()) return t.getEnumConstants()[0].toString();
        if (t == int.class || t == Integer.class || t == long.class || t == Long.class) return "1";
        if (t == double.class || t == Double.class) return "0.5";
        return null;
    }

    private static List<String> words(String shellWords) {
        List<String> out = new ArrayList<>();
        for (String w : shellWords.split(" ")) if (!w.isEmpty()) out.add(w.replace('\u0001', ' '));
        return out;
    }

    /** A synopsis's concrete argument lists: each {@code [x | y]} and each {@code a|b} word, one alternative at a time. */
    static List<List<String>> variants(String text) {
        List<List<String>> out = new ArrayList<>();
        for (String s : bracketAlternatives(text.replace("\\|", "|"))) {
            // URL[,URL]: an optional tail of one word; other brackets enclose whole words
            String flat = s.replaceAll("(?<=\\S)\\[([^\\]\\s]*)]", "$1").replace("[", " ").replace("]", " ");
            List<String> words = words(shellWords(flat));
            words.removeIf(w -> w.equals("...") || w.equals("…"));
            int n = words.stream().mapToInt(w -> w.startsWith("|") || w.endsWith("|") ? 1 : w.split("\\|").length).max().orElse(1);
            for (int i = 0; i < n; i++) {
                List<String> v = new ArrayList<>();
                for (String w : words) {
                    String[] alts = w.split("\\|");
                    v.add(alts.length > 1 && !w.contains("://") ? alts[Math.min(i, alts.length - 1)] : w);
                }
                out.add(v);
            }
        }
        return out;
    }

    private static List<String> bracketAlternatives(String s) {
        Matcher m = BRACKET_ALTERNATIVES.matcher(s);
        if (!m.find()) return List.of(s);
        List<String> out = new ArrayList<>();
        for (String alt : m.group(1).split("\\s\\|\\s")) out.addAll(bracketAlternatives(s.substring(0, m.start()) + alt.strip() + s.substring(m.end())));
        return out;
    }

    /**
     * The words of a command as the shell splits them, up to where the shell ends it (a pipe, redirection, ";", "&", a
     * ")" closing "$(", a comment), joined by spaces; a space inside a quoted word is kept as \u0001.
     */
    static String shellWords(String s) {
        List<String> words = new ArrayList<>();
        StringBuilder w = new StringBuilder();
        boolean started = false;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) quote = 0;
                else w.append(c == ' ' ? '\u0001' : c);
                continue;
            }
            if (c == '\'' || c == '"') {
                quote = c;
                started = true;
            } else if (c == '\\' && i + 1 < s.length()) {
                char next = s.charAt(++i);
                if (next != '\n') {
                    w.append(next);
                    started = true;
                }
            } else if (Character.isWhitespace(c)) {
                if (started) words.add(w.toString());
                w.setLength(0);
                started = false;
            } else if (";&<)".indexOf(c) >= 0 || (c == '|' && (i + 1 == s.length() || s.charAt(i + 1) == ' ')) || c == '>'
                    || (c == '#' && !started)) {
                // "2>" redirects stderr: the 2 is no argument
                if (c == '>' && w.toString().equals("2")) started = false;
                break;
            } else {
                w.append(c);
                started = true;
            }
        }
        if (started) words.add(w.toString());
        return String.join(" ", words);
    }

    private static String uncomment(String line) {
        return line.replaceFirst("^\\s*#\\s*", "");
    }

    private static String firstCell(String row) {
        String[] cells = row.split("(?<!\\\\)\\|");
        return cells.length > 1 ? cells[1] : "";
    }

    private static boolean hasNumericCell(String row) {
        String[] cells = row.split("(?<!\\\\)\\|");
        for (String c : cells) if (NUMERIC_CELL.matcher(c.strip()).matches()) return true;
        return false;
    }
}
