package dev.rollguard.agent;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Follows a web server access log (Apache/nginx combined format, or Apache's vhost_combined with the virtual host
 * first) and feeds each request's status into a {@link HealthWindow}, and each replayable request into a
 * {@link ReplaySet} when one is given. Rotation-safe: a new file (other inode) or a truncated one is read from its
 * start. A trailing number after the combined fields is taken as the response time in microseconds (Apache %D).
 */
public final class AccessLogTail implements AutoCloseable {
    // groups: 1 virtual host (vhost_combined only), 2 request line, 3 status, 4 response time in microseconds
    private static final Pattern LINE = Pattern.compile(
            "^(?:(\\S+) )?\\S+ \\S+ \\S+ \\[[^\\]]*] \"((?:[^\"\\\\]|\\\\.)*)\" (\\d{3}) \\S+(?: \"(?:[^\"\\\\]|\\\\.)*\" \"(?:[^\"\\\\]|\\\\.)*\")?(?: (\\d+))?.*$");

    private final Path file;
    private final HealthWindow window;
    private final ReplaySet replay;
    private final Thread thread;
    private volatile boolean running = true;
    private Object fileKey;
    private long position;
    private final StringBuilder partial = new StringBuilder();

    public AccessLogTail(Path file, HealthWindow window, boolean fromEnd) {
        this(file, window, null, fromEnd);
    }

    /** {@code replay}: where replayable requests go (null: none kept). */
    public AccessLogTail(Path file, HealthWindow window, ReplaySet replay, boolean fromEnd) {
        this.file = file;
        this.window = window;
        this.replay = replay;
        if (fromEnd && Files.exists(file)) {
            try {
                fileKey = key();
                position = Files.size(file);
            } catch (IOException ignored) {
                position = 0;
            }
        }
        thread = new Thread(this::run, "access-log-tail");
        thread.setDaemon(true);
        thread.start();
    }

    private Object key() throws IOException {
        BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
        return a.fileKey() != null ? a.fileKey() : a.creationTime();
    }

    private void run() {
        while (running) {
            try {
                poll();
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            } catch (IOException e) {
                // the file may be between rotation steps: try again on the next poll
            }
        }
    }

    /** Reads what was appended since the last call. Package-visible for tests. */
    synchronized void poll() throws IOException {
        if (!Files.exists(file)) return;
        Object k = key();
        long size = Files.size(file);
        if (!k.equals(fileKey) || size < position) {
            fileKey = k;
            position = 0;
            partial.setLength(0);
        }
        if (size == position) return;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            raf.seek(position);
            byte[] buf = new byte[(int) Math.min(size - position, 8 * 1024 * 1024)];
            raf.readFully(buf);
            position += buf.length;
            partial.append(new String(buf, StandardCharsets.UTF_8));
        }
        int nl;
        while ((nl = partial.indexOf("\n")) >= 0) {
            String line = partial.substring(0, nl);
            partial.delete(0, nl + 1);
            Matcher m = LINE.matcher(line);
            if (m.matches()) {
                int status = Integer.parseInt(m.group(3));
                double latency = m.group(4) == null ? -1 : Long.parseLong(m.group(4)) / 1000.0;
                window.record(status, latency);
                if (replay != null) offer(m.group(1), m.group(2), status);
            }
        }
    }

    /** The request line "GET /a?b HTTP/1.1" as logged (quotes escaped by the server), into the replay set. */
    private void offer(String vhost, String requestLine, int status) {
        String[] parts = requestLine.split(" ");
        if (parts.length != 3 || requestLine.indexOf('\\') >= 0) return; // escaped or malformed: not a request to replay as is
        String host = vhost == null ? null : vhost.replaceFirst(":\\d+$", "");
        replay.offer(parts[0], host, parts[1], status);
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
    }
}
