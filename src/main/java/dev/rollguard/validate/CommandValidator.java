package dev.rollguard.validate;

import dev.rollguard.Problem;
import dev.rollguard.config.ValidationSettings;
import dev.rollguard.sandbox.Job;
import dev.rollguard.sandbox.Sandbox;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Command validators, each run in the sandbox: the tree read only at /tree (its last argument, its working directory
 * and {@code ROLLGUARD_TREE}), a scratch /tmp, no network, no other file of the host but /usr. A non-zero exit is a
 * finding; output lines in the usual {@code file:line[:col]: message} form become findings at that place.
 *
 * <p>A declared validator that cannot run (no sandbox here) is an error finding, so the version is refused: the
 * spec asked for the check, and a version it never saw must not pass as checked.
 *
 * <p>On the server the programs are the operator's ({@link CommandValidators}); specs only name them. The offline CLI
 * also runs commands a spec defines inline: there they are the user's own, on the user's machine.
 */
public final class CommandValidator implements Validator {
    public static final String RULE = "command";
    static final String TREE = "/tree";
    private static final Pattern LOCATED = Pattern.compile("^(?:\\./)?([^:\\s][^:]*):(\\d+)(?::(\\d+))?:\\s*(.+)$", Pattern.MULTILINE);
    private static final int MAX_TIMEOUT_SECONDS = 600;

    private final Sandbox sandbox;
    private final CommandValidators declared;
    private final boolean inlineAllowed;

    public CommandValidator(Sandbox sandbox, CommandValidators declared, boolean inlineAllowed) {
        this.sandbox = sandbox;
        this.declared = declared;
        this.inlineAllowed = inlineAllowed;
    }

    @Override
    public String id() { return RULE; }

    /** A spec may only name declared validators (400 {@code inline_validator_command}, {@code unknown_validator}). */
    @Override
    public void check(ValidationSettings settings) {
        for (ValidationSettings.CommandRef ref : settings.commands()) {
            if (ref.inline() != null && !inlineAllowed) {
                throw Problem.badRequest("inline_validator_command", "validation.commands: '" + ref.name() + "' defines a command; "
                        + "a spec may only name validators the server's operator declared (rollguard server --validators FILE)");
            }
            if (ref.inline() == null && declared.get(ref.name()).isEmpty()) {
                throw Problem.badRequest("unknown_validator", "validation.commands: no validator named '" + ref.name() + "' is declared "
                        + "(--validators FILE)" + (declared.byName().isEmpty() ? "; none are" : "; declared: "
                        + String.join(", ", declared.byName().keySet())));
            }
        }
    }

    @Override
    public List<Finding> validate(ValidationInput input) {
        List<Finding> out = new ArrayList<>();
        for (ValidationSettings.CommandRef ref : input.settings().commands()) {
            String rule = RULE + ":" + ref.name();
            ValidationSettings.CommandSpec spec = ref.inline() != null ? (inlineAllowed ? ref.inline() : null) : declared.get(ref.name()).orElse(null);
            if (spec == null) {
                // a spec stored before the operator took this over, or a validator the operator removed: block, never pass silently
                out.add(Finding.error(rule, null, 0, 0, "validator '" + ref.name() + "' was not run: "
                        + (ref.inline() != null ? "this server runs only validators its operator declared (the spec defines this one inline)"
                        : "no validator of that name is declared on this server")));
                continue;
            }
            if (!sandbox.available()) {
                // the spec declared this check: a check that cannot run blocks, it never passes silently (nor runs unsandboxed)
                out.add(Finding.error(rule, null, 0, 0, "validator '" + ref.name() + "' was not run (sandbox-unavailable): "
                        + sandbox.unavailableReason() + "; a declared check that cannot run blocks the version"));
                continue;
            }
            out.addAll(run(input, spec, rule));
        }
        return out;
    }

    private List<Finding> run(ValidationInput input, ValidationSettings.CommandSpec spec, String rule) {
        List<String> cmd = new ArrayList<>(spec.command());
        cmd.add(TREE);
        int timeout = Math.max(1, Math.min(spec.timeoutSeconds(), MAX_TIMEOUT_SECONDS));
        Job job = new Job(cmd, List.of(new Job.ReadOnly(input.materializedFor(sandbox), TREE), new Job.Tmpfs("/tmp", 64L << 20)),
                Map.of("ROLLGUARD_TREE", TREE, "HOME", "/tmp", "TMPDIR", "/tmp", "LANG", "C.UTF-8"), TREE,
                Job.Limits.DEFAULT.withTimeout(Duration.ofSeconds(timeout)), true);
        Sandbox.Result r = sandbox.run(job, input.turn());
        if (r.ok()) return List.of();
        if (r.timedOut()) {
            return List.of(Finding.of(rule, spec.severity(), null, 0, 0, "validator '" + spec.name() + "' timed out after " + timeout + "s", null, null));
        }
        String output = r.output().replace(TREE + "/", "");
        List<Finding> out = new ArrayList<>();
        Matcher m = LOCATED.matcher(output);
        while (m.find()) {
            String file = m.group(1);
            if (!input.tree().contains(file)) continue;
            out.add(Finding.of(rule, spec.severity(), file, Integer.parseInt(m.group(2)),
                    m.group(3) == null ? 0 : Integer.parseInt(m.group(3)), m.group(4).strip(), null, null));
        }
        if (out.isEmpty()) {
            out.add(Finding.of(rule, spec.severity(), null, 0, 0, "validator '" + spec.name() + "' exited with "
                    + r.exitCode() + (output.isBlank() ? "" : ": " + Text.firstLines(output, 5)), null, null));
        }
        return out;
    }
}
