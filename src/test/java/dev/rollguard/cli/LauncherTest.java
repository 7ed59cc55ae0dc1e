package dev.rollguard.cli;

import dev.rollguard.TestServer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * bin/rollguard on its first run after a build (no class-data archive yet): it records the archive, then becomes the
 * JVM (exec), so killing the PID it was started as stops the server and leaves no Java process and no temp file.
 */
class LauncherTest {
    @TempDir
    Path root;

    /** A checkout whose jar was just built: the launcher, sources older than the jar, no archive. */
    private Path freshBuild() throws Exception {
        Path bin = Files.createDirectories(root.resolve("bin"));
        Files.copy(Path.of("bin/rollguard"), bin.resolve("rollguard"));
        Files.createDirectories(root.resolve("src/main"));
        Files.writeString(root.resolve("pom.xml"), "<project/>\n");
        Instant built = Instant.now();
        for (Path p : List.of(root.resolve("src/main"), root.resolve("pom.xml"))) {
            Files.setLastModifiedTime(p, FileTime.from(built.minusSeconds(60)));
        }
        // the jar Maven's package phase makes (during `mvn test` there is none yet): this build's classes, and its libraries
        // by the manifest's Class-Path (the class-data archive takes classes from jars only, never from a directory)
        Path jar = Files.createDirectories(root.resolve("target")).resolve("rollguard.jar");
        Manifest m = new Manifest();
        m.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        m.getMainAttributes().put(Attributes.Name.MAIN_CLASS, Main.class.getName());
        m.getMainAttributes().put(Attributes.Name.CLASS_PATH, Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(p -> p.endsWith(".jar")).map(p -> Path.of(p).toAbsolutePath().toUri().toString()).collect(Collectors.joining(" ")));
        Path classes = Path.of(Main.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(out, m);
             Stream<Path> files = Files.walk(classes)) {
            // directories as entries too, as Maven's jar has them: Flyway finds its migrations by listing db/migration
            for (Path f : (Iterable<Path>) files.filter(f -> !f.equals(classes))::iterator) {
                String name = classes.relativize(f).toString().replace(File.separatorChar, '/');
                boolean dir = Files.isDirectory(f);
                j.putNextEntry(new JarEntry(dir ? name + "/" : name));
                if (!dir) Files.copy(f, j);
                j.closeEntry();
            }
        }
        Files.setLastModifiedTime(jar, FileTime.from(built));
        return bin.resolve("rollguard");
    }

    @Test
    void theLaunchersPidIsTheJvmAndKillingItStopsTheServerOnAFirstRun() throws Exception {
        Path launcher = freshBuild();
        Path tmp = Files.createDirectories(root.resolve("tmp"));
        ProcessBuilder pb = new ProcessBuilder("bash", launcher.toString(), "server", "--port", "0", "--db", root.resolve("rg.db").toString())
                .directory(root.toFile()).redirectErrorStream(true);
        pb.environment().put("TMPDIR", tmp.toString());
        pb.environment().remove("ROLLGUARD_CLASSPATH");
        pb.environment().remove("ROLLGUARD_JAVA_OPTS");
        Process p = pb.start();
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = drain(p.getInputStream(), output);
        try {
            Awaitility.await().atMost(TestServer.PATIENCE).until(() -> text(output).contains("listening on") || !p.isAlive());
            assertThat(text(output)).contains("listening on");
            // the PID the shell started is the JVM itself, not a shell waiting on a child
            assertThat(p.info().command()).hasValueSatisfying(c -> assertThat(Path.of(c).getFileName().toString()).isEqualTo("java"));
            assertThat(root.resolve("target/rollguard.jsa")).isNotEmptyFile();

            p.destroy(); // SIGTERM to that PID, as `kill PID` and the tour's `kill %1`
            Awaitility.await().atMost(TestServer.PATIENCE).until(() -> !p.isAlive());
            Awaitility.await().atMost(TestServer.PATIENCE).until(() -> javaProcessesOf(root).isEmpty());
            reader.join(TestServer.PATIENCE.toMillis());
            try (Stream<Path> left = Files.list(root.resolve("target")); Stream<Path> temp = Files.list(tmp)) {
                assertThat(left.map(f -> f.getFileName().toString())).containsExactlyInAnyOrder("rollguard.jar", "rollguard.jsa");
                assertThat(temp).isEmpty();
            }
        } finally {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private static List<ProcessHandle> javaProcessesOf(Path root) {
        return ProcessHandle.allProcesses().filter(h -> h.info().commandLine().orElse("").contains(root.toString())).toList();
    }

    private static String text(ByteArrayOutputStream out) {
        synchronized (out) {
            return out.toString(StandardCharsets.UTF_8);
        }
    }

    private static Thread drain(InputStream in, ByteArrayOutputStream out) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (in) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    synchronized (out) {
                        out.write(buf, 0, n);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        t.setDaemon(true);
        t.start();
        return t;
    }
}
