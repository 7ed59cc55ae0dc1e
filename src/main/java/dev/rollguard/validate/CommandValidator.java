package dev.rollguard.validate;

import dev.rollguard.Processes;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Per-service validator commands. Each receives the tree's directory as its last argument, as its working
 * directory and in {@code ROLLGUARD_TREE}; a non-zero exit is a finding. Output lines in the usual
 * {@code file:line[:col]: message} form become findings at that place.
 */
public final class CommandValidator implements Validator {
    public static final String RULE = "command";
    private static final Pattern LOCATED = Pattern.compile("^(?:\\./)?([^:\\s][^:]*):(\\d+)(?::(\\d+))?:\\s*(.+)$", Pattern.MULTILINE);

    @Override
    public String id() { return RULE; }

    @Override
    public List<Finding> validate(ValidationInput input) {
        List<Finding> out = new ArrayList<>();
        for (ValidationSettings.CommandSpec spec : input.settings().commands()) {
            Path root = input.materialized();
            List<String> cmd = new ArrayList<>(spec.command());
            cmd.add(root.toString());
            Processes.Result r = Processes.run(cmd, root, Map.of("ROLLGUARD_TREE", root.toString()),
                    Duration.ofSeconds(spec.timeoutSeconds()));
            if (r.ok()) continue;
            String rule = RULE + ":" + spec.name();
            if (r.timedOut()) {
                out.add(Finding.of(rule, spec.severity(), null, 0, 0,
                        "validator '" + spec.name() + "' timed out after " + spec.timeoutSeconds() + "s", null, null));
                continue;
            }
            String output = r.output().replace(root + "/", "");
            int before = out.size();
            Matcher m = LOCATED.matcher(output);
            while (m.find()) {
                String file = m.group(1);
                if (!input.tree().contains(file)) continue;
                out.add(Finding.of(rule, spec.severity(), file, Integer.parseInt(m.group(2)),
                        m.group(3) == null ? 0 : Integer.parseInt(m.group(3)), m.group(4).strip(), null, null));
            }
            if (out.size() == before) {
                out.add(Finding.of(rule, spec.severity(), null, 0, 0, "validator '" + spec.name() + "' exited with "
                        + r.exitCode() + (output.isBlank() ? "" : ": " + Text.firstLines(output, 5)), null, null));
            }
        }
        return out;
    }
}
