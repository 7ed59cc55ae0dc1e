package dev.rollguard.agent;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The generic preflight hook: a shell command that starts the shadow instance in the foreground, given the staged
 * directory and the port in ROLLGUARD_STAGED_DIR and ROLLGUARD_PREFLIGHT_PORT. Stopped with its whole process tree.
 */
public record ShadowCommand(String command, Path workDir) implements Preflight.Shadow {
    @Override
    public Preflight.Running start(Path staged, int port, Map<String, String> env) throws IOException {
        Path output = Files.createTempFile("rollguard-preflight", ".log");
        ProcessBuilder pb = new ProcessBuilder(List.of("sh", "-c", command)).directory(workDir.toFile())
                .redirectErrorStream(true).redirectOutput(output.toFile());
        pb.environment().putAll(env);
        pb.environment().put("ROLLGUARD_STAGED_DIR", staged.toString());
        pb.environment().put("ROLLGUARD_PREFLIGHT_PORT", Integer.toString(port));
        Process p = pb.start();
        return new Preflight.Running() {
            @Override
            public Optional<String> exited() {
                if (p.isAlive()) return Optional.empty();
                return Optional.of("exit " + p.exitValue() + ": " + tail(output));
            }

            @Override
            public void close() {
                List<ProcessHandle> tree = p.descendants().toList();
                p.destroy();
                tree.forEach(ProcessHandle::destroy);
                try {
                    if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly();
                } catch (InterruptedException e) {
                    p.destroyForcibly();
                    Thread.currentThread().interrupt();
                }
                for (ProcessHandle h : tree) {
                    try {
                        h.onExit().get(5, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        h.destroyForcibly();
                    }
                }
                try {
                    Files.deleteIfExists(output);
                } catch (IOException ignored) {
                    // a temp file left behind is harmless
                }
            }
        };
    }

    private static String tail(Path output) {
        try {
            String s = Files.readString(output).strip();
            return s.length() > 500 ? "…" + s.substring(s.length() - 500) : s;
        } catch (IOException e) {
            return "(no output)";
        }
    }
}
