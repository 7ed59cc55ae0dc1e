package dev.rollguard.cli;

import picocli.CommandLine;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Set;

/**
 * {@code rollguard --help} (and {@code -h}, {@code help}) without building picocli's model: the text picocli renders for
 * it, rendered at build time from the same model ({@link #main}, run by Maven before the jar is made, so the text is in
 * the jar) and printed as it is. Building the model (reflection over annotations, proxies for each annotation type) costs
 * more than the JVM's own start; a pre-commit hook or CI step that asks for the usage pays for none of it. ServedHelpTest
 * holds the served text equal to what picocli renders live, so it cannot drift; where this build step did not run (classes
 * compiled without it) there is no text and picocli renders it, as for every other command line.
 */
public final class ServedHelp {
    /** The usage without colour, as picocli prints it to a pipe or file, and with ANSI styles, as to a terminal. */
    static final String PLAIN = "usage.txt";
    static final String ANSI = "usage.ansi.txt";

    /** The command lines that print the top-level usage. */
    static final Set<String> ASKS = Set.of("--help", "-h", "help");

    /** picocli's width for usage text (80 when unset): the served text is rendered at the default. */
    private static final String WIDTH = "picocli.usage.width";

    private ServedHelp() {
    }

    /** The top-level usage as picocli renders it for {@code rollguard --help}. */
    static String render(boolean ansi) {
        return Main.commandLine(List.of("--help")::contains).getUsageMessage(ansi ? CommandLine.Help.Ansi.ON : CommandLine.Help.Ansi.OFF);
    }

    /**
     * Prints the usage built into the jar when {@code args} asks for exactly that and picocli would render it as built (the
     * default width; with colours exactly when picocli would use them); false when picocli has to answer.
     */
    static boolean serve(String[] args, PrintStream out) {
        if (args.length != 1 || !ASKS.contains(args[0]) || System.getProperty(WIDTH) != null) return false;
        String text = text(CommandLine.Help.Ansi.AUTO.enabled() ? ANSI : PLAIN);
        if (text == null) return false;
        out.print(text);
        out.flush();
        return true;
    }

    /** A text this build put next to this class, or null without it. */
    static String text(String name) {
        try (InputStream in = ServedHelp.class.getResourceAsStream(name)) {
            return in == null ? null : new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The build step: writes both texts next to this class in the classes directory {@code args[0]}. */
    public static void main(String[] args) throws IOException {
        Path dir = Path.of(args[0]).resolve(ServedHelp.class.getPackageName().replace('.', '/'));
        write(dir.resolve(PLAIN), render(false));
        write(dir.resolve(ANSI), render(true));
    }

    private static void write(Path file, String text) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
}
